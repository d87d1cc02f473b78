/**
 * @dpkit/eal/driver — the driver SDK: what a PMD or a bus package implements and uses.
 * Keep this surface small; it is the contract third-party drivers build on.
 */
import './instance.js';
import { mempools as poolTable, type Mempool } from './mbuf/mempool.js';
export {
  DriverPorts, DrvFlags, PCI_ANY_ID, defineDriver, pciIdMatches, removePorts,
  type Bus, type BusContext, type Device, type Driver, type DriverRegistryView, type PciDeviceInfo, type PciId,
  type EthDevAllocator, type EthDevSpec, type ProbeContext, type RemoveContext,
} from './driver/types.js';
export type { DriverPort, PortDevice } from './driver/port.js';
export { defineParams, paramString, parseParams, type ParamSchema, type ParamSpec, type ParamValues } from './devargs/kvargs.js';
export type { EthDevOps, OptionalOp } from './ethdev/ops.js';
export {
  QUEUE_STAT_SLOTS, QueueStat, idleQueue, queueStats,
  type FastPathModule, type QueueDescriptor, type QueueStatsDescriptor, type RxQueue, type TxQueue,
} from './ethdev/fastpath.js';
export { readPciDevice, normalizePciAddress, hasVfio } from './bus/pci.js';
export { DpkitError } from './errors.js';
// a fast path's own memory (ctx.memory.reserve in probe or start): `MemoryRegion.attach(d)` maps it in this thread
export { MemoryRegion, type RegionDescriptor } from './memory/region.js';
/**
 * This thread's pools by id (`mempools[m >>> MBUF_POOL_SHIFT]` is the pool of handle `m`), for
 * burst loops that reach a pool's `h32`/`h16`/`data` without a call per packet. Read it;
 * `Mempool.create`/`attach`/`release` maintain it.
 */
export const mempools: readonly (Mempool | undefined)[] = poolTable;
// the mbuf header as a driver reads and writes it: the layout constants, the one header reset,
// and the handle helpers (the same bindings `@dpkit/eal` exports)
export * from './mbuf/layout.js';
export {
  mbufDataLen, mbufDataOffset, mbufFreeBulk, mbufFreeBulkUncounted, mbufHeader, mbufNbSegs, mbufNext, mbufPktLen, mbufPool, mbufPort, mbufRead,
  mbufReset, mbufSetRx, mbufWrite,
} from './mbuf/mbuf.js';
