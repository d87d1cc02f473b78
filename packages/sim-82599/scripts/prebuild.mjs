// `prepack`: the engine prebuilt with prebuildify into prebuilds/linux-x64/ for the published
// tarball, as @dpkit/eal's is (`@dpkit/eal/addon-build`): Node-API only, one binary tagged uv1
// and glibc for every Node >= 20 on glibc Linux x86-64. `postpack` (--clean) removes it.
import { prebuild } from '@dpkit/eal/addon-build';
import { sim82599 } from './package.mjs';

await prebuild(sim82599, process.argv[2] === '--clean');
