// The command's program: dpkit-sim-82599 with the process's arguments (see cli.ts).
import { run } from './cli.js';

run(process.argv.slice(2));
