/**
 * net_af_xdp's fast path: the four AF_XDP rings of a queue pair's socket, run from JavaScript.
 *
 * rx: the rx ring's descriptors name UMEM frames, which are the rx pool's mbuf buffers; the
 * burst turns each into its mbuf handle, writes the header (length, data offset, port) and
 * gives the fill ring as many fresh mbufs as it took. tx: single-segment mbufs of the UMEM pool
 * go on the tx ring as they are; others are copied into a UMEM mbuf first (one native batched
 * copy per burst and source pool). Completions free the sent mbufs at the next tx burst. A
 * byte per mbuf (`owned`) records what the kernel holds, so the control path can free it all
 * at stop. At most one system call per burst, and only when the kernel's need_wakeup flag asks
 * for it. The rx variant is chosen once, at queue creation: XdpRx, or XdpRxFixCsum with
 * `fix_csum=1`; the bursts test no option.
 */
import {
  MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_NB_SEGS, M16_PORT, M_LEN_OFF, M_NEXT, M_PKT_LEN, Mempool, fixPartialL4Checksum,
  mbufFreeBulk,
  type RxQueue, type TxQueue,
} from '@dpkit/eal';
import { QueueStat, mbufHeaderReset, mempools, queueStats, type QueueDescriptor } from '@dpkit/eal/driver';
import { XskRing, linux, type LinuxBinding } from '@dpkit/eal/linux';

/** XDP_PACKET_HEADROOM: where the kernel puts a received frame's data in copy mode */
export const XDP_HEADROOM = 256;

/** A queue's state, shared by the control path and every lcore that rebuilds the queue. */
export interface XdpQueueData {
  iface: string;
  /** the netdev queues this port queue serves, and their AF_XDP sockets (set at start, empty
   * when stopped); tx uses the first */
  kernelQueues: number[];
  fds: number[];
  nbDesc: number;
  /** id of the pool whose data area is the UMEM */
  umemPool: number;
  /** log2 of the pool's buffer size (= UMEM chunk size) */
  shift: number;
  /** a byte per mbuf of the UMEM pool: how many times the kernel holds it through this queue */
  owned: SharedArrayBuffer;
  /** driver counters (XQ_*) */
  counters: SharedArrayBuffer;
  /** refill the fill ring once this many mbufs are owed to it */
  freeThresh: number;
  /** rx: complete partial TCP/UDP checksums (see @dpkit/eal's fixPartialL4Checksum) */
  fixCsum: boolean;
  /** the sockets have preferred busy polling on: an empty rx poll calls recvfrom, which runs
   * the netdev's NAPI loop in this thread, and tx always kicks */
  busyPoll: boolean;
}

export const XQ_COPIES = 0;
export const XQ_SLOTS = 2;
/** segment copies staged before one copyBatch call */
const COPY_BATCH = 256;

// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const H_NEXT = M_NEXT;
const H_PKT_LEN = M_PKT_LEN;
const H_LEN_OFF = M_LEN_OFF;
const H16_NB_SEGS = M16_NB_SEGS;
const H16_PORT = M16_PORT;
// small enough that V8 inlines it into the burst loops: the same stores as written out
const headerReset = mbufHeaderReset;
const NEED_WAKEUP = 1;
const PACKETS = QueueStat.PACKETS;
const BYTES = QueueStat.BYTES;
const NOMBUF = QueueStat.NOMBUF;

/** One socket's rx and fill rings (a port rx queue may read several: see README). */
class RxSub {
  readonly rx: XskRing;
  readonly fill: XskRing;
  readonly rxw: Uint32Array;
  readonly fillw: Uint32Array;
  /** mbufs the fill ring is owed (taken by rx, not yet replaced) */
  owed = 0;

  constructor(readonly fd: number, nbDesc: number) {
    this.rx = XskRing.map(fd, 'rx', nbDesc);
    this.fill = XskRing.map(fd, 'fill', Math.max(2 * nbDesc, 64));
    this.rxw = this.rx.w;
    this.fillw = this.fill.w;
  }
}

export class XdpRx implements RxQueue {
  private readonly l: LinuxBinding;
  private readonly subs: RxSub[];
  protected readonly pool: Mempool;
  private readonly h32: Uint32Array;
  private readonly h64: Float64Array;
  private readonly owned: Uint8Array;
  private readonly stats: Float64Array;
  private readonly idBits: number;
  private readonly shift: number;
  private readonly offMask: number;
  private readonly port: number;
  private readonly freeThresh: number;
  private readonly scratch: Uint32Array;
  private readonly busyPoll: boolean;
  /** the sub to read first at the next burst (round robin) */
  private next = 0;

  constructor(d: QueueDescriptor<XdpQueueData>) {
    const x = d.data;
    this.l = linux();
    this.pool = Mempool.attach(d.pool!);
    this.subs = x.fds.map((fd) => new RxSub(fd, x.nbDesc));
    this.h32 = this.pool.h32;
    this.h64 = this.pool.h64;
    this.owned = new Uint8Array(x.owned);
    this.stats = queueStats(d.stats);
    this.idBits = (this.pool.id << POOL_SHIFT) >>> 0;
    this.shift = x.shift;
    this.offMask = (1 << x.shift) - 1;
    this.port = d.port;
    this.freeThresh = x.freeThresh;
    this.scratch = new Uint32Array(this.subs[0]!.fill.size);
    this.busyPoll = x.busyPoll;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const subs = this.subs;
    const count = subs.length;
    if (count === 1) return this.burst(subs[0]!, pkts, start, n);
    let got = 0;
    let i = this.next;
    for (let k = 0; k < count && got < n; k++) {
      got += this.burst(subs[i]!, pkts, start + got, n - got);
      i = i + 1 === count ? 0 : i + 1;
    }
    this.next = i;
    return got;
  }

  private burst(sub: RxSub, pkts: Uint32Array, start: number, n: number): number {
    const rw = sub.rxw;
    const rx = sub.rx;
    const cons = rw[rx.cons]!;
    let avail = (Atomics.load(rw, rx.prod) - cons) >>> 0;
    if (avail === 0) {
      if (sub.owed > 0) this.refill(sub);
      else if (this.busyPoll || (Atomics.load(sub.fillw, sub.fill.flags) & NEED_WAKEUP) !== 0) this.l.xskWakeup(sub.fd);
      return 0;
    }
    if (avail > n) avail = n;
    const h32 = this.h32;
    const h64 = this.h64;
    const owned = this.owned;
    const desc = rx.desc;
    const mask = rx.mask;
    const shift = this.shift;
    const offMask = this.offMask;
    const idBits = this.idBits;
    const port = this.port;
    let bytes = 0;
    for (let k = 0; k < avail; k++) {
      const e = desc + (((cons + k) & mask) << 2);
      const addr = rw[e]!;
      const len = rw[e + 2]!;
      const idx = addr >>> shift;
      // the frame's data starts where the kernel put it (XDP headroom in copy mode)
      headerReset(h32, h64, idx << 4, addr & offMask, len, port);
      owned[idx] = 0;
      pkts[start + k] = (idBits | idx) >>> 0;
      bytes += len;
    }
    this.frames(rw, desc, mask, cons, avail);
    Atomics.store(rw, rx.cons, (cons + avail) >>> 0);
    const st = this.stats;
    st[PACKETS] += avail;
    st[BYTES] += bytes;
    sub.owed += avail;
    if (sub.owed >= this.freeThresh) this.refill(sub);
    return avail;
  }

  /** What a variant does to the burst's frames (rx descriptors cons..cons+n, still ours). */
  protected frames(_rw: Uint32Array, _desc: number, _mask: number, _cons: number, _n: number): void {}

  /** Gives a fill ring the mbufs it is owed (all or, if the pool is short, none). */
  private refill(sub: RxSub): void {
    const n = sub.owed;
    const s = this.scratch;
    if (!this.pool.getBulk(s, 0, n)) {
      this.stats[NOMBUF] += n;
      return;
    }
    const fw = sub.fillw;
    const fill = sub.fill;
    const prod = fw[fill.prod]!;
    const desc = fill.desc;
    const mask = fill.mask;
    const shift = this.shift;
    const owned = this.owned;
    for (let k = 0; k < n; k++) {
      const idx = s[k]! & INDEX_MASK;
      const e = desc + (((prod + k) & mask) << 1);
      fw[e] = idx << shift;
      fw[e + 1] = 0;
      owned[idx] = 1;
    }
    Atomics.store(fw, fill.prod, (prod + n) >>> 0);
    sub.owed = 0;
    if ((Atomics.load(fw, fill.flags) & NEED_WAKEUP) !== 0) this.l.xskWakeup(sub.fd);
  }

  release(): void {
    // mbufs owed to the fill rings are not taken yet: nothing to give back
    for (const sub of this.subs) {
      sub.rx.unmap();
      sub.fill.unmap();
    }
  }
}

/**
 * `fix_csum=1`: completes the partial TCP/UDP checksums of the burst's frames (see README and
 * @dpkit/eal's fixPartialL4Checksum), in a second pass over the rx descriptors.
 */
export class XdpRxFixCsum extends XdpRx {
  private readonly bytes: Uint8Array;
  private readonly dataOffset: number;

  constructor(d: QueueDescriptor<XdpQueueData>) {
    super(d);
    this.bytes = this.pool.bytes;
    this.dataOffset = this.pool.dataOffset;
  }

  protected override frames(rw: Uint32Array, desc: number, mask: number, cons: number, n: number): void {
    const bytes = this.bytes;
    const base = this.dataOffset;
    for (let k = 0; k < n; k++) {
      const e = desc + (((cons + k) & mask) << 2);
      fixPartialL4Checksum(bytes, base + rw[e]!, rw[e + 2]!);
    }
  }
}

class XdpTx implements TxQueue {
  private readonly l: LinuxBinding;
  private readonly fd: number;
  private readonly tx: XskRing;
  private readonly comp: XskRing;
  private readonly txw: Uint32Array;
  private readonly compw: Uint32Array;
  private readonly umem: Mempool;
  private readonly umemId: number;
  private readonly owned: Uint8Array;
  private readonly stats: Float64Array;
  private readonly counters: Float64Array;
  private readonly idBits: number;
  private readonly shift: number;
  private readonly done: Uint32Array;
  private readonly one = new Uint32Array(1);
  private readonly busyPoll: boolean;
  /** staged copies into the UMEM (source offset, UMEM offset, length), all from `copyFrom` */
  private readonly triples = new Uint32Array(3 * COPY_BATCH);
  private staged = 0;
  private copyFrom: Mempool | undefined;
  /** the copied packets of this burst, freed once their bytes are in the UMEM */
  private readonly originals: Uint32Array;
  private nbOriginals = 0;

  constructor(d: QueueDescriptor<XdpQueueData>) {
    const x = d.data;
    this.l = linux();
    this.fd = x.fds[0]!;
    this.umem = mempools[x.umemPool]!;
    this.umemId = x.umemPool;
    this.tx = XskRing.map(this.fd, 'tx', x.nbDesc);
    this.comp = XskRing.map(this.fd, 'completion', Math.max(x.nbDesc, 64));
    this.txw = this.tx.w;
    this.compw = this.comp.w;
    this.owned = new Uint8Array(x.owned);
    this.stats = queueStats(d.stats);
    this.counters = new Float64Array(x.counters);
    this.idBits = (x.umemPool << POOL_SHIFT) >>> 0;
    this.shift = x.shift;
    this.done = new Uint32Array(this.comp.size);
    this.busyPoll = x.busyPoll;
    this.originals = new Uint32Array(this.tx.size);
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    this.reap();
    const tw = this.txw;
    const tx = this.tx;
    const prod = tw[tx.prod]!;
    const room = tx.size - ((prod - Atomics.load(tw, tx.cons)) >>> 0);
    if (n > room) n = room;
    const umemId = this.umemId;
    const h32 = this.umem.h32;
    const h16 = this.umem.h16;
    const owned = this.owned;
    const shift = this.shift;
    const desc = tx.desc;
    const mask = tx.mask;
    let sent = 0;
    let bytes = 0;
    for (; sent < n; sent++) {
      let m = pkts[start + sent]!;
      let b = (m & INDEX_MASK) << 4;
      if (m >>> POOL_SHIFT !== umemId || h16[(b << 1) + H16_NB_SEGS] !== 1) {
        m = this.stageCopy(m);
        if (m < 0) break;
        b = (m & INDEX_MASK) << 4;
      }
      const lenOff = h32[b + H_LEN_OFF]!;
      const len = lenOff & 0xffff;
      const idx = m & INDEX_MASK;
      const e = desc + (((prod + sent) & mask) << 2);
      tw[e] = (idx << shift) + (lenOff >>> 16);
      tw[e + 1] = 0;
      tw[e + 2] = len;
      tw[e + 3] = 0;
      owned[idx]! += 1;
      bytes += len;
    }
    // the copies land before the kernel sees their descriptors
    if (this.nbOriginals > 0) this.finishCopies();
    if (sent > 0) Atomics.store(tw, tx.prod, (prod + sent) >>> 0);
    if ((this.busyPoll || (Atomics.load(tw, tx.flags) & NEED_WAKEUP) !== 0) && tw[tx.prod] !== Atomics.load(tw, tx.cons)) this.l.xskKick(this.fd);
    const st = this.stats;
    st[PACKETS] += sent;
    st[BYTES] += bytes;
    return sent;
  }

  /** Frees the mbufs the kernel has finished sending. */
  private reap(): void {
    const cw = this.compw;
    const comp = this.comp;
    const cons = cw[comp.cons]!;
    const n = (Atomics.load(cw, comp.prod) - cons) >>> 0;
    if (n === 0) return;
    const done = this.done;
    const owned = this.owned;
    const shift = this.shift;
    const idBits = this.idBits;
    const desc = comp.desc;
    const mask = comp.mask;
    for (let k = 0; k < n; k++) {
      const idx = cw[desc + (((cons + k) & mask) << 1)]! >>> shift;
      owned[idx]! -= 1;
      done[k] = (idBits | idx) >>> 0;
    }
    Atomics.store(cw, comp.cons, (cons + n) >>> 0);
    mbufFreeBulk(done, 0, n);
  }

  /**
   * Takes a fresh mbuf of the UMEM pool for packet `m` (any pool, any number of segments),
   * writes its header and stages the copy of `m`'s bytes into it (done by finishCopies, with
   * `m` freed then); returns the new handle, or -1 (m untouched) when the pool is empty or the
   * packet does not fit one buffer.
   */
  private stageCopy(m: number): number {
    const src = mempools[m >>> POOL_SHIFT]!;
    const sb = (m & INDEX_MASK) << 4;
    const pktLen = src.h32[sb + H_PKT_LEN]!;
    const umem = this.umem;
    if (umem.headroom + pktLen > umem.eltSize) return -1;
    const one = this.one;
    if (!umem.getBulk(one, 0, 1)) return -1;
    const c = one[0]!;
    const cb = (c & INDEX_MASK) << 4;
    const t = this.triples;
    let at = umem.bufOffset(c) + umem.headroom;
    for (let s = m; ;) {
      const p = mempools[s >>> POOL_SHIFT]!;
      // one native call per source pool (one per burst in the usual case)
      if (p !== this.copyFrom || this.staged === COPY_BATCH) {
        this.copyStaged();
        this.copyFrom = p;
      }
      const b = (s & INDEX_MASK) << 4;
      const lo = p.h32[b + H_LEN_OFF]!;
      const len = lo & 0xffff;
      const ti = this.staged * 3;
      t[ti] = p.bufOffset(s) + (lo >>> 16);
      t[ti + 1] = at;
      t[ti + 2] = len;
      this.staged++;
      at += len;
      const next = p.h32[b + H_NEXT]!;
      if (next === 0) break;
      s = next - 1;
    }
    headerReset(umem.h32, umem.h64, cb, umem.headroom, pktLen, src.h16[(sb << 1) + H16_PORT]!);
    this.originals[this.nbOriginals++] = m;
    this.counters[XQ_COPIES]! += 1;
    return c;
  }

  /** Runs the staged copies (copyBatch: memcpy per triple) from `copyFrom` into the UMEM. */
  private copyStaged(): void {
    if (this.staged > 0) this.l.copyBatch(this.umem.bytes, this.copyFrom!.bytes, this.triples, this.staged);
    this.staged = 0;
  }

  /** Ends a burst's copies: the last batch, then the originals go back to their pools. */
  private finishCopies(): void {
    this.copyStaged();
    this.copyFrom = undefined;
    mbufFreeBulk(this.originals, 0, this.nbOriginals);
    this.nbOriginals = 0;
  }

  release(): void {
    this.tx.unmap();
    this.comp.unmap();
  }
}

export function createRxQueue(d: QueueDescriptor<XdpQueueData>): RxQueue {
  return d.data.fixCsum ? new XdpRxFixCsum(d) : new XdpRx(d);
}

export function createTxQueue(d: QueueDescriptor<XdpQueueData>): TxQueue {
  return new XdpTx(d);
}
