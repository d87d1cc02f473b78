/**
 * {{driver}}'s fast path: the burst functions, rebuilt on any lcore from a QueueDescriptor, so
 * all they touch lives in shared memory (the ring, the pools, the counters). They allocate and
 * throw nothing; variants (if any) are chosen in createRxQueue/createTxQueue, never per packet.
 */
import { M16_PORT, Ring, type RingDescriptor } from '@dpkit/eal';
import { QueueStat, mbufHeader, mbufPktLen, mbufPool, queueStats, type QueueDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal/driver';

/** What queue setup returns and the fast path receives (structured-cloneable). */
export interface QueueData {
  ring: RingDescriptor;
}

class LoopbackRx implements RxQueue {
  private readonly ring: Ring;
  private readonly stats: Float64Array;
  private readonly port: number;

  constructor(d: QueueDescriptor<QueueData>) {
    this.ring = Ring.attach(d.data.ring);
    this.stats = queueStats(d.stats);
    this.port = d.port;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const got = this.ring.dequeueBurst(pkts, start, n);
    let bytes = 0;
    for (let i = start, end = start + got; i < end; i++) {
      const m = pkts[i]!;
      mbufPool(m).h16[mbufHeader(m) * 2 + M16_PORT] = this.port; // the port it arrived on
      bytes += mbufPktLen(m);
    }
    this.stats[QueueStat.PACKETS] += got;
    this.stats[QueueStat.BYTES] += bytes;
    return got;
  }
}

class LoopbackTx implements TxQueue {
  private readonly ring: Ring;
  private readonly stats: Float64Array;

  constructor(d: QueueDescriptor<QueueData>) {
    this.ring = Ring.attach(d.data.ring);
    this.stats = queueStats(d.stats);
  }

  /** Takes what fits in the ring; the caller keeps the rest (counted as errors). */
  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const sent = this.ring.enqueueBurst(pkts, start, n);
    let bytes = 0;
    for (let i = start, end = start + sent; i < end; i++) bytes += mbufPktLen(pkts[i]!);
    this.stats[QueueStat.PACKETS] += sent;
    this.stats[QueueStat.BYTES] += bytes;
    this.stats[QueueStat.ERRORS] += n - sent;
    return sent;
  }
}

export function createRxQueue(d: QueueDescriptor<QueueData>): RxQueue {
  return new LoopbackRx(d);
}

export function createTxQueue(d: QueueDescriptor<QueueData>): TxQueue {
  return new LoopbackTx(d);
}
