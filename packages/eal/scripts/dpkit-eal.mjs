#!/usr/bin/env node
// The `dpkit-eal` command of @dpkit/eal (`npx @dpkit/eal build-native`).
const usage = 'usage: dpkit-eal build-native   (builds the Linux addon from source into build/Release)';
const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'build-native' && rest.length === 0) {
  await import('./build-native.mjs');
} else {
  process.stderr.write(cmd === undefined || cmd === '-h' || cmd === '--help' ? `${usage}\n` : `dpkit-eal: unknown command '${[cmd, ...rest].join(' ')}'; ${usage}\n`);
  process.exit(cmd === '-h' || cmd === '--help' ? 0 : 2);
}
