// Shared by build-native.mjs (a build from source) and prebuild.mjs (the prebuilt addon
// packed into the published tarball): where node-gyp and Node's headers are on this machine.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The @dpkit/eal package directory (the one holding binding.gyp and native/). */
export const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** node-gyp's entry script: $npm_config_node_gyp, a local node-gyp, or the one bundled with npm. */
export function findNodeGyp() {
  const require = createRequire(import.meta.url);
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not installed locally */ }
  const prefix = dirname(dirname(process.execPath));
  for (const npm of [join(prefix, 'lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', '/usr/share/nodejs/npm']) {
    candidates.push(join(npm, 'node_modules/node-gyp/bin/node-gyp.js'));
  }
  return candidates.find((c) => existsSync(c));
}

/**
 * The directory whose include/node holds this Node's headers (so node-gyp downloads
 * nothing), or undefined: node-gyp then fetches the headers of this Node version itself.
 */
export function nodeDir() {
  for (const dir of ['/usr', dirname(dirname(process.execPath))]) {
    if (existsSync(join(dir, 'include/node/node_api.h'))) return dir;
  }
  return undefined;
}
