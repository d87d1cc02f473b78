/** @dpkit/testpmd as a library: the app, its argument parser and the engine plugin API. */
export { Testpmd, type Output } from './testpmd.js';
export { parseTestpmdArgs, testpmdUsage, type TestpmdParams, type PortTopology } from './params.js';
export { runCommand, interactive } from './commands.js';
export { registerEngine, engineNames, engineTarget } from './fwd/registry.js';
export { FwdStat, FWD_STAT_SLOTS, dataOffset, poolOf, type ForwardEngine, type FwdStream, type FwdStreamConfig } from './fwd/engine.js';
