/**
 * The mempool's two burst loops, written once with every view and size a parameter, so that
 * the same code serves `Mempool`'s methods (views read from the pool's fields) and a pool's
 * specialised fast path (`pool-fastpath.ts`: the views and sizes module-level constants, which
 * V8 folds into the code when it inlines these loops there). Internal to the EAL.
 */
import type { Ring } from '../ring/ring.js';
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M64_OL_FLAGS, M64_PTYPE_VLAN, M64_TX_OFFLOAD, M_LEN_OFF, M_NEXT, M_PKT_LEN, M_PORT_SEGS, M_REFCNT_POOL } from './layout.js';

// Imported constants are live bindings that V8 re-checks on every use; module-local
// copies fold into the code (2.4x faster allocBulk, see bench/README.md).
const _MBUF_INDEX_MASK = MBUF_INDEX_MASK;
const _MBUF_POOL_SHIFT = MBUF_POOL_SHIFT;
const _M_NEXT = M_NEXT;
const _M_PKT_LEN = M_PKT_LEN;
const _M_LEN_OFF = M_LEN_OFF;
const _M_PORT_SEGS = M_PORT_SEGS;
const _M_REFCNT_POOL = M_REFCNT_POOL;
const _M64_OL_FLAGS = M64_OL_FLAGS;
const _M64_PTYPE_VLAN = M64_PTYPE_VLAN;
const _M64_TX_OFFLOAD = M64_TX_OFFLOAD;

/**
 * allocBulkLen's common case: `n` handles popped from the lcore cache at word `cb` (which
 * holds at least `n`) into pkts[start..], each header reset (rte_pktmbuf_reset with data_off
 * `headroom`, pkt_len = data_len = `len`, `port`) in the same iteration, so the burst is
 * walked once. The stores are `mbufHeaderReset`'s, with the two words that depend on `len`
 * and `port` made once per burst.
 */
export function popAndReset(
  cache: Uint32Array, cb: number, h32: Uint32Array, h64: Float64Array, headroom: number,
  pkts: Uint32Array, start: number, n: number, len: number, port: number,
): void {
  const cached = cache[cb]!;
  const top = cb + cached + start; // pkts[start + k] takes cache[cb + cached - k]: the top first
  const lenOff = ((headroom << 16) | len) >>> 0;
  const portSegs = ((1 << 16) | port) >>> 0; // nb_segs 1
  for (let i = start, end = start + n; i < end; i++) {
    const m = cache[top - i]!;
    pkts[i] = m;
    const b = (m & _MBUF_INDEX_MASK) << 4;
    const q = b >> 1;
    h32[b + _M_NEXT] = 0;
    h32[b + _M_PKT_LEN] = len;
    h32[b + _M_LEN_OFF] = lenOff;
    h32[b + _M_PORT_SEGS] = portSegs;
    h64[q + _M64_OL_FLAGS] = 0;
    h64[q + _M64_PTYPE_VLAN] = 0;
    h64[q + _M64_TX_OFFLOAD] = 0;
  }
  cache[cb] = cached - n;
}

/** The one field of the pool freeIntoCache updates (structural: this file does not import mempool.ts, which imports it). */
export interface FreedBytes {
  freedBytes: number;
}

/**
 * freeRun's loop: puts pkts[i..end) into the lcore cache at word `cb` while they are plain
 * (the handle's pool id is `id`, word M_REFCNT_POOL is `plain` = `id << 16 | 1`: one
 * reference, this pool; `next` is 0) and returns the index of the first that is not (or
 * `end`); adds their pkt_len to `pool.freedBytes`. The cache is flushed to `ring` down to
 * `cacheSize` between passes of at most `flush` mbufs, not tested per mbuf: a pass starts with
 * at most max(cacheSize, flush - 1) handles cached, so its handles fit the cache's words.
 */
export function freeIntoCache(
  pool: FreedBytes, ring: Ring, cache: Uint32Array, cb: number, h32: Uint32Array, id: number, plain: number,
  flush: number, cacheSize: number, pkts: Uint32Array, i: number, end: number,
): number {
  const base = cb + 1;
  let len = cache[cb]!;
  let bytes = 0;
  for (;;) {
    const stop = end - i < flush ? end : i + flush;
    for (; i < stop; i++) {
      const m = pkts[i]!;
      if (m >>> _MBUF_POOL_SHIFT !== id) break;
      const b = (m & _MBUF_INDEX_MASK) << 4;
      if (h32[b + _M_REFCNT_POOL] !== plain || h32[b + _M_NEXT] !== 0) break;
      bytes += h32[b + _M_PKT_LEN]!;
      cache[base + len++] = m;
    }
    if (len >= flush) {
      ring.enqueueBulk(cache, base + cacheSize, len - cacheSize);
      len = cacheSize;
    }
    if (i !== stop || i === end) break;
  }
  cache[cb] = len;
  pool.freedBytes += bytes;
  return i;
}
