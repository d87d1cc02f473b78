#!/usr/bin/env node
// Builds the Linux addon from source into build/Release/dpkit_linux.node with node-gyp
// (addon-build.mjs), against this machine's Node headers. The loader (src/linux/native.ts,
// node-gyp-build) prefers build/Release over the prebuilt prebuilds/linux-x64 one, so this is
// also how to replace the prebuilt addon. Needs a C++17 compiler, make and python3. Exits 1
// with one line saying why when it cannot build. Run by the repository's scripts/setup.sh,
// and by users as `npx @dpkit/eal build-native` (scripts/dpkit-eal.mjs).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './addon-build.mjs';

buildNative({ dir: dirname(dirname(fileURLToPath(import.meta.url))), name: '@dpkit/eal', addon: 'the Linux addon' });
