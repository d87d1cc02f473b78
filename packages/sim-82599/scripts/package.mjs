// This package as @dpkit/eal/addon-build's builds see it.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sim82599 = { dir: dirname(dirname(fileURLToPath(import.meta.url))), name: '@dpkit/sim-82599', addon: "the emulator's addon" };
