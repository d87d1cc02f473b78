/**
 * One copy of @dpkit/eal per thread. Mbuf handles, pools, ports and drivers live in module
 * state (`mempools`, the registries), so a second copy — a driver loaded with `-d` from a
 * checkout with its own node_modules/@dpkit/eal — sees none of them, and its fast path fails
 * deep inside a burst ("reading 'h32'"). Each copy registers itself on globalThis under a
 * Symbol.for key when it loads; a second, different copy refuses to load, in one line naming
 * both. Imported for this side effect by every entry point.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DpkitError } from './errors.js';

const KEY = Symbol.for('@dpkit/eal:instance');

/** The package directory of this copy (…/eal, above dist/). */
export const ealPackageDir = dirname(dirname(fileURLToPath(import.meta.url)));

const g = globalThis as { [KEY]?: string };
const first = g[KEY];
if (first === undefined) {
  g[KEY] = ealPackageDir;
} else if (first !== ealPackageDir) {
  throw new DpkitError(
    `two copies of @dpkit/eal in one process (${first} and ${ealPackageDir}): mbufs, pools and ports of one are invisible to the other; ` +
      `make @dpkit/eal a peer dependency of the driver package and remove its own copy, so that the application and its drivers load one`,
    'EEXIST',
  );
}
