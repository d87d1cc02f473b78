#!/usr/bin/env node
// The `sim-82599` command of @dpkit/sim-82599 (`npx @dpkit/sim-82599 build-native`; npx runs
// the bin named after the package). The device itself is `dpkit-sim-82599`.
const usage = 'usage: sim-82599 build-native   (builds the emulator\'s addon from source into build/Release; the device is dpkit-sim-82599)';
const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'build-native' && rest.length === 0) {
  await import('./build-native.mjs');
} else {
  process.stderr.write(cmd === undefined || cmd === '-h' || cmd === '--help' ? `${usage}\n` : `sim-82599: unknown command '${[cmd, ...rest].join(' ')}'; ${usage}\n`);
  process.exit(cmd === '-h' || cmd === '--help' ? 0 : 2);
}
