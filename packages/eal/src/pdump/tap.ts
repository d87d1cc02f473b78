/**
 * The capture point on a forwarding lcore (rte_pdump's rx/tx callbacks): a `PdumpTap` per
 * (port, queue, direction) a stream forwards on. The queue wrapper calls `active()` once per
 * burst (one load of the port's selector from the shared region) and, only when a capture
 * wants this queue, `capture()`, which copies each packet's first `snaplen` bytes and a
 * timestamp into the lcore's ring. Nothing waits: a packet that does not fit (the ring holds
 * its record limit, or has no room for the bytes) is counted as dropped on the port and not
 * captured, and forwarding goes on. Nothing is allocated per packet or per burst.
 */
import { linux } from '../linux/native.js';
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M_PKT_LEN } from '../mbuf/layout.js';
import { mempools } from '../mbuf/mempool.js';
import { mbufRead } from '../mbuf/mbuf.js';
import {
  ALL_QUEUES, DIR_IN, DIR_OUT, H_CLOCK_F64, H_RECORDS, H_SNAPLEN, RECORD_HEADER_BYTES, RING_CTRL_BYTES, R_CAPTURED_F64,
  R_DROPPED_F64, R_HEAD, R_HEAD_COUNT, R_TAIL, R_TAIL_COUNT, WRAP, ringOffset, selectorIndex, type PdumpDescriptor,
} from './layout.js';

// module-local copies (imports are live bindings V8 re-checks on every use)
const POOL_SHIFT = MBUF_POOL_SHIFT;
const INDEX_MASK = MBUF_INDEX_MASK;
const PKT_LEN = M_PKT_LEN;
const REC = RECORD_HEADER_BYTES;
const WRAP_WORD = WRAP;
const SNAPLEN = H_SNAPLEN;
const RECORDS = H_RECORDS;
const CLOCK = H_CLOCK_F64;
const HEAD = R_HEAD;
const HEAD_COUNT = R_HEAD_COUNT;
const TAIL = R_TAIL;
const TAIL_COUNT = R_TAIL_COUNT;
const ALL = ALL_QUEUES;

/** This thread's mapping of each capture region, by id (one mapping per thread). */
const mapped = new Map<string, ArrayBuffer>();

function regionOf(d: PdumpDescriptor): ArrayBuffer {
  let b = mapped.get(d.id);
  if (!b) {
    b = linux('packet capture').mapFd(d.fd, d.size);
    mapped.set(d.id, b);
  }
  return b;
}

export class PdumpTap {
  private readonly words: Int32Array;
  private readonly f64: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly slot: number;
  private readonly mine: number;
  /** word index of the ring's control block, byte offset of its data, its size */
  private readonly ctl: number;
  private readonly data: number;
  private readonly size: number;
  private readonly captured: number;
  private readonly dropped: number;
  private readonly portQueue: number;
  private readonly dir: number;

  /**
   * A tap on `ring` (the lcore's) for `dir` packets of `port`/`queue`; with no descriptor (no
   * capture region: no Linux addon) a tap that is never active.
   */
  constructor(d: PdumpDescriptor | undefined, ring: number, port: number, queue: number, dir: 'rx' | 'tx') {
    const buffer = d ? regionOf(d) : new ArrayBuffer(RING_CTRL_BYTES * 2);
    this.words = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.slot = selectorIndex(port, dir);
    this.mine = queue + 1;
    const at = d ? ringOffset(ring, d.ringBytes) : 0;
    this.ctl = at >> 2;
    this.data = at + RING_CTRL_BYTES;
    this.size = d ? d.ringBytes : 0;
    this.captured = (at >> 3) + R_CAPTURED_F64 + port;
    this.dropped = (at >> 3) + R_DROPPED_F64 + port;
    this.portQueue = (port | (queue << 16)) >>> 0;
    this.dir = dir === 'rx' ? DIR_IN : DIR_OUT;
  }

  /** A capture wants this queue (read once per burst). */
  active(): boolean {
    const s = this.words[this.slot]!;
    return s === ALL || s === this.mine; // mine is queue + 1: never the 0 of no capture
  }

  /** Copies pkts[start..start+n) into the ring, or counts them dropped where it is full. */
  capture(pkts: Uint32Array, start: number, n: number): void {
    const w = this.words;
    const f = this.f64;
    const ctl = this.ctl;
    const size = this.size;
    const mask = size - 1;
    const snap = w[SNAPLEN]!;
    const limit = w[RECORDS]!;
    const ts = f[CLOCK]!;
    const tail = Atomics.load(w, ctl + TAIL);
    const tailCount = Atomics.load(w, ctl + TAIL_COUNT);
    let head = w[ctl + HEAD]!;
    let count = w[ctl + HEAD_COUNT]!;
    let taken = 0;
    for (let i = start, end = start + n; i < end; i++) {
      const m = pkts[i]!;
      const pool = mempools[m >>> POOL_SHIFT]!;
      const pktLen = pool.h32[((m & INDEX_MASK) << 4) + PKT_LEN]!;
      const cap = pktLen < snap ? pktLen : snap;
      const need = (REC + cap + 7) & ~7;
      let pos = head & mask;
      const pad = need > size - pos ? size - pos : 0;
      if (((count - tailCount) | 0) >= limit || ((head - tail) | 0) + need + pad > size) continue;
      if (pad !== 0) {
        w[(this.data + pos) >> 2] = WRAP_WORD;
        head = (head + pad) | 0;
        pos = 0;
      }
      const at = this.data + pos;
      const r = at >> 2;
      w[r] = need;
      w[r + 1] = this.portQueue;
      f[(at + 8) >> 3] = ts;
      w[r + 4] = pktLen;
      w[r + 5] = cap;
      w[r + 6] = this.dir;
      w[r + 7] = 0;
      mbufRead(m, 0, cap, this.bytes, at + REC);
      head = (head + need) | 0;
      count = (count + 1) | 0;
      taken++;
    }
    f[this.captured] += taken;
    f[this.dropped] += n - taken;
    Atomics.store(w, ctl + HEAD_COUNT, count);
    Atomics.store(w, ctl + HEAD, head);
  }
}
