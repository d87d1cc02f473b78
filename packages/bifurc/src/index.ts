/**
 * @dpkit/bifurc — share a Linux netdev between the kernel and a user-space PMD (see README.md).
 *
 *   import { bifurc } from '@dpkit/bifurc';
 *   import { drivers as afXdp } from '@dpkit/pmd-af-xdp';
 *   const b = bifurc();                      // or bifurc({ providers: [myProvider] }), or -d a module exporting `providers`
 *   const eal = await Eal.init(argv, { drivers: [...b.drivers, ...afXdp], buses: [b.bus] });
 */
export * from './classifier.js';
export {
  BifurcBus, bifurc, bifurcAttachment, nicAttachment, params, queueMapFor, xskAttachment, type BifurcDevice, type BifurcOptions,
} from './bus.js';
export { refuseNetdevRival, type BifurcAttachment, type NicAttachment, type XskAttachment } from './attachment.js';
export {
  isDraProvider, virtualPci, type DirectRingHandle, type DmaMapping, type DraHandleBase, type DraProvider, type IfInfo, type NetdevId,
  type NicFlowSteering, type NicQueueStats, type NicRings, type NtupleTable, type QueueRegisters, type SteeringOptions, type XdpFlowSteering, type XdpSteering,
  type XskBindOptions, type XskQueue, type XskRingName, type XskRingSet, type XskRings, type XskUmem,
} from './dra.js';
export { linuxAfXdp, openAfXdp, readNetdevId } from './dra-linux.js';
export {
  NtupleSteering, kernelNtupleTable, ntupleUnavailable, ruleToSpec, specToRule, type NtupleSteeringOptions,
} from './ntuple.js';
