/**
 * Packet mbuf pools, after rte_pktmbuf_pool_create: a fixed number of mbufs, each a header in
 * the header table and a buffer (headroom + data room) in the data area, all in one memory
 * region. Free mbufs sit in a multi-producer/multi-consumer ring; each lcore keeps a private
 * cache in the same region so that most gets and puts touch no shared state. A thread that is
 * not an lcore (lcore id LCORE_ID_ANY) has no cache and gets and puts on the ring, as in DPDK:
 * a cache belongs to exactly one thread. The caches live
 * in shared memory so the main thread can count every mbuf (`availCount`), as DPDK's
 * rte_mempool_avail_count does, while workers forward.
 *
 * Region layout: [control 64 B][ring][caches: one per lcore][headers: size × 64 B][data: 4 KiB aligned]
 */
import { randomUUID } from 'node:crypto';
import { DpkitError } from '../errors.js';
import { MAX_LCORE } from '../args/corelist.js';
import { lcoreId } from '../lcore/current.js';
import { alignUp, MemoryRegion, type MemoryManager, type RegionDescriptor, type RegionKind } from '../memory/region.js';
import { Ring } from '../ring/ring.js';
import {
  MBUF_DEFAULT_BUF_SIZE, MBUF_DEFAULT_HEADROOM, MBUF_HEADER_WORDS, MBUF_INDEX_MASK, MBUF_MAX_POOLS,
  MBUF_POOL_SHIFT, MBUF_PORT_INVALID, M_REFCNT_POOL, assertLittleEndian, mbufHeaderReset,
} from './layout.js';
import { poolBursts, type PoolBursts } from './burst.js';

// Imported constants are live bindings that V8 re-checks on every use; module-local
// copies fold into the code (2.4x faster allocBulk, see bench/README.md).
const _MBUF_INDEX_MASK = MBUF_INDEX_MASK;
const _MBUF_POOL_SHIFT = MBUF_POOL_SHIFT;

/** RTE_MEMPOOL_CACHE_MAX_SIZE */
export const MEMPOOL_CACHE_MAX_SIZE = 512;
// a cache holds up to 1.5 × its size before a put, plus the put itself (at most 1.5 × size):
// the length word, then the handles
const CACHE_WORDS = 1 + MEMPOOL_CACHE_MAX_SIZE * 3;

/** What a worker needs to attach a pool (`Mempool.attach`): structured-cloneable. */
export interface MempoolDescriptor {
  /** the pool id (the top 8 bits of its handles) */
  id: number;
  /** this pool's own name for itself, made at `create`: every thread's `attach` of one pool
   * returns one object however many times its descriptor is posted (a posted
   * SharedArrayBuffer is a new object each time, so the buffer cannot tell) */
  uid: string;
  /** the pool's name (`Mempool.create`'s) */
  name: string;
  /** number of mbufs */
  size: number;
  /** per-lcore cache size */
  cacheSize: number;
  /** bytes per buffer (headroom + data room) */
  eltSize: number;
  /** `data_off` of a reset mbuf */
  headroom: number;
  /** the shared memory holding ring, caches, headers and buffers */
  region: RegionDescriptor;
}

/** Options of `Mempool.create` (rte_pktmbuf_pool_create's arguments). */
export interface PktmbufPoolOptions {
  /** number of mbufs */
  size: number;
  /** per-lcore cache size (0 disables caching); at most 512 and at most size / 1.5 */
  cacheSize?: number;
  /** bytes per buffer including the headroom (RTE_MBUF_DEFAULT_BUF_SIZE by default) */
  dataRoomSize?: number;
  /** `data_off` of a reset mbuf (MBUF_DEFAULT_HEADROOM, 128, by default) */
  headroom?: number;
  /** NUMA socket of the memory (0 by default) */
  socket?: number;
  /** `memfd` puts the pool in memfd memory (needs the Linux addon), which AF_XDP can register
   * as UMEM and workers map by fd; `shared` (default) a SharedArrayBuffer */
  memory?: RegionKind;
}

/** This thread's view of every pool, by pool id (what mbuf handles' top bits index). */
export const mempools: (Mempool | undefined)[] = new Array(MBUF_MAX_POOLS).fill(undefined);

function layout(size: number, eltSize: number) {
  let ringSize = 2;
  while (ringSize < size) ringSize *= 2;
  const ringOffset = 64;
  const cacheOffset = alignUp(ringOffset + Ring.memSize(ringSize), 64);
  const headerOffset = alignUp(cacheOffset + MAX_LCORE * CACHE_WORDS * 4, 64);
  // 4 KiB: the page size of x86-64 and of arm64 as Debian ships it. AF_XDP needs the data area
  // (the UMEM) page-aligned, so kernels with 16/64 KiB pages are not supported (README).
  const dataOffset = alignUp(headerOffset + size * MBUF_HEADER_WORDS * 4, 4096);
  const total = alignUp(dataOffset + size * eltSize, 4096);
  return { ringSize, ringOffset, cacheOffset, headerOffset, dataOffset, total };
}

/** A packet mbuf pool (rte_mempool of rte_mbufs); its header table layout is in `MBUF_HEADER_BYTES`. */
export class Mempool {
  /** the pool id: the top 8 bits of its handles, its index in `mempools` */
  readonly id: number;
  /** `MempoolDescriptor.uid` */
  readonly uid: string;
  /** the name given to `Mempool.create` */
  readonly name: string;
  /** number of mbufs */
  readonly size: number;
  /** per-lcore cache size (0: none) */
  readonly cacheSize: number;
  /** bytes per buffer (headroom + data room) */
  readonly eltSize: number;
  /** `data_off` of a reset mbuf */
  readonly headroom: number;
  /** the memory region holding the pool */
  readonly region: MemoryRegion;
  /** the header table as 32-bit words: header of `m` at `(m & MBUF_INDEX_MASK) << 4`, fields at `M_*` */
  readonly h32: Uint32Array;
  /** the header table as 16-bit halves: fields at `(b << 1) + M16_*` */
  readonly h16: Uint16Array;
  /** the header table as 64-bit words, for clearing two header words in one store (store 0 only) */
  readonly h64: Float64Array;
  /** the whole region as 32-bit words (packet data at 4-byte aligned offsets) */
  readonly words: Uint32Array;
  /** the whole region as bytes; a buffer starts at `dataOffset + index * eltSize` */
  readonly bytes: Uint8Array;
  /** byte offset in `bytes` of the first buffer (4 KiB aligned) */
  readonly dataOffset: number;
  private readonly ring: Ring;
  private readonly caches: Uint32Array;
  /** word index of this thread's cache (length word), or -1 without a cache */
  private readonly cacheBase: number;
  private readonly flushThreshold: number;
  private readonly idBits: number;
  /** word M_REFCNT_POOL of an mbuf of this pool with one reference: `id << 16 | 1` */
  private readonly plainRefcntPool: number;

  private constructor(d: MempoolDescriptor, init: boolean, region?: MemoryRegion) {
    assertLittleEndian();
    this.id = d.id;
    this.uid = d.uid;
    this.name = d.name;
    this.size = d.size;
    this.cacheSize = d.cacheSize;
    this.eltSize = d.eltSize;
    this.headroom = d.headroom;
    // the creator keeps the region it reserved (what MemoryManager.free knows); other threads map it
    this.region = region ?? MemoryRegion.attach(d.region);
    const l = layout(d.size, d.eltSize);
    const buf = this.region.buffer;
    this.ring = new Ring(`${d.name}.ring`, buf, l.ringOffset, l.ringSize, 0);
    this.caches = new Uint32Array(buf, l.cacheOffset, MAX_LCORE * CACHE_WORDS);
    this.h32 = new Uint32Array(buf, l.headerOffset, d.size * MBUF_HEADER_WORDS);
    this.h16 = new Uint16Array(buf, l.headerOffset, d.size * MBUF_HEADER_WORDS * 2);
    this.h64 = new Float64Array(buf, l.headerOffset, d.size * MBUF_HEADER_WORDS / 2);
    this.bytes = new Uint8Array(buf);
    this.words = new Uint32Array(buf);
    this.dataOffset = l.dataOffset;
    const lcore = lcoreId();
    this.cacheBase = d.cacheSize > 0 && lcore >= 0 && lcore < MAX_LCORE ? lcore * CACHE_WORDS : -1;
    this.flushThreshold = Math.floor(d.cacheSize * 1.5);
    this.idBits = (d.id << _MBUF_POOL_SHIFT) >>> 0;
    this.plainRefcntPool = ((d.id << 16) | 1) >>> 0;
    const b = this.bursts(poolBursts);
    this.allocBulkLen = b.allocBulkLen;
    this.freeRun = b.freeRun;
    this.freeRunUncounted = b.freeRunUncounted;
    if (init) this.populate();
    mempools[d.id] = this;
  }

  /** rte_pktmbuf_pool_create: reserves the region and fills the pool. */
  static create(memory: MemoryManager, name: string, o: PktmbufPoolOptions): Mempool {
    const size = o.size;
    if (!Number.isInteger(size) || size < 1 || size > _MBUF_INDEX_MASK) {
      throw new DpkitError(`mempool '${name}': size ${size} must be between 1 and ${_MBUF_INDEX_MASK}`);
    }
    const cacheSize = o.cacheSize ?? 0;
    if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > MEMPOOL_CACHE_MAX_SIZE || cacheSize * 1.5 > size) {
      throw new DpkitError(
        `mempool '${name}': cache size ${cacheSize} must be at most ${MEMPOOL_CACHE_MAX_SIZE} and at most size/1.5 (${Math.floor(size / 1.5)})`,
      );
    }
    const headroom = o.headroom ?? MBUF_DEFAULT_HEADROOM;
    const eltSize = o.dataRoomSize ?? MBUF_DEFAULT_BUF_SIZE;
    if (!Number.isInteger(eltSize) || eltSize < headroom || eltSize > 0xffff) {
      throw new DpkitError(`mempool '${name}': data room size ${eltSize} must be at least the headroom (${headroom}) and below 65536`);
    }
    const id = mempools.findIndex((p) => p === undefined);
    if (id < 0) throw new DpkitError(`mempool '${name}': all ${MBUF_MAX_POOLS} pool ids are in use`, 'ENOSPC');
    const region = memory.reserve(`mempool:${name}`, layout(size, eltSize).total, o.socket ?? 0, o.memory ?? 'shared');
    return new Mempool({ id, uid: randomUUID(), name, size, cacheSize, eltSize, headroom, region: region.descriptor() }, true, region);
  }

  /** What a worker passes to `Mempool.attach`. */
  descriptor(): MempoolDescriptor {
    return {
      id: this.id, uid: this.uid, name: this.name, size: this.size, cacheSize: this.cacheSize, eltSize: this.eltSize,
      headroom: this.headroom, region: this.region.descriptor(),
    };
  }

  /** The pool of an mbuf handle (attached in this thread). */
  static fromHandle(m: number): Mempool {
    return mempools[m >>> _MBUF_POOL_SHIFT]!;
  }

  /** This thread's view of a pool created elsewhere (a worker lcore calls it once per pool). */
  static attach(d: MempoolDescriptor): Mempool {
    const existing = mempools[d.id];
    // the same pool: this thread's object for it, its specialised bursts and what engines keep per pool
    if (existing && existing.uid === d.uid) return existing;
    return new Mempool(d, false);
  }

  /** Forgets the pool in this thread; the memory goes when the last thread drops it. */
  release(memory?: MemoryManager): void {
    if (mempools[this.id] === this) mempools[this.id] = undefined;
    memory?.free(this.region);
  }

  private populate(): void {
    const h32 = this.h32;
    const all = new Uint32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const b = i * MBUF_HEADER_WORDS;
      h32[b + M_REFCNT_POOL] = this.plainRefcntPool;
      this.reset(b);
      all[i] = (this.idBits | i) >>> 0;
    }
    this.ring.enqueueBulk(all, 0, this.size);
  }

  /** rte_pktmbuf_reset on the header at word `b`. */
  private reset(b: number): void {
    mbufHeaderReset(this.h32, this.h64, b, this.headroom, 0, MBUF_PORT_INVALID);
  }

  /** rte_mempool_get_bulk: `n` handles into objs[start..], all or none. No header reset. */
  getBulk(objs: Uint32Array, start: number, n: number): boolean {
    if (!this.cacheHolds(n)) return this.ring.dequeueBulk(objs, start, n) === n;
    const cache = this.caches;
    const cb = this.cacheBase;
    const len = cache[cb]!;
    const top = cb + len;
    for (let i = 0; i < n; i++) objs[start + i] = cache[top - i]!;
    cache[cb] = len - n;
    return true;
  }

  /**
   * True when this lcore's cache holds `n` handles, refilling it from the ring if needed (to
   * `cacheSize` above what is asked for, as DPDK does); false when the caller must take them
   * from the ring: no cache, `n` above the cache size, or a ring too short to refill from.
   */
  private cacheHolds(n: number): boolean {
    const cb = this.cacheBase;
    if (cb < 0 || n > this.cacheSize) return false;
    const cache = this.caches;
    const len = cache[cb]!;
    if (len >= n) return true;
    const got = this.ring.dequeueBulk(cache, cb + 1 + len, n + this.cacheSize - len);
    if (got === 0) return false;
    cache[cb] = len + got;
    return true;
  }

  /** rte_mempool_put_bulk: gives `n` handles back. */
  putBulk(objs: Uint32Array, start: number, n: number): void {
    const cb = this.cacheBase;
    if (cb < 0 || n > this.flushThreshold) {
      this.ring.enqueueBulk(objs, start, n);
      return;
    }
    const cache = this.caches;
    let len = cache[cb]!;
    const base = cb + 1 + len;
    for (let i = 0; i < n; i++) cache[base + i] = objs[start + i]!;
    len += n;
    if (len >= this.flushThreshold) {
      this.ring.enqueueBulk(cache, cb + 1 + this.cacheSize, len - this.cacheSize);
      len = this.cacheSize;
    }
    cache[cb] = len;
  }

  /** rte_pktmbuf_alloc_bulk: `n` reset mbufs into pkts[start..], all or none. */
  allocBulk(pkts: Uint32Array, start: number, n: number): boolean {
    // a reset mbuf has pkt_len = data_len = 0 and port = RTE_MBUF_PORT_INVALID
    return this.allocBulkLen(pkts, start, n, 0, MBUF_PORT_INVALID);
  }

  /**
   * rte_pktmbuf_alloc_bulk followed by setting every mbuf's pkt_len and data_len to `len` and
   * its port to `port` (what an rx burst that fills fresh mbufs does), in one pass: each handle
   * popped from the cache is stored in `pkts` and its header reset in the same iteration. An own
   * property holding the pool's burst closure (`burst.ts`), not a method, so a burst function
   * that calls it reaches the loop with no layer in between; `specialise` gives it a closure of
   * its own.
   */
  readonly allocBulkLen: (pkts: Uint32Array, start: number, n: number, len: number, port: number) => boolean;

  /** @internal allocBulkLen when the cache does not hold `n`: a refill, or the ring */
  allocBulkLenRefill(pkts: Uint32Array, start: number, n: number, len: number, port: number): boolean {
    if (this.cacheHolds(n)) return this.allocBulkLen(pkts, start, n, len, port);
    if (this.ring.dequeueBulk(pkts, start, n) !== n) return false;
    for (let i = start, end = start + n; i < end; i++) {
      mbufHeaderReset(this.h32, this.h64, (pkts[i]! & _MBUF_INDEX_MASK) << 4, this.headroom, len, port);
    }
    return true;
  }

  /**
   * The common case of rte_pktmbuf_free_bulk: frees pkts[i..end) straight into this lcore's
   * cache while they are plain — of this pool, one reference, one segment — and returns the
   * index of the first one that is not (or `end`). Adds their pkt_len to `freedBytes`. Per
   * mbuf: the handle's pool id, then refcnt and the header's pool id in one 32-bit compare,
   * then `next`; the flush test is between passes, not per mbuf. An own property holding the
   * pool's burst closure, as `allocBulkLen`.
   */
  readonly freeRun: (pkts: Uint32Array, i: number, end: number) => number;

  /** `freeRun` without adding to `freedBytes` (for `mbufFreeBulkUncounted`). */
  readonly freeRunUncounted: (pkts: Uint32Array, i: number, end: number) => number;

  /** This pool's burst closures, made by `make` (poolBursts of one instance of burst.ts or another). */
  private bursts(make: typeof poolBursts): PoolBursts {
    return make(this, this.ring, this.caches, this.cacheBase, this.h32, this.h64, this.headroom, this.id, this.plainRefcntPool, this.flushThreshold, this.cacheSize);
  }

  /**
   * Gives this pool, in this thread, burst closures that are the only closures of their
   * functions: made by an instance of `burst.ts` of their own (a dynamic import with a query of
   * its own). V8 compiles a function that has one closure with that closure's context as
   * constants, so the loops run on this pool's views as constants even where V8 does not inline
   * them; the closures every pool gets at construction share their functions with every other
   * pool's of this thread, which V8 only specialises where it inlines them at a call site that
   * always called the same closure. That made an alloc+free loop ~20% faster here
   * (bench/README.md); it is V8 behaviour, not a language guarantee. Call it on each lcore
   * before forwarding (testpmd does, for every attached pool); each call on a pool without one
   * loads a new module instance, which is never unloaded.
   */
  async specialise(): Promise<void> {
    if (this.specialised) return;
    const mod = (await import(`${BURST_MODULE}?pool=${this.id}-${++specialisations}`)) as { poolBursts: typeof poolBursts };
    if (this.specialised) return; // two calls raced: the first one's closures stay
    const b = this.bursts(mod.poolBursts);
    const self = this as { -readonly [K in keyof PoolBursts]: PoolBursts[K] };
    self.allocBulkLen = b.allocBulkLen;
    self.freeRun = b.freeRun;
    self.freeRunUncounted = b.freeRunUncounted;
    this.specialised = true;
  }

  /** `specialise` for every pool attached in this thread. */
  static async specialiseAttached(): Promise<void> {
    for (const p of mempools) if (p !== undefined) await p.specialise();
  }

  private specialised = false;

  /** bytes (pkt_len) of the mbufs `freeRun` took; the caller reads and clears it */
  freedBytes = 0;

  /** rte_pktmbuf_alloc: one reset mbuf, or -1 when the pool is empty. */
  alloc(): number {
    const one = scratch;
    if (!this.allocBulk(one, 0, 1)) return -1;
    return one[0]!;
  }

  /** Free mbufs: in the ring and in every lcore's cache (rte_mempool_avail_count). */
  availCount(): number {
    let n = this.ring.count();
    if (this.cacheSize > 0) for (let l = 0; l < MAX_LCORE; l++) n += this.caches[l * CACHE_WORDS]!;
    return n;
  }

  /** mbufs out of the pool: `size - availCount()` (rte_mempool_in_use_count). */
  inUseCount(): number {
    return this.size - this.availCount();
  }

  /** The data area (every mbuf's buffer, back to back): what AF_XDP registers as UMEM. */
  dataArea(): {
    /** byte offset in `bytes` (= `dataOffset`) */
    offset: number;
    /** `size * eltSize` bytes */
    length: number;
  } {
    return { offset: this.dataOffset, length: this.size * this.eltSize };
  }

  /** Byte offset in `bytes` where mbuf `m`'s buffer (its headroom) starts. */
  bufOffset(m: number): number {
    return this.dataOffset + (m & _MBUF_INDEX_MASK) * this.eltSize;
  }
}

const scratch = new Uint32Array(1);

const BURST_MODULE = new URL('./burst.js', import.meta.url).href;
let specialisations = 0;
