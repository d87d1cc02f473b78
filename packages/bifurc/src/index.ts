/**
 * @dpkit/bifurc — share a Linux netdev between the kernel and a user-space PMD (see README.md).
 *
 *   import { bifurc } from '@dpkit/bifurc';
 *   import { drivers as afXdp } from '@dpkit/pmd-af-xdp';
 *   const b = bifurc();
 *   const eal = await Eal.init(argv, { drivers: [...b.drivers, ...afXdp], buses: [b.bus] });
 */
export * from './classifier.js';
export { BifurcBus, bifurc, params, queueMapFor, type BifurcDevice, type BifurcInfo } from './bus.js';
export {
  linuxDirectRings, virtualPci, type BoundQueue, type DirectRingAccess, type DirectRingHandle, type IfInfo, type RingSet, type Umem,
} from './dra.js';
