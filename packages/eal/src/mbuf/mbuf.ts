/**
 * Operations on mbuf handles, after rte_mbuf.h. A handle names its pool in its top bits, so
 * these work on mbufs of any pool attached in this thread. None of them allocates.
 */
import { DpkitError } from '../errors.js';
import {
  MBUF_HEADER_WORDS, MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M16_DATA_OFF, M16_NB_SEGS,
  M16_PORT, M16_REFCNT, M_LEN_OFF, M_NEXT, M_PKT_LEN, MBUF_PORT_INVALID, mbufHeaderReset,
} from './layout.js';
import { mempools, type Mempool } from './mempool.js';

// Imported constants are live bindings that V8 re-checks on every use; module-local
// copies fold into the code (2.4x faster allocBulk, see bench/README.md).
const _MBUF_INDEX_MASK = MBUF_INDEX_MASK;
const _MBUF_POOL_SHIFT = MBUF_POOL_SHIFT;
const _M_NEXT = M_NEXT;
const _M_PKT_LEN = M_PKT_LEN;
const _M_LEN_OFF = M_LEN_OFF;
const _M16_REFCNT = M16_REFCNT;
const _M16_NB_SEGS = M16_NB_SEGS;

/** The pool an mbuf belongs to; throws DpkitError if that pool is not attached in this thread. */
export function mbufPool(m: number): Mempool {
  const pool = mempools[m >>> _MBUF_POOL_SHIFT];
  if (pool === undefined) throw new DpkitError(`mbuf ${m}: its pool ${m >>> _MBUF_POOL_SHIFT} is not attached in this thread`);
  return pool;
}

/** Word offset of the mbuf's header in its pool's `h32` (double it for `h16`). */
export function mbufHeader(m: number): number {
  return (m & _MBUF_INDEX_MASK) * MBUF_HEADER_WORDS;
}

/** `pkt_len`: bytes in all segments (rte_pktmbuf_pkt_len). */
export function mbufPktLen(m: number): number {
  return mbufPool(m).h32[mbufHeader(m) + _M_PKT_LEN]!;
}

/** `data_len`: bytes in this segment (rte_pktmbuf_data_len). */
export function mbufDataLen(m: number): number {
  return mbufPool(m).h16[mbufHeader(m) * 2 + M16_DATA_LEN]!;
}

/** `port`: the port that received the packet, `MBUF_PORT_INVALID` if none. */
export function mbufPort(m: number): number {
  return mbufPool(m).h16[mbufHeader(m) * 2 + M16_PORT]!;
}

/** `nb_segs`: segments in the chain that starts here. */
export function mbufNbSegs(m: number): number {
  return mbufPool(m).h16[mbufHeader(m) * 2 + _M16_NB_SEGS]!;
}

/** `refcnt`, read atomically (rte_mbuf_refcnt_read). */
export function mbufRefcnt(m: number): number {
  return Atomics.load(mbufPool(m).h16, mbufHeader(m) * 2 + _M16_REFCNT);
}

/** Adds `delta` to the reference count and returns the new count (rte_mbuf_refcnt_update). */
export function mbufRefcntUpdate(m: number, delta: number): number {
  const pool = mbufPool(m);
  return (Atomics.add(pool.h16, mbufHeader(m) * 2 + _M16_REFCNT, delta) + delta) & 0xffff;
}

/** Byte offset, in `mbufPool(m).bytes`, of the first data byte (rte_pktmbuf_mtod). */
export function mbufDataOffset(m: number): number {
  const pool = mbufPool(m);
  return pool.bufOffset(m) + pool.h16[mbufHeader(m) * 2 + M16_DATA_OFF]!;
}

/** Room left after the data in the first segment's buffer. */
export function mbufTailroom(m: number): number {
  const pool = mbufPool(m);
  const b2 = mbufHeader(m) * 2;
  return pool.eltSize - pool.h16[b2 + M16_DATA_OFF]! - pool.h16[b2 + M16_DATA_LEN]!;
}

/** rte_pktmbuf_append on a single-segment mbuf: grows the data by `len`, returns the byte
 * offset of the new room, or -1 when it does not fit. */
export function mbufAppend(m: number, len: number): number {
  const pool = mbufPool(m);
  const b = mbufHeader(m);
  const off = pool.h16[b * 2 + M16_DATA_OFF]!;
  const dataLen = pool.h16[b * 2 + M16_DATA_LEN]!;
  if (off + dataLen + len > pool.eltSize) return -1;
  pool.h16[b * 2 + M16_DATA_LEN] = dataLen + len;
  pool.h32[b + _M_PKT_LEN] = pool.h32[b + _M_PKT_LEN]! + len;
  return pool.bufOffset(m) + off + dataLen;
}

/** rte_pktmbuf_adj: drops `len` bytes from the start; returns the new data offset or -1. */
export function mbufAdj(m: number, len: number): number {
  const pool = mbufPool(m);
  const b = mbufHeader(m);
  const dataLen = pool.h16[b * 2 + M16_DATA_LEN]!;
  if (len > dataLen) return -1;
  pool.h16[b * 2 + M16_DATA_LEN] = dataLen - len;
  pool.h16[b * 2 + M16_DATA_OFF] = pool.h16[b * 2 + M16_DATA_OFF]! + len;
  pool.h32[b + _M_PKT_LEN] = pool.h32[b + _M_PKT_LEN]! - len;
  return mbufDataOffset(m);
}

/** The next segment of a chain (`m->next`), or -1 after the last one. */
export function mbufNext(m: number): number {
  return mbufPool(m).h32[mbufHeader(m) + _M_NEXT]! - 1;
}

/**
 * rte_pktmbuf_reset: a fresh header (data at the pool's headroom, lengths 0, port
 * `MBUF_PORT_INVALID`, one segment, flags and offload fields 0), as `allocBulk` returns it.
 * Resets this one header: give a chain's other segments back first (or keep them elsewhere).
 */
export function mbufReset(m: number): void {
  const pool = mbufPool(m);
  mbufHeaderReset(pool.h32, pool.h64, mbufHeader(m), pool.headroom, 0, MBUF_PORT_INVALID);
}

/**
 * What an rx burst sets on a fresh single-segment mbuf (from `allocBulk`): `pkt_len` =
 * `data_len` = `len` and `port`. Returns false, writing nothing, when `len` bytes do not fit
 * the buffer after `data_off`. In a burst, `allocBulkLen` does allocation and this in one pass.
 */
export function mbufSetRx(m: number, len: number, port: number): boolean {
  const pool = mbufPool(m);
  const b = mbufHeader(m);
  const h16 = pool.h16;
  if (h16[b * 2 + M16_DATA_OFF]! + len > pool.eltSize) return false;
  pool.h32[b + _M_PKT_LEN] = len;
  h16[b * 2 + M16_DATA_LEN] = len;
  h16[b * 2 + M16_PORT] = port;
  return true;
}

/**
 * rte_pktmbuf_read: copies `len` bytes of the packet, from byte `off` of its data, into
 * `dst[dstOff..]`, walking the chain across segments. Returns `len`, or -1 with nothing copied
 * when `off + len` passes `pkt_len` or `dst` is too short (and -1, after copying what there
 * is, on a broken chain whose segments hold less than `pkt_len`). Allocates nothing (a byte loop: no
 * `subarray` views); a driver with a native path copies in batches instead.
 */
export function mbufRead(m: number, off: number, len: number, dst: Uint8Array, dstOff: number): number {
  return mbufCopy(m, off, len, dst, dstOff, false);
}

/**
 * rte_pktmbuf_write: copies `src[srcOff..srcOff+len)` into the packet from byte `off` of its
 * data, walking the chain, within the lengths the segments already have (it grows nothing: set
 * them first, e.g. with `mbufSetRx`). Returns `len`, or -1 with nothing copied when `off + len`
 * passes `pkt_len` or `src` is too short (and -1, after copying what fits, on a broken chain
 * whose segments hold less than `pkt_len`). Allocates nothing: a whole `src` landing in one
 * segment is one `TypedArray.set`, anything else a byte loop.
 */
export function mbufWrite(m: number, off: number, len: number, src: Uint8Array, srcOff: number): number {
  return mbufCopy(m, off, len, src, srcOff, true);
}

/** The chain walk of mbufRead (`toMbuf` false) and mbufWrite (true): one branch per segment. */
function mbufCopy(m: number, off: number, len: number, buf: Uint8Array, bufOff: number, toMbuf: boolean): number {
  let pool = mbufPool(m);
  let b = mbufHeader(m);
  if (off < 0 || len < 0 || bufOff < 0 || off + len > pool.h32[b + _M_PKT_LEN]! || bufOff + len > buf.length) return -1;
  let at = bufOff;
  const end = bufOff + len;
  for (;;) {
    const lenOff = pool.h32[b + _M_LEN_OFF]!;
    const dataLen = lenOff & 0xffff;
    if (off < dataLen) {
      const bytes = pool.bytes;
      const base = pool.bufOffset(m) + (lenOff >>> 16) + off;
      const k = Math.min(dataLen - off, end - at);
      if (!toMbuf) for (let i = 0; i < k; i++) buf[at + i] = bytes[base + i]!;
      else if (k === buf.length) bytes.set(buf, base);
      else for (let i = 0; i < k; i++) bytes[base + i] = buf[at + i]!;
      at += k;
      off = 0;
      if (at === end) return len;
    } else {
      off -= dataLen;
    }
    const next = pool.h32[b + _M_NEXT]!;
    if (next === 0) return at === end ? len : -1; // pkt_len larger than the segments hold
    m = next - 1;
    pool = mbufPool(m);
    b = mbufHeader(m);
  }
}

/** rte_pktmbuf_chain: appends `tail`'s segments to `head`. */
export function mbufChain(head: number, tail: number): void {
  const hp = mbufPool(head);
  const hb = mbufHeader(head);
  let last = head;
  for (let next = hp.h32[hb + _M_NEXT]!; next !== 0; ) {
    last = next - 1;
    next = mbufPool(last).h32[mbufHeader(last) + _M_NEXT]!;
  }
  const lp = mbufPool(last);
  lp.h32[mbufHeader(last) + _M_NEXT] = tail + 1;
  const tp = mbufPool(tail);
  const tb = mbufHeader(tail);
  hp.h16[hb * 2 + _M16_NB_SEGS] = hp.h16[hb * 2 + _M16_NB_SEGS]! + tp.h16[tb * 2 + _M16_NB_SEGS]!;
  hp.h32[hb + _M_PKT_LEN] = hp.h32[hb + _M_PKT_LEN]! + tp.h32[tb + _M_PKT_LEN]!;
}

/**
 * rte_pktmbuf_prefree_seg: drops one reference to a segment. Returns true when the segment
 * is to go back to its pool (its refcnt is left at 1 and its chain fields cleared).
 */
function prefreeSeg(pool: Mempool, b: number): boolean {
  const h16 = pool.h16;
  const r = b * 2 + _M16_REFCNT;
  if (h16[r] !== 1 && Atomics.sub(h16, r, 1) !== 1) return false;
  h16[r] = 1;
  if (pool.h32[b + _M_NEXT] !== 0) {
    pool.h32[b + _M_NEXT] = 0;
    h16[b * 2 + _M16_NB_SEGS] = 1;
  }
  return true;
}

/** Frees one packet that is chained or shared (the slow path of mbufFreeBulk). */
function freeSegments(m: number): void {
  let pool: Mempool | undefined;
  let k = 0;
  for (;;) {
    const p = mempools[m >>> _MBUF_POOL_SHIFT]!;
    const b = (m & _MBUF_INDEX_MASK) << 4;
    const next = p.h32[b + _M_NEXT]!;
    if (prefreeSeg(p, b)) {
      if (p !== pool || k === slow.length) {
        if (k > 0) pool!.putBulk(slow, 0, k);
        pool = p;
        k = 0;
      }
      slow[k++] = m;
    }
    if (next === 0) break;
    m = next - 1;
  }
  if (k > 0) pool!.putBulk(slow, 0, k);
}
const slow = new Uint32Array(64);

/**
 * rte_pktmbuf_free_bulk: frees every segment of `n` packets and returns the sum of their
 * pkt_len (so a tx burst counts bytes without reading the headers twice). Runs of plain
 * mbufs (one pool, one reference, one segment) go straight into the lcore's cache
 * (Mempool.freeRun); chained or shared ones take the slow path. The common case, a burst that
 * is one run, is all this function does itself: the rest is in `freeBulkFrom`, out of line, so
 * that the bytecode V8 inlines into a burst function is small (bench/README.md).
 */
export function mbufFreeBulk(pkts: Uint32Array, start: number, n: number): number {
  if (n <= 0) return 0;
  const end = start + n;
  const pool = mempools[pkts[start]! >>> _MBUF_POOL_SHIFT]!;
  const i = pool.freeRun(pkts, start, end);
  const bytes = pool.freedBytes;
  pool.freedBytes = 0;
  return i === end ? bytes : bytes + freeBulkFrom(pkts, i, end);
}

/**
 * rte_pktmbuf_free_bulk as DPDK has it: frees every segment of `n` packets and counts nothing
 * (mbufFreeBulk also sums their pkt_len, a load and an add per packet; an engine or driver that
 * does not count bytes calls this one, as rxonly does).
 */
export function mbufFreeBulkUncounted(pkts: Uint32Array, start: number, n: number): void {
  if (n <= 0) return;
  const end = start + n;
  const i = mempools[pkts[start]! >>> _MBUF_POOL_SHIFT]!.freeRunUncounted(pkts, start, end);
  if (i !== end) freeBulkFrom(pkts, i, end);
}

/** mbufFreeBulk from pkts[i], which is not plain or not of the run's pool, to `end`. */
function freeBulkFrom(pkts: Uint32Array, i: number, end: number): number {
  let bytes = 0;
  while (i < end) {
    const m = pkts[i]!;
    const pool = mempools[m >>> _MBUF_POOL_SHIFT]!;
    const j = pool.freeRun(pkts, i, end);
    if (j !== i) {
      bytes += pool.freedBytes;
      pool.freedBytes = 0;
      i = j;
      continue;
    }
    bytes += pool.h32[((m & _MBUF_INDEX_MASK) << 4) + _M_PKT_LEN]!;
    freeSegments(m);
    i++;
  }
  return bytes;
}

/** rte_pktmbuf_free */
export function mbufFree(m: number): void {
  pending1[0] = m;
  mbufFreeBulk(pending1, 0, 1);
}
const pending1 = new Uint32Array(1);
