/**
 * The forwarding-engine plugin contract. An engine is a module exporting an object
 * `{ name, streamInit?, packetFwd }`; testpmd names it by module URL and export, and each
 * forwarding lcore imports it and calls `packetFwd(stream)` in a loop for each of its streams.
 * `packetFwd` moves one burst and must allocate nothing.
 */
import { MBUF_INDEX_MASK, M16_DATA_OFF, mbufFreeBulkUncounted, type Mempool, type MempoolDescriptor, type QueueDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import type { ObserveConfig } from './observe.js';

/**
 * Slots of a stream's counters (Float64Array in shared memory); the csum engine's four
 * checksum counters (DPDK's rx_bad_ip_csum, rx_bad_l4_csum, rx_bad_outer_l4_csum,
 * rx_bad_outer_ip_csum) follow the three every engine has.
 */
export const FwdStat = { RX: 0, TX: 1, DROPPED: 2, BAD_IP_CSUM: 3, BAD_L4_CSUM: 4, BAD_OUTER_L4_CSUM: 5, BAD_OUTER_IP_CSUM: 6 } as const;
export const FWD_STAT_SLOTS = 8;

/**
 * --record-burst-stats: a stream's burst-size spread, float64 slots in shared memory: slot n
 * counts rx bursts of n packets (0..MAX_PKT_BURST), slot BURST_SPREAD + n tx bursts of n sent.
 */
export const BURST_SPREAD = 513;
export const BURST_STAT_SLOTS = 2 * BURST_SPREAD;

/** A stream as the main lcore describes it (structured-cloneable). */
export interface FwdStreamConfig {
  rx: QueueDescriptor;
  tx: QueueDescriptor;
  rxPort: number;
  rxQueue: number;
  txPort: number;
  txQueue: number;
  /** MAC of the tx port and of its peer (--eth-peer) */
  txPortMac: number[];
  peerMac: number[];
  /** the pool txonly/flowgen allocate from */
  pool: MempoolDescriptor;
  burst: number;
  txpkts: number[];
  /** txonly's addresses and ports (--tx-ip, --tx-udp; IPv4 in host order) and --txonly-multi-flow */
  txonly: { ipSrc: number; ipDst: number; udpSrc: number; udpDst: number; multiFlow: boolean };
  /** --flowgen-flows */
  flowgenFlows: number;
  /** the tx port's configured tx offloads (RTE_ETH_TX_OFFLOAD_*): the csum engine's hw/sw choice (`csum set`) */
  txOffloads: number;
  /** `set fwd MODE retry`: the tx queue is wrapped to retry what it refused (engines/retry.ts) */
  retry?: { num: number; delayUs: number };
  /** the noisy engine's --noisy-* options and the main lcore's millisecond clock */
  noisy?: NoisyConfig;
  /** the lcore the stream is forwarded on (txonly's multi-flow source address adds it, as DPDK's) */
  lcore: number;
  stats: { buffer: SharedArrayBuffer; index: number };
  /** --record-burst-stats: where this stream's spread lives (BURST_STAT_SLOTS slots); the queues are wrapped to count it */
  bursts?: { buffer: SharedArrayBuffer; index: number };
  /** set verbose and packet capture: the queues are wrapped to watch them (observe.ts) */
  observe?: ObserveConfig;
}

/** A stream as an engine sees it on its lcore. */
export interface FwdStream {
  readonly cfg: FwdStreamConfig;
  /**
   * The stream's queues. Read-only for engines, but the lcore swaps them between chunks of its
   * loop (the set verbose/capture wrappers go in and out, observe.ts): read them on every
   * burst, never keep one from streamInit.
   */
  readonly rxq: RxQueue;
  readonly txq: TxQueue;
  /** burst array, preallocated (MAX_PKT_BURST) */
  readonly pkts: Uint32Array;
  burst: number;
  readonly stats: Float64Array;
  readonly pool: Mempool;
  readonly txMac: Uint8Array;
  readonly peerMac: Uint8Array;
  /** engine-private state, set by streamInit */
  state: unknown;
}

export interface ForwardEngine {
  readonly name: string;
  /** may return a promise (macswap loads its per-pool code here): the lcore awaits it before forwarding */
  streamInit?(s: FwdStream): void | Promise<void>;
  packetFwd(s: FwdStream): void;
  /** after the last packetFwd, before the statistics are shown: sends or counts what the engine still holds */
  streamEnd?(s: FwdStream): void;
}

/** --noisy-tx-sw-buffer-size, --noisy-tx-sw-buffer-flushtime, --noisy-lkup-* (DPDK's noisy_vnf) */
export interface NoisyConfig {
  bufferSize: number;
  flushTimeMs: number;
  lkupMemoryMb: number;
  writes: number;
  reads: number;
  readsWrites: number;
  /** Float64Array[0]: milliseconds, written by the main lcore while forwarding (a clock read allocates; this does not) */
  clock: SharedArrayBuffer;
}

/** Byte offset of an mbuf's first data byte in its pool's `bytes`. */
export function dataOffset(pool: Mempool, m: number): number {
  const idx = m & INDEX_MASK;
  return pool.dataOffset + idx * pool.eltSize + pool.h16[(idx << 5) + DATA_OFF]!;
}

// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const DATA_OFF = M16_DATA_OFF;

/**
 * Sends pkts[0..n) (the stream's burst array, or `pkts`) on the stream's tx queue, counts what
 * went, and frees (and counts as dropped) what the queue refused, as testpmd's engines do
 * without retry. Returns how many went.
 */
export function transmit(s: FwdStream, n: number, pkts: Uint32Array = s.pkts): number {
  const nbTx = s.txq.txBurst(pkts, 0, n);
  s.stats[TX] += nbTx;
  if (nbTx < n) dropRefused(s, pkts, nbTx, n);
  return nbTx;
}

/** What the tx queue refused, pkts[nbTx..n): freed and counted as dropped (out of line: transmit's bytecode stays small). */
function dropRefused(s: FwdStream, pkts: Uint32Array, nbTx: number, n: number): void {
  s.stats[DROPPED] += n - nbTx;
  mbufFreeBulkUncounted(pkts, nbTx, n - nbTx);
}

const TX = 1;
const DROPPED = 2;

/** The pool of an mbuf handle. */
export function poolOf(m: number): Mempool {
  return mempools[m >>> 24]!;
}
