/**
 * net_ring's fast path: rx dequeues mbuf handles from the queue's ring and sets each one's
 * port (DPDK's ring PMD leaves it as the sender left it; the ethdev contract wants the
 * receiving port), tx enqueues them; a full ring refuses the rest (counted as tx errors, the
 * caller keeps those mbufs).
 */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_PORT, M_PKT_LEN, Ring, type RingDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal';
import { QueueStat, mempools, queueStats, type QueueDescriptor } from '@dpkit/eal/driver';

export interface RingQueueData {
  ring: RingDescriptor;
}

// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const PKT_LEN = M_PKT_LEN;
const PORT16 = M16_PORT;

function sumBytes(pkts: Uint32Array, start: number, n: number): number {
  let bytes = 0;
  for (let i = start, end = start + n; i < end; i++) {
    const m = pkts[i]!;
    bytes += mempools[m >>> POOL_SHIFT]!.h32[((m & INDEX_MASK) << 4) + PKT_LEN]!;
  }
  return bytes;
}

class RingRx implements RxQueue {
  private readonly ring: Ring;
  private readonly stats: Float64Array;
  private readonly port: number;

  constructor(d: QueueDescriptor<RingQueueData>) {
    this.ring = Ring.attach(d.data.ring);
    this.stats = queueStats(d.stats);
    this.port = d.port;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const got = this.ring.dequeueBurst(pkts, start, n);
    if (got === 0) return 0;
    // one pass: each mbuf's port set and its pkt_len counted
    const port = this.port;
    let bytes = 0;
    for (let i = start, end = start + got; i < end; i++) {
      const m = pkts[i]!;
      const pool = mempools[m >>> POOL_SHIFT]!;
      const b = (m & INDEX_MASK) << 4;
      pool.h16[(b << 1) + PORT16] = port;
      bytes += pool.h32[b + PKT_LEN]!;
    }
    this.stats[QueueStat.PACKETS] += got;
    this.stats[QueueStat.BYTES] += bytes;
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

export function createRxQueue(d: QueueDescriptor<RingQueueData>): RxQueue {
  return new RingRx(d);
}

export function createTxQueue(d: QueueDescriptor<RingQueueData>): TxQueue {
  return new RingTx(d);
}
