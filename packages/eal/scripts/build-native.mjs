#!/usr/bin/env node
// Builds the Linux addon from source into build/Release/dpkit_linux.node with node-gyp,
// against this machine's Node headers. The loader (src/linux/native.ts, node-gyp-build)
// prefers build/Release over the prebuilt prebuilds/linux-x64 one, so this is also how to
// replace the prebuilt addon. Needs a C++17 compiler, make and python3. Exits 1 with one
// line saying why when it cannot build. Run by the repository's scripts/setup.sh, and by
// users as `npx @dpkit/eal build-native` (scripts/dpkit-eal.mjs).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { findNodeGyp, nodeDir, packageDir } from './node-gyp.mjs';

const fail = (why, fix = 'it needs a C++17 compiler, make and python3 (Debian: apt-get install g++ make python3)') => {
  process.stderr.write(`@dpkit/eal: could not build the Linux addon from source: ${why}; ${fix}\n`);
  process.exit(1);
};

if (process.platform !== 'linux') fail(`${process.platform} is not Linux`, 'the Linux addon exists only for Linux');
const onPath = (name) => (process.env.PATH ?? '').split(':').some((dir) => {
  try { accessSync(join(dir || '.', name), constants.X_OK); return true; } catch { return false; }
});
const missing = [];
if (!process.env.CXX && !['c++', 'g++', 'clang++'].some(onPath)) missing.push('no C++ compiler (c++, g++ or clang++; or set CXX)');
if (!onPath('make')) missing.push('no make');
if (!process.env.PYTHON && !['python3', 'python'].some(onPath)) missing.push('no python3');
if (missing.length) fail(`${missing.join(', ')} on PATH`);
const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found', 'install it with npm install -g node-gyp');
const args = [gyp, 'rebuild', '--loglevel=error'];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
const r = spawnSync(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.error) fail(`node-gyp did not run: ${r.error.message}`);
if (r.status !== 0) {
  const last = (r.stderr || '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}`;
  fail(`node-gyp failed: ${last.slice(0, 200)}`);
}
