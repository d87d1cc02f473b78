/**
 * --cmdline-file: the commands of a file run once the ports are started, before forwarding
 * starts (non-interactive, or -a) and before the prompt, as DPDK's cmdline_read_from_file.
 * Like DPDK's, the lines are not echoed, a failing command prints its line and the next one
 * runs, and `quit` ends the file (not testpmd).
 */
import { readFileSync } from 'node:fs';
import { runLine } from './commands.js';
import type { Output, Testpmd } from './testpmd.js';

export async function runCommandFile(app: Testpmd, file: string, out: Output): Promise<void> {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!(await runLine(app, line, out))) break; // quit ends the file, not testpmd
  }
  out(`Read CLI commands from ${file}`);
}
