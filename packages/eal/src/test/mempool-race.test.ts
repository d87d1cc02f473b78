/**
 * A thread that is not an EAL lcore has lcore id LCORE_ID_ANY and no mempool cache: it gets
 * and puts straight on the pool's ring (as in DPDK), so it cannot share the main lcore's
 * cache. Before this, such a thread used lcore 0's cache together with the main lcore, and two
 * threads on one pool lost mbufs and handed out the same handle twice.
 */
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { onlineCpus } from '../args/corelist.js';
import { LCORE_ID_ANY, lcoreId, setLcoreId } from '../lcore/current.js';
import { MemoryManager } from '../memory/region.js';
import { Mempool } from '../mbuf/mempool.js';
import { raceLoop } from './fixtures/pool-race.js';

test('a thread that is not an lcore has lcore id LCORE_ID_ANY', async (t) => {
  const id = await new Promise<number>((resolve, reject) => {
    const w = new Worker(`import(${JSON.stringify(new URL('../lcore/current.js', import.meta.url).href)}).then((m) => require('node:worker_threads').parentPort.postMessage(m.lcoreId()))`, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
  t.is(id, LCORE_ID_ANY);
});

(onlineCpus().length > 1 ? test.serial : test.serial.skip)('the main lcore and a thread that is not an lcore share a pool: nothing lost, no handle twice', async (t) => {
  const before = lcoreId();
  setLcoreId(0); // this thread is the main lcore, as Eal.init makes it
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, 'race', { size: 2048, cacheSize: 64 });
  try {
    const held = new SharedArrayBuffer(pool.size * 4);
    const control = new SharedArrayBuffer(8);
    const rounds = 300_000;
    const w = new Worker(new URL('./fixtures/pool-user.js', import.meta.url), {
      workerData: { pool: pool.descriptor(), held, control, rounds },
    });
    const theirs = new Promise<number>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    const c = new Int32Array(control);
    for (let i = 0; Atomics.load(c, 0) === 0 && i < 10_000; i++) await new Promise((r) => setTimeout(r, 1));
    t.is(Atomics.load(c, 0), 1, 'the other thread is ready');
    Atomics.store(c, 1, 1);
    const ours = raceLoop(pool, new Int32Array(held), rounds);
    const dups = ours + await theirs;
    await w.terminate();
    t.is(dups, 0, 'no handle held by two threads at once');
    t.is(pool.availCount(), pool.size, 'every mbuf is back in the pool');
    // and every handle is in it exactly once
    const all = new Uint32Array(pool.size);
    let got = 0;
    while (got < pool.size && pool.getBulk(all, got, 1)) got++;
    t.is(got, pool.size, 'the whole pool can be taken (cache and ring)');
    t.is(new Set(all).size, pool.size, 'no handle twice');
    pool.putBulk(all, 0, got);
  } finally {
    pool.release(mem);
    setLcoreId(before);
  }
});
