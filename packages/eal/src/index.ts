/**
 * @dpkit/eal — the application API: EAL init, ports (ethdev), mbufs and mempools, rings,
 * lcores, logging. Driver authors import `@dpkit/eal/driver`; PMD tests `@dpkit/eal/testing`.
 * What this exports at run time is the list in the README's "Entry points" section, checked by
 * src/test/exports.test.ts; the EAL's internals (device manager, registries, DI tokens, the
 * per-thread pool table) are not exported.
 */
import './instance.js';
export { Eal, VERSION, type EalInitOptions } from './eal.js';
export { DpkitError, errorLine } from './errors.js';
export { FORWARDING_V8_FLAGS, appliedV8Flags, setV8Flags, v8FlagsFromEnv } from './jit.js';
export { collectGarbage } from './heap.js';
export { parseEalArgs, ealUsage, type EalOptions } from './args/eal-args.js';
export { parseCoreList, parseCoreMask, parseLcoresMap, formatCoreList, onlineCpus, MAX_LCORE } from './args/corelist.js';
export { parseDevargs, type Devargs } from './devargs/kvargs.js';
export { LogLevel, LogType, logs, parseLogLevel, type LogRegistry } from './log/log.js';
export { EthDev, type EthDevRegistry } from './ethdev/ethdev.js';
export {
  ETHER_MTU, MAX_ETHPORTS, formatMac, parseMac, rxPoolFits,
  type DevInfo, type RxPoolNeeds, type EthConf, type EthDevEvents, type EthDevRegistryEvents, type EthLink, type EthStats, type RxConf,
  type TxConf, type Xstat, type QueueState,
} from './ethdev/types.js';
export type { RxQueue, TxQueue, QueueDescriptor, FastPathModule } from './ethdev/fastpath.js';
export type { OptionalOp } from './ethdev/ops.js';
export type { Telemetry, TelemetryHandler, TelemetryValue } from './telemetry/telemetry.js';
export { Mempool, MEMPOOL_CACHE_MAX_SIZE, type MempoolDescriptor, type PktmbufPoolOptions } from './mbuf/mempool.js';
export * from './mbuf/layout.js';
export {
  IPPROTO, describeRule, formatIp, parseIp, parseNtuple, parseRteFlow,
  type FlowAction, type FlowCounters, type FlowMatch, type FlowOps, type FlowRule, type Masked, type MaskedAddr,
} from './flow/flow.js';
export { fixPartialL4Checksum, l4ChecksumValid, sum16 } from './net/checksum.js';
export {
  mbufAdj, mbufAppend, mbufChain, mbufDataLen, mbufDataOffset, mbufFree, mbufFreeBulk, mbufFreeBulkUncounted, mbufHeader, mbufNbSegs,
  mbufNext, mbufPktLen, mbufPool, mbufPort, mbufRead, mbufRefcnt, mbufRefcntUpdate, mbufReset, mbufSetRx, mbufTailroom,
  mbufWrite,
} from './mbuf/mbuf.js';
export { Ring, RING_F_SC_DEQ, RING_F_SP_ENQ, type RingDescriptor } from './ring/ring.js';
export { type LcoreManager, type LaunchTarget, type LcoreState } from './lcore/lcore.js';
export { lcoreId, LCORE_ID_ANY } from './lcore/current.js';
export { MemoryManager, type MemoryRegion, type RegionDescriptor } from './memory/region.js';
