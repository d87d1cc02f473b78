/**
 * The dpkit-dumpcap command. Bad arguments, a missing application or a refused capture end
 * in one line on stderr and exit 1.
 */
import { VERSION, errorLine } from '@dpkit/eal';
import { dumpcapUsage, parseDumpcapArgs } from './args.js';
import { dumpcap } from './dumpcap.js';

const progname = 'dpkit-dumpcap';
const version = `${progname} 1.0 (dpkit ${VERSION})`;

async function main(argv: string[]): Promise<number> {
  const o = parseDumpcapArgs(argv);
  if (o.help) {
    process.stdout.write(`${version}\n\n${dumpcapUsage(progname)}\n`);
    return 0;
  }
  if (o.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  return dumpcap(o, (line) => process.stdout.write(line + '\n'), (text) => process.stderr.write(text), progname);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${progname}: ${errorLine(err)}\n`);
    if (process.env.DPKIT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
