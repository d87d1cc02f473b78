#!/usr/bin/env node
// Builds the emulated 82599's engine into build/Release/dpkit_sim_82599.node with node-gyp,
// against this machine's Node headers (found as @dpkit/eal's build does). Run by the
// repository's scripts/setup.sh. Exits 1 with one line saying why when it cannot build.
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, nodeDir } from '../../eal/scripts/node-gyp.mjs';

const fail = (why) => {
  process.stderr.write(`@dpkit/sim-82599: could not build its addon: ${why}; it needs a C++17 compiler, make and python3\n`);
  process.exit(1);
};
const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found');
const args = [gyp, 'rebuild', '--loglevel=error'];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
const r = spawnSync(process.execPath, args, { cwd: dirname(dirname(fileURLToPath(import.meta.url))), stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.error) fail(`node-gyp did not run: ${r.error.message}`);
if (r.status !== 0) fail(`node-gyp failed: ${((r.stderr || '').trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`).slice(0, 200)}`);
