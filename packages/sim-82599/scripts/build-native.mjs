#!/usr/bin/env node
// Builds the emulated 82599's engine from source into build/Release/dpkit_sim_82599.node with
// node-gyp, as @dpkit/eal builds its addon (the shared code is `@dpkit/eal/addon-build`). The
// loader (src/native.ts, node-gyp-build) prefers build/Release over the prebuilt
// prebuilds/linux-x64 one. Needs a C++17 compiler, make and python3; exits 1 with one line
// saying why when it cannot build. Run by the repository's scripts/setup.sh, and by users as
// `npx @dpkit/sim-82599 build-native` (scripts/sim-82599.mjs).
import { buildNative } from '@dpkit/eal/addon-build';
import { sim82599 } from './package.mjs';

buildNative(sim82599);
