/**
 * The mempool's burst paths (allocBulkLen's fused cache pop and reset, freeRun's one-compare
 * check and its flush between passes, mbufFreeBulk's slow path), checked on exact header words,
 * exact free counts per pool and the identity of every handle: across cache refills and
 * flushes, and with shared, chained and foreign-pool mbufs in one burst. Each test runs twice:
 * with the burst closures every pool gets at construction, and with every pool's specialised
 * ones (`Mempool.specialise`: the same loops, from a module instance of their own).
 */
import test, { type ExecutionContext } from 'ava';
import { MemoryManager } from '../memory/region.js';
import { Mempool } from '../mbuf/mempool.js';
import { MBUF_POOL_SHIFT, MBUF_PORT_INVALID } from '../mbuf/layout.js';
import { mbufAppend, mbufChain, mbufFreeBulk, mbufFreeBulkUncounted, mbufHeader, mbufRefcntUpdate } from '../mbuf/mbuf.js';
import { setLcoreId } from '../lcore/current.js';

// this thread plays lcore 0, so pools with a cache use lcore 0's
setLcoreId(0);

const SOIL = 0xdeadbeef;

/** Writes junk into every header word of every free mbuf but refcnt | pool id (word 4), so a missed reset shows. */
function soilFree(pool: Mempool): void {
  const all = new Uint32Array(pool.size);
  let n = 0;
  while (n < pool.size && pool.getBulk(all, n, 1)) n++;
  for (let i = 0; i < n; i++) {
    const b = mbufHeader(all[i]!);
    for (let w = 0; w < 12; w++) if (w !== 4) pool.h32[b + w] = SOIL;
  }
  pool.putBulk(all, 0, n);
}

/** Header words 0-11 of `m`. */
function header(m: number): number[] {
  const pool = Mempool.fromHandle(m);
  const b = mbufHeader(m);
  return [...pool.h32.subarray(b, b + 12)];
}

/** What allocBulkLen(…, len, port) leaves in words 0-11 (hash.rss, word 5, is not reset). */
function expected(pool: Mempool, len: number, port: number, rss: number): number[] {
  return [0, len, ((pool.headroom << 16) | len) >>> 0, ((1 << 16) | port) >>> 0, ((pool.id << 16) | 1) >>> 0, rss, 0, 0, 0, 0, 0, 0];
}

async function withPools(specialised: boolean, run: (a: Mempool, b: Mempool, c: Mempool) => void): Promise<void> {
  const mem = new MemoryManager();
  // a: the lcore's pool (cache 32, flushed at 48); b: another pool with a cache; c: one without
  const a = Mempool.create(mem, `bulk-a-${process.pid}`, { size: 1024, cacheSize: 32 });
  const b = Mempool.create(mem, `bulk-b-${process.pid}`, { size: 256, cacheSize: 16 });
  const c = Mempool.create(mem, `bulk-c-${process.pid}`, { size: 64, cacheSize: 0 });
  try {
    if (specialised) for (const p of [a, b, c]) await p.specialise();
    run(a, b, c);
  } finally {
    a.release(mem);
    b.release(mem);
    c.release(mem);
  }
}

// serial: the pools' names, and lcore 0's caches, are shared between the tests
for (const [how, specialised] of [['generic', false], ['specialised', true]] as const) {
  test.serial(`${how}: allocBulkLen across cache refills and the ring path: every header reset exactly, every handle distinct`, async (t) => {
    await withPools(specialised, (a) => {
      soilFree(a);
      const got = new Uint32Array(a.size);
      // bursts of 25 from a cache of 32: a refill every other burst; then one of 40 (over the cache size: from the ring)
      let n = 0;
      for (; n + 25 <= 800; n += 25) t.true(a.allocBulkLen(got, n, 25, 60 + (n % 7), 3));
      t.true(a.allocBulkLen(got, n, 40, 1500, 7));
      n += 40;
      t.is(a.availCount(), a.size - n);
      const handles = [...got.subarray(0, n)];
      t.is(new Set(handles).size, n, 'no handle is handed out twice');
      t.true(handles.every((m) => m >>> MBUF_POOL_SHIFT === a.id), 'all from pool a');
      for (let i = 0; i < n; i++) {
        const len = i < 800 ? 60 + ((i - (i % 25)) % 7) : 1500;
        const port = i < 800 ? 3 : 7;
        t.deepEqual(header(got[i]!), expected(a, len, port, SOIL), `mbuf ${i}`);
      }
      t.is(mbufFreeBulk(got, 0, n), handles.reduce((sum, m) => sum + header(m)[1]!, 0), 'free returns the bytes');
      t.is(a.availCount(), a.size);
      t.false(a.allocBulkLen(new Uint32Array(a.size + 1), 0, a.size + 1, 64, 0), 'more than the pool holds: none');
      t.is(a.availCount(), a.size);
    });
  });

  // mbufFreeBulk, and mbufFreeBulkUncounted (the same free without the byte sum): `free` returns the bytes, or undefined for the second
  for (const [freeHow, free] of [
    ['mbufFreeBulk', (p: Uint32Array, i: number, n: number): number | undefined => mbufFreeBulk(p, i, n)],
    ['mbufFreeBulkUncounted', (p: Uint32Array, i: number, n: number): number | undefined => void mbufFreeBulkUncounted(p, i, n)],
  ] as const) {
  const bytesOf = (t: ExecutionContext, got: number | undefined, want: number, what: string) => {
    if (freeHow === 'mbufFreeBulk') t.is(got, want, what);
    else t.is(got, undefined);
  };
  test.serial(`${how}, ${freeHow}: one burst of plain, shared, chained and foreign-pool mbufs frees exactly what it should, per pool`, async (t) => {
    await withPools(specialised, (a, b, c) => {
      const burst = new Uint32Array(512);
      let n = 0;
      let bytes = 0;
      const take = (pool: Mempool, k: number, len: number): number[] => {
        const at = n;
        t.true(pool.allocBulkLen(burst, at, k, len, 0));
        n += k;
        bytes += k * len;
        return [...burst.subarray(at, at + k)];
      };
      take(a, 30, 64); // plain
      // chained, right after the first run (so the free's first pass meets it): a head of a with a segment of b and one of a behind it
      const heads = take(a, 4, 10);
      const tails = new Uint32Array(8);
      t.true(b.allocBulk(tails, 0, 4));
      t.true(a.allocBulk(tails, 4, 4));
      for (let i = 0; i < 4; i++) {
        mbufAppend(tails[i]!, 20);
        mbufAppend(tails[4 + i]!, 30);
        mbufChain(heads[i]!, tails[i]!);
        mbufChain(heads[i]!, tails[4 + i]!);
      }
      bytes += 4 * 50;
      const shared = take(a, 5, 100); // refcnt 2: one reference stays
      for (const m of shared) mbufRefcntUpdate(m, 1);
      take(b, 20, 64); // another pool's, with a cache: its index is also a valid index in a
      take(a, 3, 64);
      take(c, 6, 64); // a pool without a cache
      take(a, 100, 64); // more than the flush threshold (48) in one run: flushed between passes
      t.is(a.availCount(), a.size - (30 + 5 + 4 + 4 + 3 + 100));
      t.is(b.availCount(), b.size - (4 + 20));
      t.is(c.availCount(), c.size - 6);

      bytesOf(t, free(burst, 0, n), bytes, 'the bytes of every packet, chained ones whole');
      t.is(a.availCount(), a.size - 5, 'a: all back but the 5 still referenced');
      t.is(b.availCount(), b.size, 'b: its plain mbufs and the chained segments are back in b');
      t.is(c.availCount(), c.size, 'c: back in its ring');
      t.deepEqual(shared.map((m) => header(m)[4]! & 0xffff), [1, 1, 1, 1, 1], 'shared: one reference left');

      bytesOf(t, free(Uint32Array.from(shared), 0, 5), 500, 'the shared ones');
      t.is(a.availCount(), a.size);
      // nothing was put back twice or into the wrong pool: each pool hands out exactly its own mbufs, once
      for (const pool of [a, b, c]) {
        const all = new Uint32Array(pool.size);
        for (let k = 0; k < pool.size; k += 8) t.true(pool.allocBulkLen(all, k, Math.min(8, pool.size - k), 64, 0));
        t.is(pool.availCount(), 0, `${pool.name} is empty`);
        t.is(new Set(all).size, pool.size, `${pool.name}: every handle once`);
        t.true([...all].every((m) => m >>> MBUF_POOL_SHIFT === pool.id), `${pool.name}: only its own handles`);
        free(all, 0, pool.size);
        t.is(pool.availCount(), pool.size);
        t.is(pool.freedBytes, 0, 'nothing left in freedBytes');
      }
    });
  });

  test.serial(`${how}, ${freeHow}: a shared mbuf in the first run stays out, the run goes on after it`, async (t) => {
    await withPools(specialised, (a) => {
      const burst = new Uint32Array(6);
      t.true(a.allocBulkLen(burst, 0, 6, 64, 0));
      mbufRefcntUpdate(burst[3]!, 1);
      bytesOf(t, free(burst, 0, 6), 6 * 64, 'every packet');
      t.is(a.availCount(), a.size - 1, 'all back but the shared one');
      t.is(header(burst[3]!)[4]! & 0xffff, 1, 'one reference left');
      free(burst, 3, 1);
      t.is(a.availCount(), a.size);
    });
  });

  test.serial(`${how}, ${freeHow}: a free of thousands of mbufs in one call flushes the cache as it goes and loses none`, async (t) => {
    const mem = new MemoryManager();
    // more mbufs than a cache has words (3 × 512): without the flushes they would run past it
    const a = Mempool.create(mem, `bulk-big-${process.pid}`, { size: 4096, cacheSize: 32 });
    try {
      if (specialised) await a.specialise();
      const all = new Uint32Array(a.size);
      for (let k = 0; k < a.size; k += 16) t.true(a.allocBulkLen(all, k, 16, 64, MBUF_PORT_INVALID));
      t.is(a.availCount(), 0);
      bytesOf(t, free(all, 0, a.size), a.size * 64, 'the bytes of all');
      t.is(a.availCount(), a.size);
      for (let k = 0; k < a.size; k += 32) t.true(a.allocBulk(all, k, 32));
      t.is(new Set(all).size, a.size, 'every handle once');
      free(all, 0, a.size);
      t.is(a.availCount(), a.size);
    } finally {
      a.release(mem);
    }
  });
  }
}
