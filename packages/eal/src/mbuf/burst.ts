/**
 * The mempool's two burst loops, as closures over one pool's views, cache position and sizes
 * (`poolBursts`). A pool's `allocBulkLen` and `freeRun` are these closures, so a burst
 * function reaches the loop with no layer in between (each layer spends V8's inlining budget,
 * bench/README.md), and the loop reads the pool's state from its closure's context: where V8
 * knows the closure (it inlines it at a call site that always called it, or compiles a
 * function that has only one closure, as `--trace-turbo-inlining` shows) those are constants,
 * and the checks and loads it repeats on every iteration for a typed array read from an object
 * field or a parameter fold away. `Mempool.specialise` makes a pool closures of their own: from
 * an instance of this module of their own, so they are the only closures of their functions
 * however many pools a thread has. That is an optimisation of the engine (V8 11, Node 20), not
 * a language guarantee: without it the loops run as fast as with the views in locals. Internal
 * to the EAL.
 */
import type { Ring } from '../ring/ring.js';
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M64_OL_FLAGS, M64_PTYPE_VLAN, M64_TX_OFFLOAD, M_LEN_OFF, M_NEXT, M_PKT_LEN, M_PORT_SEGS, M_REFCNT_POOL } from './layout.js';

// Imported constants are live bindings that V8 re-checks on every use; module-local
// copies fold into the code (2.4x faster allocBulk, see bench/README.md).
const _MBUF_INDEX_MASK = MBUF_INDEX_MASK;
// The small offsets and shifts as literals in the code (a const enum: tsc writes the numbers),
// which is fewer bytes of bytecode than a module constant's load and hole check.
const enum H {
  NEXT = M_NEXT,
  PKT_LEN = M_PKT_LEN,
  LEN_OFF = M_LEN_OFF,
  PORT_SEGS = M_PORT_SEGS,
  REFCNT_POOL = M_REFCNT_POOL,
  OL_FLAGS64 = M64_OL_FLAGS,
  PTYPE_VLAN64 = M64_PTYPE_VLAN,
  TX_OFFLOAD64 = M64_TX_OFFLOAD,
  POOL_SHIFT = MBUF_POOL_SHIFT,
}
const NB_SEGS_1 = 1 << 16;

/** What of the pool the loops use besides its views (structural: this file does not import mempool.ts, which imports it). */
export interface BurstPool {
  /** bytes (pkt_len) of the mbufs freeRun took; the caller reads and clears it */
  freedBytes: number;
  /** allocBulkLen when the cache does not hold `n`: a refill, or the ring */
  allocBulkLenRefill(pkts: Uint32Array, start: number, n: number, len: number, port: number): boolean;
}

/** A pool's two burst functions (Mempool.allocBulkLen and Mempool.freeRun). */
export interface PoolBursts {
  allocBulkLen(pkts: Uint32Array, start: number, n: number, len: number, port: number): boolean;
  freeRun(pkts: Uint32Array, i: number, end: number): number;
  freeRunUncounted(pkts: Uint32Array, i: number, end: number): number;
}

/**
 * The burst closures of one pool: `cache` holds this thread's cache at word `cb` (its length,
 * then the handles; `cb` -1: no cache), `h32`/`h64` are the header table, `headroom` the
 * data_off of a reset mbuf, `plain` the word M_REFCNT_POOL of an mbuf of this pool (id `id`)
 * with one reference, and the cache is flushed to `ring` down to `cacheSize` once it holds
 * `flush`. The parameters are never assigned: V8 loads them as immutable context slots.
 */
export function poolBursts(
  pool: BurstPool, ring: Ring, cache: Uint32Array, cb: number, h32: Uint32Array, h64: Float64Array, headroom: number,
  id: number, plain: number, flush: number, cacheSize: number,
): PoolBursts {
  if (cb < 0) {
    // no cache on this thread: every alloc takes the ring (allocBulkLenRefill), no free is plain
    return {
      allocBulkLen: (pkts, start, n, len, port) => pool.allocBulkLenRefill(pkts, start, n, len, port),
      freeRun: (_pkts, i) => i,
      freeRunUncounted: (_pkts, i) => i,
    };
  }

  /**
   * n handles popped from the cache into pkts[start..], each header reset (rte_pktmbuf_reset
   * with data_off `headroom`, pkt_len = data_len = `len`, `port`) in the same iteration, so the
   * burst is walked once; the refill (or the ring, for `n` above the cache size) when the cache
   * holds fewer. The stores are `mbufHeaderReset`'s, with the two words that depend on `len`
   * and `port` made once per burst.
   */
  function allocBulkLen(pkts: Uint32Array, start: number, n: number, len: number, port: number): boolean {
    // the views in locals: each use is then one register (the bytecode V8 inlines is shorter)
    const c = cache;
    const w = h32;
    const d = h64;
    const cached = c[cb]!;
    if (n > cacheSize || cached < n) return pool.allocBulkLenRefill(pkts, start, n, len, port);
    const top = cb + cached + start; // pkts[start + k] takes cache[cb + cached - k]: the top first
    const lenOff = (headroom << 16) | len; // stored into a Uint32Array: the sign bit is just bit 31
    const portSegs = port | NB_SEGS_1;
    for (let i = start, end = start + n; i < end; i++) {
      const m = c[top - i]!;
      pkts[i] = m;
      const b = (m & _MBUF_INDEX_MASK) << 4;
      const q = b >> 1;
      w[b + H.NEXT] = 0;
      w[b + H.PKT_LEN] = len;
      w[b + H.LEN_OFF] = lenOff;
      w[b + H.PORT_SEGS] = portSegs;
      d[q + H.OL_FLAGS64] = 0;
      d[q + H.PTYPE_VLAN64] = 0;
      d[q + H.TX_OFFLOAD64] = 0;
    }
    c[cb] = cached - n;
    return true;
  }

  /**
   * Puts pkts[i..end) into the cache while they are plain (the handle's pool id is `id`, word
   * M_REFCNT_POOL is `plain`: one reference, this pool; `next` is 0) and returns the index of
   * the first that is not (or `end`); adds their pkt_len to `pool.freedBytes`. The cache is
   * flushed to the ring down to `cacheSize` between passes of at most `flush` mbufs, not tested
   * per mbuf: a pass starts with at most max(cacheSize, flush - 1) handles cached, so its
   * handles fit the cache's words.
   */
  function freeRun(pkts: Uint32Array, i: number, end: number): number {
    const c = cache; // the views in locals, as in allocBulkLen
    const w = h32;
    const base = cb + 1;
    let len = c[cb]!;
    let bytes = 0;
    for (;;) {
      const stop = end - i < flush ? end : i + flush;
      for (; i < stop; i++) {
        const m = pkts[i]!;
        if (m >>> H.POOL_SHIFT !== id) break;
        const b = (m & _MBUF_INDEX_MASK) << 4;
        if (w[b + H.REFCNT_POOL] !== plain || w[b + H.NEXT] !== 0) break;
        bytes += w[b + H.PKT_LEN]!;
        c[base + len++] = m;
      }
      if (len >= flush) {
        ring.enqueueBulk(c, base + cacheSize, len - cacheSize);
        len = cacheSize;
      }
      if (i !== stop || i === end) break;
    }
    c[cb] = len;
    pool.freedBytes += bytes;
    return i;
  }

  /**
   * freeRun without the byte count: the same checks and stores, no pkt_len load and sum (what
   * a free whose caller does not count bytes, rxonly's, needs; the sum was ~10% of rxonly's
   * burst on net_null, bench/README.md). A function of its own rather than a flag of freeRun:
   * each of the two is then the only closure of its function (see `Mempool.specialise`).
   */
  function freeRunUncounted(pkts: Uint32Array, i: number, end: number): number {
    const c = cache;
    const w = h32;
    const base = cb + 1;
    let len = c[cb]!;
    for (;;) {
      const stop = end - i < flush ? end : i + flush;
      for (; i < stop; i++) {
        const m = pkts[i]!;
        if (m >>> H.POOL_SHIFT !== id) break;
        const b = (m & _MBUF_INDEX_MASK) << 4;
        if (w[b + H.REFCNT_POOL] !== plain || w[b + H.NEXT] !== 0) break;
        c[base + len++] = m;
      }
      if (len >= flush) {
        ring.enqueueBulk(c, base + cacheSize, len - cacheSize);
        len = cacheSize;
      }
      if (i !== stop || i === end) break;
    }
    c[cb] = len;
    return i;
  }

  return { allocBulkLen, freeRun, freeRunUncounted };
}
