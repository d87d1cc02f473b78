#!/usr/bin/env node
// The command's entry point: a committed stub, so that package managers can link the
// command before the TypeScript build has produced dist/.
import '../dist/cli.js';
