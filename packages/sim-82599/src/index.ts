/**
 * @dpkit/sim-82599 as a package of providers for the bifurc bus: `providers` (what `-d` with a
 * package that brings providers reads) and the named provider. The device itself is the
 * `dpkit-sim-82599` command; its definitions are the ./regs, ./descriptors and ./decode entries.
 */
import { sim82599Provider } from './provider.js';

export { isSim82599, sim82599Provider } from './provider.js';
export const providers = [sim82599Provider];
