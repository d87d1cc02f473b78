/**
 * net_ring's fast path: rx dequeues mbuf handles from the queue's ring, tx enqueues them;
 * a full ring refuses the rest (counted as tx errors, the caller keeps those mbufs).
 */
import { MBUF_INDEX_MASK, M_PKT_LEN, Ring, mempools, type RingDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal';
import { QueueStat, queueStats, type QueueDescriptor } from '@dpkit/eal/driver';

export interface RingQueueData {
  ring: RingDescriptor;
}

// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const PKT_LEN = M_PKT_LEN;

function sumBytes(pkts: Uint32Array, start: number, n: number): number {
  let bytes = 0;
  for (let i = start, end = start + n; i < end; i++) {
    const m = pkts[i]!;
    bytes += mempools[m >>> 24]!.h32[((m & INDEX_MASK) << 4) + PKT_LEN]!;
  }
  return bytes;
}

class RingRx implements RxQueue {
  private readonly ring: Ring;
  private readonly stats: Float64Array;

  constructor(d: QueueDescriptor<RingQueueData>) {
    this.ring = Ring.attach(d.data.ring);
    this.stats = queueStats(d.stats);
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const got = this.ring.dequeueBurst(pkts, start, n);
    if (got === 0) return 0;
    this.stats[QueueStat.PACKETS] += got;
    this.stats[QueueStat.BYTES] += sumBytes(pkts, start, got);
    return got;
  }
}

class RingTx implements TxQueue {
  private readonly ring: Ring;
  private readonly stats: Float64Array;

  constructor(d: QueueDescriptor<RingQueueData>) {
    this.ring = Ring.attach(d.data.ring);
    this.stats = queueStats(d.stats);
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const sent = this.ring.enqueueBurst(pkts, start, n);
    this.stats[QueueStat.PACKETS] += sent;
    this.stats[QueueStat.BYTES] += sumBytes(pkts, start, sent);
    this.stats[QueueStat.ERRORS] += n - sent;
    return sent;
  }
}

export function createRxQueue(d: QueueDescriptor): RxQueue {
  return new RingRx(d as QueueDescriptor<RingQueueData>);
}

export function createTxQueue(d: QueueDescriptor): TxQueue {
  return new RingTx(d as QueueDescriptor<RingQueueData>);
}
