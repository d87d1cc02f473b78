#!/usr/bin/env node
// The `dpkit-eal` command of @dpkit/eal (`npx @dpkit/eal build-native`).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNativeCommand } from './addon-build.mjs';

buildNativeCommand({ dir: dirname(dirname(fileURLToPath(import.meta.url))), name: '@dpkit/eal', addon: 'the Linux addon' }, 'dpkit-eal',
  'usage: dpkit-eal build-native   (builds the Linux addon from source into build/Release)');
