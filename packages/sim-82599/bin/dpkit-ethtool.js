#!/usr/bin/env node
// The command's entry point: a committed stub, so that the command can be linked before the
// TypeScript build has produced dist/.
import '../dist/ethtool-main.js';
