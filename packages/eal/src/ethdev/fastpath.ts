/**
 * The per-packet contract between a PMD and whoever polls its queues (ethdev_driver.h's burst
 * functions). It is kept apart from the control-path ops table: a queue's fast path is a
 * small object with one method, built by the driver's fast-path module from a
 * structured-cloneable `QueueDescriptor`, so any lcore — the main thread or a worker — can
 * rebuild it. Everything the burst functions touch (descriptor rings, mempools, statistics)
 * lives in shared memory that the descriptor names.
 *
 * A burst moves mbuf handles in `pkts[start .. start + n)`; it returns how many it moved. It
 * allocates nothing and throws nothing.
 */
import type { MempoolDescriptor } from '../mbuf/mempool.js';

export interface RxQueue {
  rxBurst(pkts: Uint32Array, start: number, n: number): number;
  /**
   * Drops what this thread holds of the queue (mappings of kernel rings, say) so the driver can
   * stop and start it again at once. Whoever built the queue object calls it once, when it stops
   * polling; the object is not used afterwards. Optional: most queues hold nothing.
   */
  release?(): void;
}

export interface TxQueue {
  /** Takes ownership of the mbufs it accepts; the caller keeps (and must free) the rest. */
  txBurst(pkts: Uint32Array, start: number, n: number): number;
  /** As RxQueue.release. */
  release?(): void;
}

/** Where a queue's counters live: 4 float64 slots in shared memory (see QueueStat). */
export interface QueueStatsDescriptor {
  buffer: SharedArrayBuffer;
  /** index of the first slot in a Float64Array over `buffer` */
  index: number;
}

/** Slots of a queue's counters. */
export const QueueStat = {
  PACKETS: 0,
  BYTES: 1,
  /** rx: errors; tx: errors (packets the device refused) */
  ERRORS: 2,
  /** rx only: mbuf allocation failures */
  NOMBUF: 3,
} as const;
export const QUEUE_STAT_SLOTS = 4;

export interface QueueDescriptor<D = unknown> {
  /** URL of the module that exports createRxQueue / createTxQueue */
  module: string;
  driver: string;
  port: number;
  queue: number;
  /** for rx queues: the pool it allocates from */
  pool: MempoolDescriptor | undefined;
  stats: QueueStatsDescriptor;
  /** the driver's own queue state (SharedArrayBuffers, numbers, strings) */
  data: D;
}

/**
 * What a driver's fast-path module exports: `createRxQueue` receives the descriptor of an rx
 * queue, whose `data` is what the driver's rxQueueSetup returned (`RxData`); tx likewise. The
 * members are function-typed properties, not methods, so that the compiler checks their
 * parameters strictly: a module that reads a field setup does not return does not fit.
 */
export interface FastPathModule<RxData = unknown, TxData = unknown> {
  createRxQueue: (d: QueueDescriptor<RxData>) => RxQueue;
  createTxQueue: (d: QueueDescriptor<TxData>) => TxQueue;
}

/** The counters of a queue, as a Float64Array the burst functions add to. */
export function queueStats(d: QueueStatsDescriptor): Float64Array {
  return new Float64Array(d.buffer, d.index * 8, QUEUE_STAT_SLOTS);
}

/** A queue that moves nothing: what a stopped queue polls as. */
export const idleQueue: RxQueue & TxQueue = {
  rxBurst: () => 0,
  txBurst: () => 0,
};
