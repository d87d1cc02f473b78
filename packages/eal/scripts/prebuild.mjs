// `prepack`: the Linux addon prebuilt with prebuildify into prebuilds/linux-x64/ for the
// published tarball (addon-build.mjs). Node-API plus libuv 1.x's uv_poll: one binary, tagged
// uv1 and glibc, for every Node >= 20 on glibc Linux x86-64. `postpack` (--clean) removes it.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prebuild } from './addon-build.mjs';

await prebuild({ dir: dirname(dirname(fileURLToPath(import.meta.url))), name: '@dpkit/eal', addon: 'the Linux addon' }, process.argv[2] === '--clean');
