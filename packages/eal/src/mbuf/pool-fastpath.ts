/**
 * One pool's specialised fast path. `Mempool.specialise` imports this module once per pool
 * and thread, with a query of its own, so each import is a new module instance; the instance
 * binds that pool's views, cache position and sizes as module-level constants and runs the
 * mempool's own burst loops (`burst.ts`) on them. When V8 compiles these functions, or inlines
 * them into a burst function, it knows their closure and so the module's constants: the typed
 * arrays' checks and loads that it repeats on every iteration for views read from object
 * fields fold away. That is an optimisation of the engine (V8 11-12, Node 20-22), not a
 * language guarantee: without it these functions are as fast as the generic methods.
 */
import { freeIntoCache, popAndReset } from './burst.js';
import { poolBeingSpecialised } from './mempool.js';

const POOL = poolBeingSpecialised(import.meta.url);
const PARTS = POOL.fastPathParts();
const RING = PARTS.ring;
const CACHE = PARTS.caches;
const CACHE_BASE = PARTS.cacheBase;
const CACHE_SIZE = POOL.cacheSize;
const FLUSH = PARTS.flushThreshold;
const PLAIN = PARTS.plainRefcntPool;
const ID = POOL.id;
const HEADROOM = POOL.headroom;
const H32 = POOL.h32;
const H64 = POOL.h64;

/** Mempool.allocBulkLen for this pool (a pool without a cache on this thread: the ring path). */
export const allocBulkLen = CACHE_BASE < 0 ? POOL.allocBulkLenRefill.bind(POOL) : allocCached;

function allocCached(pkts: Uint32Array, start: number, n: number, len: number, port: number): boolean {
  if (n > CACHE_SIZE || CACHE[CACHE_BASE]! < n) return POOL.allocBulkLenRefill(pkts, start, n, len, port);
  popAndReset(CACHE, CACHE_BASE, H32, H64, HEADROOM, pkts, start, n, len, port);
  return true;
}

/** Mempool.freeRun for this pool (without a cache on this thread: none is plain-freed here). */
export const freeRun = CACHE_BASE < 0 ? (_pkts: Uint32Array, i: number): number => i : freeCached;

function freeCached(pkts: Uint32Array, i: number, end: number): number {
  return freeIntoCache(POOL, RING, CACHE, CACHE_BASE, H32, ID, PLAIN, FLUSH, CACHE_SIZE, pkts, i, end);
}
