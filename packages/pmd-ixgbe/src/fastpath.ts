/**
 * net_ixgbe's fast path: rx and tx bursts on an 82599 queue pair's descriptor rings, rebuilt on
 * any lcore from a QueueDescriptor. Everything a burst touches is reachable from any thread:
 * the descriptor rings are a memfd region of the port's own and the rx buffers memfd mempools
 * (MemoryRegion.attach and Mempool.attach map them by fd), the register window is mapped again
 * here from its fd (mapFd), and the software state of a
 * queue (the mbuf at each descriptor, the next descriptor, the refill trigger...) lives in
 * SharedArrayBuffers made at queue setup, so a queue polled by the main thread and then by a
 * worker goes on where it was.
 *
 * Ownership, as the datasheet has it (§7.1.9 receive ring, §7.2.3 transmit ring): software owns
 * the tail registers (RDT, TDT), the hardware the heads (RDH, TDH). Descriptors [head, tail) are
 * the hardware's. A burst never reads a head register: the DD bit the hardware writes back in a
 * descriptor says that descriptor is done, so the head is only an index the hardware keeps for
 * itself. A tail write is the doorbell: one store into the mapped register page per burst at
 * most, never a system call. Nothing here allocates, uses BigInt or throws per packet.
 */
import { M16_DATA_LEN, M16_DATA_OFF, M16_NB_SEGS, M_NEXT, M_OL_FLAGS, M_PACKET_TYPE, M_PKT_LEN, M_RSS_HASH, Mempool, OlFlags, type MempoolDescriptor } from '@dpkit/eal';
import {
  MemoryRegion, QueueStat, mbufFreeBulk, mbufHeaderReset, mbufRead, mempools, queueStats, type QueueDescriptor, type RegionDescriptor, type RxQueue, type TxQueue,
} from '@dpkit/eal/driver';
import { linux } from '@dpkit/eal/linux';
import * as desc from '@dpkit/ixgbe-defs/descriptors';
import { BAR0_SIZE } from '@dpkit/ixgbe-defs/regs';

/** What rx queue setup returns (the fields marked "start" are filled when the port starts). */
export interface IxgbeRxData {
  nbDesc: number;
  /** descriptors refilled at once, and the distance between two RDT writes */
  freeThresh: number;
  /** the mbuf at each descriptor (NONE: none), Uint32Array(nbDesc) */
  sw: SharedArrayBuffer;
  /** RX_* slots below, Uint32Array */
  state: SharedArrayBuffer;
  /** start: the register window's fd, the word index of this queue's rx block in it */
  regsFd: number;
  block: number;
  /** start: the port's ring memory (a memfd region, its IOVA slot << 32 | byte offset), the ring's first word in it */
  ring: RegionDescriptor | undefined;
  ringWord: number;
  /** start: the high word of the rx pool's IOVA (its low word is a byte offset in the pool's region) */
  poolHi: number;
}

/** What tx queue setup returns. */
export interface IxgbeTxData {
  nbDesc: number;
  rsThresh: number;
  freeThresh: number;
  /** the head of each packet at its last descriptor (NONE elsewhere), Uint32Array(nbDesc) */
  sw: SharedArrayBuffer;
  /** the RS descriptors not yet seen done, a ring of nbDesc indexes, Uint32Array */
  rs: SharedArrayBuffer;
  state: SharedArrayBuffer;
  /** counters of this queue beyond QueueStat: TXC_* slots, Float64Array */
  counters: SharedArrayBuffer;
  regsFd: number;
  block: number;
  ring: RegionDescriptor | undefined;
  ringWord: number;
  /** start: per pool id, the high word of its IOVA, 0 for a pool not registered for DMA (Uint32Array(256)) */
  dmaHi: SharedArrayBuffer;
  /** start: the pool mbufs of unregistered pools are copied into (the paired rx queue's) */
  bounce: MempoolDescriptor | undefined;
}

export const NONE = 0xFFFFFFFF;
/** rx state slots */
export const RX_NEXT = 0; // the next descriptor to look at (DPDK's rx_tail)
export const RX_REFILL = 1; // the first descriptor of the next refill batch
export const RX_HELD = 2; // descriptors taken and not yet refilled
export const RX_FIRST = 3; // a frame whose EOP has not come yet: its first and last segment
export const RX_LAST = 4;
export const RX_SLOTS = 5;
/** tx state slots */
export const TX_TAIL = 0; // the next descriptor to write (what TDT gets)
export const TX_FREE = 1; // descriptors free to write
export const TX_USED = 2; // descriptors written since the last RS
export const TX_CLEAN = 3; // the last descriptor whose packet was freed
export const TX_RS_HEAD = 4; // RS queue: oldest, next free slot
export const TX_RS_TAIL = 5;
export const TX_SLOTS = 6;
export const TXC_COPIES = 0;
export const TXC_SLOTS = 1;

// register words within a queue's block (offset from RDBAL/TDBAL, §8.2.3.8 / §8.2.3.9)
export const RDBAL_W = 0, RDBAH_W = 1, RDLEN_W = 2, RDH_W = 4, SRRCTL_W = 5, RDT_W = 6, RXDCTL_W = 10;
export const TDBAL_W = 0, TDBAH_W = 1, TDLEN_W = 2, TDH_W = 4, TDT_W = 6, TXDCTL_W = 10, TDWBAL_W = 14, TDWBAH_W = 15;

// module-local copies of the imported constants (live bindings are re-checked on every use)
const DD = desc.RXD_STAT_DD, EOP = desc.RXD_STAT_EOP, FLM = desc.RXD_STAT_FLM;
const WB_INFO = desc.RXD_WB_LO_DWORD, WB_HASH = desc.RXD_WB_HI_DWORD, WB_STATUS = desc.RXD_WB_STATUS_ERROR, WB_LEN = desc.RXD_WB_LENGTH_VLAN;
const RSSTYPE = desc.RXD_RSSTYPE_MASK;
const TX_CMD = desc.TXD_DTYP_DATA | desc.TXD_DCMD_DEXT | desc.TXD_DCMD_IFCS;
const TX_EOP = desc.TXD_DCMD_EOP, TX_RS = desc.TXD_DCMD_RS, PAYLEN = desc.TXD_PAYLEN_SHIFT, TX_DD = desc.TXD_STAT_DD;
const _M_NEXT = M_NEXT, _M_PKT_LEN = M_PKT_LEN, _M_RSS_HASH = M_RSS_HASH, _M_OL_FLAGS = M_OL_FLAGS, _M_PACKET_TYPE = M_PACKET_TYPE;
const _M16_DATA_LEN = M16_DATA_LEN, _M16_DATA_OFF = M16_DATA_OFF, _M16_NB_SEGS = M16_NB_SEGS;
const F_RSS = OlFlags.RX_RSS_HASH, F_FDIR = OlFlags.RX_FDIR;
const pools = mempools;
/** what a tx burst's pool views hold before its first packet (keeps their types monomorphic) */
const EMPTY32: Uint32Array = new Uint32Array(0), EMPTY16: Uint16Array = new Uint16Array(0);

/**
 * RTE_PTYPE_* of each value of pkt_info's packet type (bits 15:4, §7.1.6.2), built once. With
 * the ETQF bit the low bits are an EtherType filter's index, not protocols: L2 only.
 */
const PTYPE = (() => {
  const t = new Uint32Array(4096);
  for (let v = 0; v < 4096; v++) {
    const bits = v << 4;
    let p = 0x1; // RTE_PTYPE_L2_ETHER
    if (!(bits & desc.RXD_PKTTYPE_ETQF)) {
      if (bits & desc.RXD_PKTTYPE_IPV4_EX) p |= 0x30; // L3_IPV4_EXT
      else if (bits & desc.RXD_PKTTYPE_IPV4) p |= 0x10; // L3_IPV4
      if (bits & desc.RXD_PKTTYPE_IPV6_EX) p |= 0xc0; // L3_IPV6_EXT
      else if (bits & desc.RXD_PKTTYPE_IPV6) p |= 0x40; // L3_IPV6
      if (bits & desc.RXD_PKTTYPE_TCP) p |= 0x100; // L4_TCP
      else if (bits & desc.RXD_PKTTYPE_UDP) p |= 0x200; // L4_UDP
      else if (bits & desc.RXD_PKTTYPE_SCTP) p |= 0x400; // L4_SCTP
    }
    t[v] = p;
  }
  return t;
})();

/** This thread's mapping of the register window (unmapped by the queue's release()). */
function mapWindow(fd: number): Uint32Array {
  return new Uint32Array(linux('net_ixgbe fast path').mapFd(fd, BAR0_SIZE));
}

/**
 * What both directions of a queue hold: this thread's mapping of the register window and the
 * index of the queue's tail (the doorbell), the descriptor ring, the software ring (the mbuf
 * at each descriptor) and the shared state.
 */
abstract class RingQueue {
  protected readonly regs: Uint32Array;
  protected readonly tail: number;
  protected readonly ring: Uint32Array;
  protected readonly base: number;
  protected readonly sw: Uint32Array;
  protected readonly st: Uint32Array;
  protected readonly stats: Float64Array;

  constructor(d: QueueDescriptor<IxgbeRxData | IxgbeTxData>, tailWord: number) {
    this.regs = mapWindow(d.data.regsFd);
    this.tail = d.data.block + tailWord;
    // this thread's mapping of the ring region (unmapped by release())
    this.ring = new Uint32Array(MemoryRegion.attach(d.data.ring!).buffer);
    this.base = d.data.ringWord;
    this.sw = new Uint32Array(d.data.sw);
    this.st = new Uint32Array(d.data.state);
    this.stats = queueStats(d.stats);
  }

  release(): void {
    linux().unmap(this.regs.buffer);
    linux().unmap(this.ring.buffer);
  }
}

class IxgbeRx extends RingQueue implements RxQueue {
  private readonly pool: Mempool;
  private readonly h32: Uint32Array;
  private readonly h16: Uint16Array;
  private readonly h64: Float64Array;
  private readonly n: number;
  private readonly thresh: number;
  private readonly port: number;
  private readonly hi: number;
  private readonly dataOffset: number;
  private readonly eltSize: number;
  private readonly headroom: number;

  constructor(d: QueueDescriptor<IxgbeRxData>) {
    super(d, RDT_W);
    this.pool = Mempool.attach(d.pool!);
    this.h32 = this.pool.h32;
    this.h16 = this.pool.h16;
    this.h64 = this.pool.h64;
    this.n = d.data.nbDesc;
    this.thresh = d.data.freeThresh;
    this.port = d.port;
    this.hi = d.data.poolHi;
    this.dataOffset = this.pool.dataOffset;
    this.eltSize = this.pool.eltSize;
    this.headroom = this.pool.headroom;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const ring = this.ring, sw = this.sw, st = this.st, h32 = this.h32, h16 = this.h16, h64 = this.h64;
    const base = this.base, size = this.n, port = this.port, headroom = this.headroom;
    const i0 = st[RX_NEXT]!;
    // How many descriptors are done: a plain scan of DD from the next one, at most n (a frame
    // takes at least one), then ONE atomic load, of the last done descriptor's status. The device
    // writes descriptors back in ring order, each with its status dword last (a release store),
    // so once that load reads DD every write-back before it is visible too (on any CPU), and the
    // loads below, after the atomic load in program order, read complete write-backs. (An atomic
    // load per descriptor costs a builtin call each, ~5 ns here; plain loads ~0.6 ns.)
    let done = 0;
    for (let j = i0; done < n; done++) {
      if (!(ring[base + (j << 2) + WB_STATUS]! & DD)) break;
      j = j + 1 === size ? 0 : j + 1;
    }
    let got = 0;
    if (done > 0) {
      const lastDone = i0 + done - 1;
      Atomics.load(ring, base + ((lastDone >= size ? lastDone - size : lastDone) << 2) + WB_STATUS);
      // the frame in progress, as int32 (NONE is -1 here): a uint32 above 2^31 would be boxed per call
      let first = st[RX_FIRST]! | 0;
      let last = st[RX_LAST]! | 0;
      let bytes = 0;
      let i = i0;
      for (let k = 0; k < done; k++) {
        const w = base + (i << 2);
        const status = ring[w + WB_STATUS]!;
        const len = ring[w + WB_LEN]! & 0xFFFF;
        const m = sw[i]!;
        sw[i] = NONE;
        const b = (m & 0xFFFFFF) << 4;
        mbufHeaderReset(h32, h64, b, headroom, len, port);
        if (first === -1) {
          first = m | 0;
        } else {
          // a segment of the frame in progress: chained after the last one
          h32[((last & 0xFFFFFF) << 4) + _M_NEXT] = m + 1;
          const fb = (first & 0xFFFFFF) << 4;
          h32[fb + _M_PKT_LEN] = h32[fb + _M_PKT_LEN]! + len;
          h16[(fb << 1) + _M16_NB_SEGS] = h16[(fb << 1) + _M16_NB_SEGS]! + 1;
        }
        last = m | 0;
        i = i + 1 === size ? 0 : i + 1;
        if (status & EOP) {
          // the EOP descriptor's write-back describes the frame (as DPDK reads it)
          const fb = (first & 0xFFFFFF) << 4;
          const info = ring[w + WB_INFO]!;
          h32[fb + _M_PACKET_TYPE] = PTYPE[(info >>> 4) & 0xFFF]!;
          if (status & FLM) {
            h32[fb + _M_RSS_HASH] = ring[w + WB_HASH]!;
            h32[fb + _M_OL_FLAGS] = F_FDIR;
          } else if (info & RSSTYPE) {
            h32[fb + _M_RSS_HASH] = ring[w + WB_HASH]!;
            h32[fb + _M_OL_FLAGS] = F_RSS;
          }
          bytes += first === (m | 0) ? len : h32[fb + _M_PKT_LEN]!; // one segment: its length
          pkts[start + got++] = first;
          first = -1;
        }
      }
      st[RX_NEXT] = i;
      st[RX_HELD] = st[RX_HELD]! + done;
      st[RX_FIRST] = first;
      st[RX_LAST] = last;
      this.stats[QueueStat.PACKETS] += got;
      this.stats[QueueStat.BYTES] += bytes;
    }
    if (st[RX_HELD]! >= this.thresh) this.refill();
    return got;
  }

  /**
   * Gives the descriptors taken back to the device in batches of rx_free_thresh: one getBulk of
   * exactly that many mbufs straight into the software ring (a batch starts at a multiple of
   * the threshold, which divides the ring: it never wraps), each descriptor in read format, then
   * RDT to the last descriptor of the last batch. A pool that cannot give a batch is counted
   * (rx_nombuf) and asked again next burst.
   */
  private refill(): void {
    const ring = this.ring, sw = this.sw, st = this.st, base = this.base, thresh = this.thresh;
    const dataOffset = this.dataOffset, eltSize = this.eltSize, headroom = this.headroom, hi = this.hi;
    let held = st[RX_HELD]!;
    let r = st[RX_REFILL]!;
    let tail = -1;
    while (held >= thresh) {
      if (!this.pool.getBulk(sw, r, thresh)) {
        this.stats[QueueStat.NOMBUF] += thresh;
        break;
      }
      for (let k = 0; k < thresh; k++, r++) {
        const w = base + (r << 2);
        // read format (§7.1.6.1): packet buffer address; header address 0, which clears DD
        ring[w] = dataOffset + (sw[r]! & 0xFFFFFF) * eltSize + headroom;
        ring[w + 1] = hi;
        ring[w + 2] = 0;
        ring[w + 3] = 0;
      }
      tail = r - 1;
      if (r === this.n) r = 0;
      held -= thresh;
    }
    st[RX_REFILL] = r;
    st[RX_HELD] = held;
    if (tail >= 0) Atomics.store(this.regs, this.tail, tail); // the doorbell, after every descriptor store
  }
}

class IxgbeTx extends RingQueue implements TxQueue {
  private readonly rs: Uint32Array;
  private readonly counters: Float64Array;
  private readonly dmaHi: Uint32Array;
  private readonly bounce: Mempool | undefined;
  private readonly freeBuf: Uint32Array;
  private readonly n: number;
  private readonly rsThresh: number;
  private readonly freeThresh: number;

  constructor(d: QueueDescriptor<IxgbeTxData>) {
    super(d, TDT_W);
    this.rs = new Uint32Array(d.data.rs);
    this.counters = new Float64Array(d.data.counters);
    this.dmaHi = new Uint32Array(d.data.dmaHi);
    this.bounce = d.data.bounce ? Mempool.attach(d.data.bounce) : undefined;
    this.n = d.data.nbDesc;
    this.rsThresh = d.data.rsThresh;
    this.freeThresh = d.data.freeThresh;
    this.freeBuf = new Uint32Array(this.n);
  }

  /**
   * Frees the packets of every RS descriptor the hardware has written back (DD), oldest first,
   * stopping at the first one not done: what the hardware is still reading stays untouched.
   */
  private clean(): void {
    const st = this.st, rs = this.rs, sw = this.sw, size = this.n, ring = this.ring, base = this.base, freeBuf = this.freeBuf;
    let head = st[TX_RS_HEAD]!;
    const rsTail = st[TX_RS_TAIL]!;
    let clean = st[TX_CLEAN]!;
    let free = st[TX_FREE]!;
    let k = 0;
    while (head !== rsTail) {
      const d = rs[head]!;
      if (!(Atomics.load(ring, base + (d << 2) + 3) & TX_DD)) break;
      while (clean !== d) {
        clean = clean + 1 === size ? 0 : clean + 1;
        const m = sw[clean]! | 0; // NONE is -1 here (a uint32 above 2^31 is boxed)
        if (m !== -1) {
          freeBuf[k++] = m;
          sw[clean] = NONE;
        }
        free++;
      }
      head = head + 1 === size ? 0 : head + 1;
    }
    if (k) mbufFreeBulk(freeBuf, 0, k);
    st[TX_RS_HEAD] = head;
    st[TX_CLEAN] = clean;
    st[TX_FREE] = free;
  }

  /** An mbuf of a pool the NIC cannot reach, copied into one buffer of the bounce pool; NONE if it cannot be. */
  private copy(m: number, len: number): number {
    const bounce = this.bounce;
    if (!bounce || len > bounce.eltSize - bounce.headroom) return NONE;
    const c = bounce.alloc();
    if (c < 0) return NONE;
    mbufRead(m, 0, len, bounce.bytes, bounce.bufOffset(c) + bounce.headroom);
    const b = (c & 0xFFFFFF) << 4;
    bounce.h32[b + _M_PKT_LEN] = len;
    bounce.h16[(b << 1) + _M16_DATA_LEN] = len;
    this.counters[TXC_COPIES]! += 1;
    return c;
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const st = this.st, ring = this.ring, sw = this.sw, size = this.n, dmaHi = this.dmaHi, base = this.base, rsThresh = this.rsThresh;
    if (st[TX_FREE]! < this.freeThresh) this.clean();
    let tail = st[TX_TAIL]!;
    let free = st[TX_FREE]!;
    let used = st[TX_USED]!;
    let rsTail = st[TX_RS_TAIL]!;
    let sent = 0;
    let bytes = 0;
    let errors = 0;
    // the pool of the packet before (packets of a burst mostly come from one pool): its views
    let poolId = -1;
    let h32 = EMPTY32, h16 = EMPTY16, dataOffset = 0, eltSize = 0, hi = 0;
    for (; sent < n; sent++) {
      let m = pkts[start + sent]!;
      if (m >>> 24 !== poolId) {
        poolId = m >>> 24;
        const pool = pools[poolId]!;
        h32 = pool.h32;
        h16 = pool.h16;
        dataOffset = pool.dataOffset;
        eltSize = pool.eltSize;
        hi = dmaHi[poolId]!;
      }
      const b = (m & 0xFFFFFF) << 4;
      const len = h32[b + _M_PKT_LEN]!;
      // a packet the NIC cannot reach whole (its pool, or a later segment's, is not registered
      // for DMA) is copied into one buffer: one descriptor
      let copy = hi === 0;
      let segs = copy ? 1 : h16[(b << 1) + _M16_NB_SEGS]!;
      if (segs > 1 && !this.reachable(m)) {
        copy = true;
        segs = 1;
      }
      if (segs > free) {
        st[TX_FREE] = free;
        this.clean();
        free = st[TX_FREE]!;
        if (segs > free) break; // no room: the caller keeps this packet and the rest
      }
      let d = tail;
      if (segs === 1 && !copy) {
        // one segment from a registered pool: one advanced data descriptor (§7.2.3.2.4), EOP
        const w = base + (tail << 2);
        ring[w] = dataOffset + (m & 0xFFFFFF) * eltSize + h16[(b << 1) + _M16_DATA_OFF]!;
        ring[w + 1] = hi;
        ring[w + 2] = TX_CMD | TX_EOP | h16[(b << 1) + _M16_DATA_LEN]!;
        ring[w + 3] = len << PAYLEN;
        tail = tail + 1 === size ? 0 : tail + 1;
      } else {
        if (copy) {
          const c = this.copy(m, len);
          this.freeBuf[0] = m;
          mbufFreeBulk(this.freeBuf, 0, 1);
          if (c === NONE) {
            // cannot reach the NIC: dropped and counted (oerrors), never queued
            errors++;
            continue;
          }
          m = c;
        }
        d = this.writeChain(m, segs, len, tail);
        tail = d + 1 === size ? 0 : d + 1;
      }
      sw[d] = m; // the packet is freed once its last descriptor is done
      free -= segs;
      used += segs;
      if (used >= rsThresh) {
        // report status on this packet's last descriptor: DD comes back there when it has left
        const w = base + (d << 2);
        ring[w + 2] = ring[w + 2]! | TX_RS;
        this.rs[rsTail] = d;
        rsTail = rsTail + 1 === size ? 0 : rsTail + 1;
        used = 0;
      }
      bytes += len;
    }
    st[TX_FREE] = free;
    st[TX_USED] = used;
    st[TX_RS_TAIL] = rsTail;
    if (tail !== st[TX_TAIL]) {
      st[TX_TAIL] = tail;
      Atomics.store(this.regs, this.tail, tail); // the doorbell, once per burst, after every descriptor store
    }
    this.stats[QueueStat.PACKETS] += sent - errors;
    this.stats[QueueStat.BYTES] += bytes;
    this.stats[QueueStat.ERRORS] += errors;
    return sent;
  }

  /** Whether every segment of the chain from `m` is in a pool registered for DMA with the NIC (multi-segment packets only). */
  private reachable(m: number): boolean {
    const dmaHi = this.dmaHi;
    for (let s = m; s >= 0; ) {
      if (dmaHi[s >>> 24] === 0) return false;
      s = pools[s >>> 24]!.h32[((s & 0xFFFFFF) << 4) + _M_NEXT]! - 1;
    }
    return true;
  }

  /**
   * The descriptors of a packet of `segs` segments (or of a copy: one), from `tail` on: one
   * advanced data descriptor per segment (§7.2.3.2.4), PAYLEN on the first, EOP on the last.
   * Returns the last descriptor's index.
   */
  private writeChain(m: number, segs: number, len: number, tail: number): number {
    const ring = this.ring, sw = this.sw, size = this.n, dmaHi = this.dmaHi;
    let s = m;
    let d = tail;
    for (let k = 0; k < segs; k++) {
      const p = pools[s >>> 24]!;
      const b = (s & 0xFFFFFF) << 4;
      const dataLen = p.h16[(b << 1) + _M16_DATA_LEN]!;
      const w = this.base + (tail << 2);
      ring[w] = p.dataOffset + (s & 0xFFFFFF) * p.eltSize + p.h16[(b << 1) + _M16_DATA_OFF]!;
      ring[w + 1] = dmaHi[s >>> 24]!;
      ring[w + 2] = TX_CMD | (k === segs - 1 ? TX_EOP : 0) | dataLen;
      ring[w + 3] = k === 0 ? len << PAYLEN : 0;
      sw[tail] = NONE;
      d = tail;
      tail = tail + 1 === size ? 0 : tail + 1;
      s = p.h32[b + _M_NEXT]! - 1;
    }
    return d;
  }
}

export function createRxQueue(d: QueueDescriptor<IxgbeRxData>): RxQueue {
  return new IxgbeRx(d);
}

export function createTxQueue(d: QueueDescriptor<IxgbeTxData>): TxQueue {
  return new IxgbeTx(d);
}
