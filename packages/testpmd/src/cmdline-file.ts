/**
 * --cmdline-file: the commands of a file run once the ports are started, before forwarding
 * starts (non-interactive, or -a) and before the prompt, as DPDK's cmdline_read_from_file.
 * Like DPDK's, the lines are not echoed, a failing command prints its line and the next one
 * runs, and `quit` ends the file (not testpmd).
 */
import { readFileSync } from 'node:fs';
import { errorLine } from '@dpkit/eal';
import { runCommand } from './commands.js';
import { DpdkAnswer, type Output, type Testpmd } from './testpmd.js';

export async function runCommandFile(app: Testpmd, file: string, out: Output): Promise<void> {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let more = true;
    try {
      more = await runCommand(app, line, out);
    } catch (err) {
      out(err instanceof DpdkAnswer ? err.message : errorLine(err));
    }
    if (!more) break;
  }
  out(`Read CLI commands from ${file}`);
}
