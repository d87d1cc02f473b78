import test from 'ava';
import { MemoryManager } from '../memory/region.js';
import { Mempool } from '../mbuf/mempool.js';
import { mbufAppend, mbufChain, mbufDataLen, mbufFree, mbufFreeBulk, mbufNbSegs, mbufPktLen, mbufRefcntUpdate } from '../mbuf/mbuf.js';
import { MBUF_PORT_INVALID } from '../mbuf/layout.js';
import { mbufPort } from '../mbuf/mbuf.js';
import { DpkitError } from '../errors.js';
import { setLcoreId } from '../lcore/current.js';
import { hasLinux } from '../linux/native.js';
import { kernelTest } from '../testing.js';

// this thread plays the main lcore (as Eal.init makes it), so pools here use lcore 0's cache
setLcoreId(0);

test('alloc resets, free returns, caches are counted', (t) => {
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, 'a', { size: 1024, cacheSize: 32 });
  try {
    const pkts = new Uint32Array(64);
    t.true(pool.allocBulk(pkts, 0, 64));
    t.is(pool.availCount(), 1024 - 64);
    const m = pkts[0]!;
    t.is(mbufPktLen(m), 0);
    t.is(mbufPort(m), MBUF_PORT_INVALID);
    t.true(mbufAppend(m, 100) > 0);
    t.is(mbufPktLen(m), 100);
    t.is(mbufDataLen(m), 100);
    t.is(mbufFreeBulk(pkts, 0, 64), 100, 'free returns the bytes freed');
    t.is(pool.availCount(), 1024, 'cached mbufs count as available');
    t.false(pool.allocBulk(new Uint32Array(2048), 0, 2048), 'more than the pool holds: nothing');
    t.is(pool.availCount(), 1024);
  } finally {
    pool.release(mem);
  }
});

test('chains free every segment; shared mbufs go back on the last reference', (t) => {
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, 'b', { size: 64, cacheSize: 0 });
  try {
    const [a, b, c] = [pool.alloc(), pool.alloc(), pool.alloc()];
    mbufAppend(a, 10); mbufAppend(b, 20); mbufAppend(c, 30);
    mbufChain(a, b);
    mbufChain(a, c);
    t.is(mbufNbSegs(a), 3);
    t.is(mbufPktLen(a), 60);
    t.is(pool.availCount(), 61);
    mbufFree(a);
    t.is(pool.availCount(), 64, 'all three segments are back');
    const d = pool.alloc();
    t.is(mbufNbSegs(d), 1, 'a recycled segment is reset');
    mbufRefcntUpdate(d, 1);
    mbufFree(d);
    t.is(pool.availCount(), 63, 'one reference left');
    mbufFree(d);
    t.is(pool.availCount(), 64);
  } finally {
    pool.release(mem);
  }
});

test('memory limits from -m are enforced with a clear message', (t) => {
  const mem = new MemoryManager(8 << 20);
  const e = t.throws(() => Mempool.create(mem, 'big', { size: 8192 }), { instanceOf: DpkitError });
  t.regex(e!.message, /-m allows 8\.0 MB/);
  t.throws(() => Mempool.create(new MemoryManager(), 'c', { size: 100, cacheSize: 100 }), { message: /cache size 100/ });
});

// memfd pools need the addon: without it, skipped off root and failed on root (a broken install)
(hasLinux() ? test : kernelTest(test))('a memfd pool is shared with a worker thread by fd', async (t) => {
  const { Worker } = await import('node:worker_threads');
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, 'mfd', { size: 256, cacheSize: 0, memory: 'memfd', dataRoomSize: 2048 });
  try {
    t.is(pool.region.kind, 'memfd');
    const m = pool.alloc();
    mbufAppend(m, 10);
    pool.bytes[pool.bufOffset(m) + pool.headroom] = 0xab;
    const src = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.url).then(({ Mempool, mbufFree }) => {
        const p = Mempool.attach(workerData.pool);
        const byte = p.bytes[p.bufOffset(workerData.m) + p.headroom];
        mbufFree(workerData.m);
        parentPort.postMessage([byte, p.availCount()]);
      });`;
    const url = new URL('../index.js', import.meta.url).href;
    const [byte, avail] = await new Promise<number[]>((resolve, reject) => {
      const w = new Worker(src, { eval: true, workerData: { url, pool: pool.descriptor(), m } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    t.is(byte, 0xab, 'the worker sees the data the main thread wrote');
    t.is(avail, 256, 'and frees the mbuf into the same pool');
    t.is(pool.availCount(), 256);
  } finally {
    pool.release(mem);
  }
});

test('attach of a posted descriptor gives back the same pool object (its specialised bursts too); a new pool with the same id is a new one', async (t) => {
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, 'attach-again', { size: 64, cacheSize: 16 });
  let id: number;
  try {
    id = pool.id;
    // what a worker receives at every launch: a structured clone, whose SharedArrayBuffer is a new object
    const posted = structuredClone(pool.descriptor());
    t.is(Mempool.attach(posted), pool);
    const generic = pool.allocBulkLen;
    await pool.specialise();
    t.not(pool.allocBulkLen, generic, 'specialise replaced the burst functions');
    const specialised = pool.allocBulkLen;
    t.is(Mempool.attach(structuredClone(pool.descriptor())).allocBulkLen, specialised, 'and a second attach keeps them');
  } finally {
    pool.release(mem);
  }
  // released: its memory went back (before, the region stayed reserved and its name taken)
  t.is(mem.lookup('mempool:attach-again'), undefined);
  const next = Mempool.create(mem, 'attach-again', { size: 64, cacheSize: 16 });
  try {
    t.is(next.id, id!);
    t.not(Mempool.attach(structuredClone(next.descriptor())), pool);
    t.is(Mempool.attach(structuredClone(next.descriptor())), next);
  } finally {
    next.release(mem);
  }
});
