#!/usr/bin/env node
// Builds the Linux addon (build/Release/dpkit_linux.node) with node-gyp at install time,
// against this machine's Node headers (/usr/include/node when present: nothing is
// downloaded). If it cannot be built, says why in one line and exits 0: the pure-TypeScript
// parts of @dpkit/eal work without it, and the features that need it say so when used.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const skip = (why) => {
  process.stderr.write(`@dpkit/eal: Linux addon not built (${why}); AF_XDP, BPF, netdev and TAP features are unavailable\n`);
  process.exit(0);
};

if (process.platform !== 'linux') skip(`${process.platform} is not Linux`);

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not installed locally */ }
  // npm ships node-gyp inside its own installation
  const npmDir = dirname(dirname(process.execPath));
  for (const base of [join(npmDir, 'lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', '/usr/share/nodejs/npm']) {
    candidates.push(join(base, 'node_modules/node-gyp/bin/node-gyp.js'));
  }
  return candidates.find((c) => existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) skip('node-gyp not found; install it with npm install -g node-gyp');
const args = [gyp, 'rebuild', '--loglevel=error'];
const headers = ['/usr/include/node/node_api.h', join(dirname(dirname(process.execPath)), 'include/node/node_api.h')];
const local = headers.find((h) => existsSync(h));
if (local) args.push(`--nodedir=${dirname(dirname(dirname(local)))}`);
const r = spawnSync(process.execPath, args, { cwd: pkg, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const last = (r.stderr || '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}`;
  skip(`node-gyp failed: ${last.slice(0, 200)}`);
}
