/**
 * The forwarding-engine plugin contract. An engine is a module exporting an object
 * `{ name, streamInit?, packetFwd }`; testpmd names it by module URL and export, and each
 * forwarding lcore imports it and calls `packetFwd(stream)` in a loop for each of its streams.
 * `packetFwd` moves one burst and must allocate nothing.
 */
import { MBUF_INDEX_MASK, M16_DATA_OFF, mbufFreeBulk, type Mempool, type MempoolDescriptor, type QueueDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import type { ObserveConfig } from './observe.js';

/** Slots of a stream's counters (Float64Array in shared memory). */
export const FwdStat = { RX: 0, TX: 1, DROPPED: 2 } as const;
export const FWD_STAT_SLOTS = 4;

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
  streamInit?(s: FwdStream): void;
  packetFwd(s: FwdStream): void;
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
 * Sends pkts[0..n) on the stream's tx queue, counts what went, and frees (and counts as
 * dropped) what the queue refused, as testpmd's engines do without retry. Returns how many
 * went.
 */
export function transmit(s: FwdStream, n: number): number {
  const stats = s.stats;
  const nbTx = s.txq.txBurst(s.pkts, 0, n);
  stats[TX] += nbTx;
  if (nbTx < n) {
    stats[DROPPED] += n - nbTx;
    mbufFreeBulk(s.pkts, nbTx, n - nbTx);
  }
  return nbTx;
}

const TX = 1;
const DROPPED = 2;

/** The pool of an mbuf handle. */
export function poolOf(m: number): Mempool {
  return mempools[m >>> 24]!;
}
