#!/usr/bin/env node
// The `sim-82599` command of @dpkit/sim-82599 (`npx @dpkit/sim-82599 build-native`; npx runs
// the bin named after the package). The device itself is `dpkit-sim-82599`.
import { buildNativeCommand } from '@dpkit/eal/addon-build';
import { sim82599 } from './package.mjs';

buildNativeCommand(sim82599, 'sim-82599',
  "usage: sim-82599 build-native   (builds the emulator's addon from source into build/Release; the device is dpkit-sim-82599)");
