/**
 * net_af_packet's fast path: a TPACKET_V3 socket's rx and tx rings, run from JavaScript over
 * the mapping (rx ring first, then tx ring; see packetOpen in @dpkit/eal's addon).
 *
 * rx: the kernel fills blocks of frames and flips a block's status to TP_STATUS_USER when it
 * hands it over. The burst walks the handed-over blocks, takes mbufs for as many frames as it
 * reads, queues one copy per frame, makes all copies in one native call, and only then gives
 * the finished blocks back (TP_STATUS_KERNEL) — a block is the kernel's again the moment its
 * status changes. Where it stopped (block, frames left, offset) lives in shared memory, so a
 * queue rebuilt on another lcore goes on from there.
 *
 * tx: a ring of fixed frames. The burst copies each mbuf chain into the next free frame (one
 * native call for all), then marks the frames TP_STATUS_SEND_REQUEST, frees the mbufs and
 * makes one sendto.
 */
import {
  MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_VLAN_TCI, M_LEN_OFF, M_NEXT, M_OL_FLAGS, M_PKT_LEN, Mempool,
  OlFlags, fixPartialL4Checksum, mbufFreeBulk,
  type RxQueue, type TxQueue,
} from '@dpkit/eal';
import { QueueStat, mbufHeaderReset, mempools, queueStats, type QueueDescriptor } from '@dpkit/eal/driver';
import { linux, type LinuxBinding } from '@dpkit/eal/linux';

/** A queue pair's socket and ring geometry, shared by the control path and every lcore. */
export interface PacketQueueData {
  /** the socket (set at start; -1 while stopped) */
  fd: number;
  rxBytes: number;
  txBytes: number;
  blockSize: number;
  blockCount: number;
  frameSize: number;
  txFrames: number;
  /** rx progress and tx position (PS_* slots), kept across rebuilds of the queue */
  state: SharedArrayBuffer;
  /** driver counters (PC_* slots) */
  counters: SharedArrayBuffer;
}

export const PS_BLOCK = 0;
export const PS_LEFT = 1;
export const PS_OFFSET = 2;
export const PS_TX_FRAME = 3;
export const PS_SLOTS = 4;
export const PC_TX_RING_FULL = 0;
export const PC_RX_TOO_LONG = 1;
export const PC_TX_TOO_LONG = 2;
export const PC_SLOTS = 3;

/** where a V3 tx frame's data starts: TPACKET3_HDRLEN - sizeof(struct sockaddr_ll) */
export const TX_DATA_OFFSET = 48;

// linux/if_packet.h
const TP_STATUS_KERNEL = 0;
const TP_STATUS_USER = 1;
const TP_STATUS_SEND_REQUEST = 1;
const TP_STATUS_SENDING = 2;
const TP_STATUS_CSUMNOTREADY = 1 << 3;
const TP_STATUS_VLAN_VALID = 1 << 4;
// struct tpacket_block_desc / tpacket3_hdr word offsets
const BD_STATUS = 2;
const BD_NUM_PKTS = 3;
const BD_FIRST = 4;
const H_NEXT_OFFSET = 0;
const H_SNAPLEN = 3;
const H_LEN = 4;
const H_STATUS = 5;
const H_MAC16 = 12;
const H_VLAN_TCI = 8;

// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const MH_NEXT = M_NEXT;
const MH_PKT_LEN = M_PKT_LEN;
const MH_LEN_OFF = M_LEN_OFF;
const MH_OL_FLAGS = M_OL_FLAGS;
const MH16_VLAN_TCI = M16_VLAN_TCI;
const VLAN_FLAGS = OlFlags.RX_VLAN | OlFlags.RX_VLAN_STRIPPED;
// small enough that V8 inlines it into the burst loop: the same stores as written out
const headerReset = mbufHeaderReset;
const PACKETS = QueueStat.PACKETS;
const BYTES = QueueStat.BYTES;
const NOMBUF = QueueStat.NOMBUF;
const ERRORS = QueueStat.ERRORS;
const MAX_BURST = 512;

/** The rings of one socket, mapped in this thread. */
function mapRings(d: PacketQueueData): ArrayBuffer {
  return linux().mapFd(d.fd, d.rxBytes + d.txBytes);
}

class PacketRx implements RxQueue {
  private readonly l: LinuxBinding;
  private readonly ring: ArrayBuffer;
  private readonly w: Uint32Array;
  private readonly h16: Uint16Array;
  private readonly pool: Mempool;
  private readonly m32: Uint32Array;
  private readonly m64: Float64Array;
  private readonly m16: Uint16Array;
  private readonly bytes: Uint8Array;
  private readonly state: Int32Array;
  private readonly stats: Float64Array;
  private readonly counters: Float64Array;
  private readonly blockSize: number;
  private readonly blockCount: number;
  private readonly headroom: number;
  private readonly maxLen: number;
  private readonly bufBase: number;
  private readonly eltSize: number;
  private readonly port: number;
  /** copies of this burst: (ring offset, pool offset, length) */
  private readonly triples = new Uint32Array(3 * MAX_BURST);
  /** mbufs of this burst whose checksum the kernel left partial */
  private readonly partial = new Uint32Array(MAX_BURST);

  constructor(d: QueueDescriptor<PacketQueueData>) {
    const x = d.data;
    this.l = linux();
    this.ring = mapRings(x);
    this.w = new Uint32Array(this.ring, 0, x.rxBytes >>> 2);
    this.h16 = new Uint16Array(this.ring, 0, x.rxBytes >>> 1);
    this.pool = Mempool.attach(d.pool!);
    this.m32 = this.pool.h32;
    this.m64 = this.pool.h64;
    this.m16 = this.pool.h16;
    this.bytes = this.pool.bytes;
    this.state = new Int32Array(x.state);
    this.stats = queueStats(d.stats);
    this.counters = new Float64Array(x.counters);
    this.blockSize = x.blockSize;
    this.blockCount = x.blockCount;
    this.headroom = this.pool.headroom;
    this.maxLen = Math.min(this.pool.eltSize - this.pool.headroom, 0xffff);
    this.bufBase = this.pool.dataOffset + this.pool.headroom;
    this.eltSize = this.pool.eltSize;
    this.port = d.port;
  }

  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const w = this.w;
    const st = this.state;
    const blockSize = this.blockSize;
    const blockCount = this.blockCount;
    let blk = st[PS_BLOCK]!;
    let left = st[PS_LEFT]!;
    let off = st[PS_OFFSET]!;
    // no block open and the next one not handed over: the common idle poll
    if (left === 0 && (Atomics.load(w, (blk * blockSize >>> 2) + BD_STATUS) & TP_STATUS_USER) === 0) return 0;
    if (n > MAX_BURST) n = MAX_BURST;
    const firstBlock = blk;
    let done = 0; // blocks finished in this burst, from firstBlock on: still ours until the copies are made
    let got = 0;
    let bytes = 0;
    let nPartial = 0;
    const m32 = this.m32;
    const m64 = this.m64;
    const m16 = this.m16;
    const h16 = this.h16;
    const t = this.triples;
    const port = this.port;
    const headroom = this.headroom;
    const maxLen = this.maxLen;
    const bufBase = this.bufBase;
    const eltSize = this.eltSize;
    while (got < n) {
      if (left === 0) {
        if (done === blockCount) break; // every block is read and waits for the copies
        const bw = blk * blockSize >>> 2;
        if ((Atomics.load(w, bw + BD_STATUS) & TP_STATUS_USER) === 0) break;
        left = w[bw + BD_NUM_PKTS]!;
        off = blk * blockSize + w[bw + BD_FIRST]!;
        if (left === 0) {
          done++;
          blk = blk + 1 === blockCount ? 0 : blk + 1;
          continue;
        }
      }
      const k = n - got < left ? n - got : left;
      if (!this.pool.getBulk(pkts, start + got, k)) {
        this.stats[NOMBUF] += k;
        break;
      }
      for (const end = got + k; got < end; got++) {
        const hw = off >>> 2;
        const snap = w[hw + H_SNAPLEN]!;
        const status = w[hw + H_STATUS]!;
        const idx = pkts[start + got]! & INDEX_MASK;
        const b = idx << 4;
        let len = snap;
        if (snap > maxLen || snap !== w[hw + H_LEN]!) {
          // longer than an mbuf, or cut by the ring: delivered truncated, counted
          this.counters[PC_RX_TOO_LONG] += 1;
          if (len > maxLen) len = maxLen;
        }
        headerReset(m32, m64, b, headroom, len, port);
        if ((status & TP_STATUS_VLAN_VALID) !== 0) {
          m32[b + MH_OL_FLAGS] = VLAN_FLAGS;
          m16[(b << 1) + MH16_VLAN_TCI] = w[hw + H_VLAN_TCI]! & 0xffff;
        }
        const ti = got * 3;
        t[ti] = off + h16[(off >>> 1) + H_MAC16]!;
        t[ti + 1] = bufBase + idx * eltSize;
        t[ti + 2] = len;
        if ((status & TP_STATUS_CSUMNOTREADY) !== 0) this.partial[nPartial++] = got;
        bytes += len;
        off += w[hw + H_NEXT_OFFSET]!;
      }
      left -= k;
      if (left === 0) {
        done++;
        blk = blk + 1 === blockCount ? 0 : blk + 1;
      }
    }
    if (got > 0) this.l.copyBatch(this.bytes, this.ring, t, got);
    // the kernel said these carry a partial checksum: complete it, so echoes go out valid
    const bytes8 = this.bytes;
    for (let i = 0; i < nPartial; i++) {
      const j = this.partial[i]! * 3;
      fixPartialL4Checksum(bytes8, t[j + 1]!, t[j + 2]!);
    }
    // the copies are made: give the finished blocks back, oldest first
    for (let i = 0, b = firstBlock; i < done; i++) {
      Atomics.store(w, (b * blockSize >>> 2) + BD_STATUS, TP_STATUS_KERNEL);
      b = b + 1 === blockCount ? 0 : b + 1;
    }
    st[PS_BLOCK] = blk;
    st[PS_LEFT] = left;
    st[PS_OFFSET] = off;
    const s = this.stats;
    s[PACKETS] += got;
    s[BYTES] += bytes;
    return got;
  }

  release(): void {
    this.l.unmap(this.ring);
  }
}

class PacketTx implements TxQueue {
  private readonly l: LinuxBinding;
  private readonly fd: number;
  private readonly ring: ArrayBuffer;
  private readonly w: Uint32Array;
  private readonly txBase: number;
  private readonly frameSize: number;
  private readonly txFrames: number;
  private readonly maxLen: number;
  private readonly state: Int32Array;
  private readonly stats: Float64Array;
  private readonly counters: Float64Array;
  private readonly triples = new Uint32Array(3 * MAX_BURST);
  private readonly frames = new Uint32Array(MAX_BURST);

  constructor(d: QueueDescriptor<PacketQueueData>) {
    const x = d.data;
    this.l = linux();
    this.fd = x.fd;
    this.ring = mapRings(x);
    this.w = new Uint32Array(this.ring);
    this.txBase = x.rxBytes;
    this.frameSize = x.frameSize;
    this.txFrames = x.txFrames;
    this.maxLen = x.frameSize - TX_DATA_OFFSET;
    this.state = new Int32Array(x.state);
    this.stats = queueStats(d.stats);
    this.counters = new Float64Array(x.counters);
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    if (n === 0) return 0;
    if (n > MAX_BURST) n = MAX_BURST;
    const w = this.w;
    const t = this.triples;
    const frames = this.frames;
    const frameSize = this.frameSize;
    const txBase = this.txBase;
    const maxLen = this.maxLen;
    let f = this.state[PS_TX_FRAME]!;
    let queued = 0;
    let nt = 0;
    let pool: Mempool | undefined;
    let bytes = 0;
    let i = 0;
    for (; i < n && queued < this.txFrames; i++) {
      const fo = txBase + f * frameSize;
      const status = Atomics.load(w, (fo >>> 2) + H_STATUS);
      if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) !== 0) {
        this.counters[PC_TX_RING_FULL] += 1;
        break;
      }
      const m = pkts[start + i]!;
      const p = mempools[m >>> POOL_SHIFT]!;
      const pktLen = p.h32[((m & INDEX_MASK) << 4) + MH_PKT_LEN]!;
      if (pktLen > maxLen) {
        // cannot go in one frame: consumed, counted, freed with the others
        this.counters[PC_TX_TOO_LONG] += 1;
        this.stats[ERRORS] += 1;
        continue;
      }
      let at = fo + TX_DATA_OFFSET;
      for (let s = m; ;) {
        const sp = mempools[s >>> POOL_SHIFT]!;
        if (sp !== pool || nt === MAX_BURST) {
          // copies go pool by pool (one native call each; one per burst in the usual case)
          if (nt > 0) this.l.copyBatch(this.ring, pool!.bytes, t, nt);
          nt = 0;
          pool = sp;
        }
        const b = (s & INDEX_MASK) << 4;
        const lo = sp.h32[b + MH_LEN_OFF]!;
        const len = lo & 0xffff;
        const ti = nt * 3;
        t[ti] = sp.bufOffset(s) + (lo >>> 16);
        t[ti + 1] = at;
        t[ti + 2] = len;
        nt++;
        at += len;
        const next = sp.h32[b + MH_NEXT]!;
        if (next === 0) break;
        s = next - 1;
      }
      const hw = fo >>> 2;
      w[hw + H_NEXT_OFFSET] = 0;
      w[hw + H_SNAPLEN] = pktLen;
      w[hw + H_LEN] = pktLen;
      frames[queued++] = hw + H_STATUS;
      bytes += pktLen;
      f = f + 1 === this.txFrames ? 0 : f + 1;
    }
    if (nt > 0) this.l.copyBatch(this.ring, pool!.bytes, t, nt);
    for (let k = 0; k < queued; k++) Atomics.store(w, frames[k]!, TP_STATUS_SEND_REQUEST);
    this.state[PS_TX_FRAME] = f;
    if (i > 0) mbufFreeBulk(pkts, start, i);
    if (queued > 0) this.l.packetKick(this.fd);
    const st = this.stats;
    st[PACKETS] += queued;
    st[BYTES] += bytes;
    return i;
  }

  release(): void {
    this.l.unmap(this.ring);
  }
}

export function createRxQueue(d: QueueDescriptor<PacketQueueData>): RxQueue {
  return new PacketRx(d);
}

export function createTxQueue(d: QueueDescriptor<PacketQueueData>): TxQueue {
  return new PacketTx(d);
}
