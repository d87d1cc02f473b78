/**
 * net_null's fast path: the burst functions, rebuilt on any lcore from a QueueDescriptor.
 * The variant is chosen once, when the queue is built, so the bursts have no option branches:
 *   rx: NullRx (set lengths only), CopyRx (also copies a dummy packet in), NoRx (`no-rx=1`)
 *   tx: NullTx (free), CopyTx (copy each packet out to a dummy buffer, then free)
 */
import { MBUF_HEADER_WORDS, MBUF_INDEX_MASK, M16_DATA_OFF, Mempool, mbufFreeBulk, type RxQueue, type TxQueue } from '@dpkit/eal';
import { QueueStat, mbufPktLen, mbufRead, queueStats, type QueueDescriptor } from '@dpkit/eal/driver';

// Imported constants are live bindings that V8 re-checks on every use; module-local
// copies fold into the code (2.4x faster allocBulk, see bench/README.md).
const _MBUF_INDEX_MASK = MBUF_INDEX_MASK;
const _MBUF_HEADER_WORDS = MBUF_HEADER_WORDS;
const _M16_DATA_OFF = M16_DATA_OFF;
const PACKETS = QueueStat.PACKETS;
const BYTES = QueueStat.BYTES;

/** What rx/tx queue setup stores in the descriptor's `data`. */
export interface NullQueueData {
  size: number;
  copy: boolean;
  noRx: boolean;
}

class NullRx implements RxQueue {
  private readonly stats: Float64Array;
  protected readonly pool: Mempool;
  protected readonly size: number;
  private readonly port: number;

  constructor(d: QueueDescriptor<NullQueueData>) {
    this.pool = Mempool.attach(d.pool!);
    this.stats = queueStats(d.stats);
    this.size = d.data.size;
    this.port = d.port;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    // rte_pktmbuf_alloc_bulk, then pkt_len = data_len = size and port, in one pass (the pool's
    // specialised loop once loaded: allocBulkLen is then that module's function)
    if (!this.pool.allocBulkLen(pkts, start, n, this.size, this.port)) return this.noMbuf(n);
    const stats = this.stats;
    stats[PACKETS] += n;
    stats[BYTES] += n * this.size;
    return n;
  }

  /** The pool could not give `n` mbufs: counted as rx_nombuf, nothing received. Out of line: rxBurst's bytecode stays small. */
  private noMbuf(n: number): number {
    this.stats[QueueStat.NOMBUF] += n;
    return 0;
  }
}

class CopyRx extends NullRx {
  private readonly dummy: Uint8Array;

  constructor(d: QueueDescriptor<NullQueueData>) {
    super(d);
    this.dummy = new Uint8Array(d.data.size);
  }

  override rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const nb = super.rxBurst(pkts, start, n);
    // written out rather than mbufWrite: 3 ns/packet less (one pool, one segment, known length)
    const pool = this.pool;
    for (let i = start, end = start + nb; i < end; i++) {
      const m = pkts[i]!;
      const off = pool.bufOffset(m) + pool.h16[(m & _MBUF_INDEX_MASK) * _MBUF_HEADER_WORDS * 2 + _M16_DATA_OFF]!;
      pool.bytes.set(this.dummy, off);
    }
    return nb;
  }
}

const noRx: RxQueue = { rxBurst: () => 0 };

class NullTx implements TxQueue {
  protected readonly stats: Float64Array;

  constructor(d: QueueDescriptor<NullQueueData>) {
    this.stats = queueStats(d.stats);
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const stats = this.stats;
    stats[BYTES] += mbufFreeBulk(pkts, start, n);
    stats[PACKETS] += n;
    return n;
  }
}

class CopyTx extends NullTx {
  private readonly dummy: Uint8Array;

  constructor(d: QueueDescriptor<NullQueueData>) {
    super(d);
    this.dummy = new Uint8Array(d.data.size);
  }

  override txBurst(pkts: Uint32Array, start: number, n: number): number {
    const dummy = this.dummy;
    const size = dummy.length;
    for (let i = start, end = start + n; i < end; i++) {
      // the first `size` bytes of the packet, across its segments
      const m = pkts[i]!;
      const len = mbufPktLen(m);
      mbufRead(m, 0, len < size ? len : size, dummy, 0);
    }
    return super.txBurst(pkts, start, n);
  }
}

export function createRxQueue(d: QueueDescriptor<NullQueueData>): RxQueue {
  if (d.data.noRx) return noRx;
  return d.data.copy ? new CopyRx(d) : new NullRx(d);
}

export function createTxQueue(d: QueueDescriptor<NullQueueData>): TxQueue {
  return d.data.copy ? new CopyTx(d) : new NullTx(d);
}
