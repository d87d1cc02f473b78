import test from 'ava';
import { Worker } from 'node:worker_threads';
import { Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } from '../ring/ring.js';

test('bulk moves all or nothing, burst moves what fits', (t) => {
  const r = Ring.create('t', 8, RING_F_SP_ENQ | RING_F_SC_DEQ);
  const objs = Uint32Array.from({ length: 10 }, (_, i) => i + 100);
  t.is(r.enqueueBulk(objs, 0, 10), 0, 'bulk over capacity enqueues nothing');
  t.is(r.enqueueBurst(objs, 0, 10), 8, 'burst fills the ring');
  t.is(r.count(), 8);
  t.is(r.freeCount(), 0);
  const out = new Uint32Array(10);
  t.is(r.dequeueBulk(out, 0, 9), 0);
  t.is(r.dequeueBurst(out, 1, 3), 3);
  t.deepEqual([...out.subarray(1, 4)], [100, 101, 102]);
  t.is(r.enqueueBulk(objs, 8, 2), 2, 'wraps around');
  t.is(r.dequeueBurst(out, 0, 10), 7);
  t.deepEqual([...out.subarray(0, 7)], [103, 104, 105, 106, 107, 108, 109]);
});

test('multi-producer/multi-consumer across threads loses and duplicates nothing', async (t) => {
  const r = Ring.create('mpmc', 1024, 0);
  const per = 200_000;
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ Ring }) => {
      const r = Ring.attach(workerData.ring);
      const buf = new Uint32Array(16);
      if (workerData.role === 'prod') {
        let next = workerData.base, end = workerData.base + workerData.per;
        while (next < end) {
          const n = Math.min(16, end - next);
          for (let i = 0; i < n; i++) buf[i] = next + i;
          next += r.enqueueBurst(buf, 0, n);
        }
        parentPort.postMessage(0);
      } else {
        let sum = 0, count = 0;
        const deadline = Date.now() + 20000;
        while (count < workerData.want && Date.now() < deadline) {
          const n = r.dequeueBurst(buf, 0, 16);
          for (let i = 0; i < n; i++) sum += buf[i];
          count += n;
        }
        parentPort.postMessage([count, sum]);
      }
    });`;
  const url = new URL('../ring/ring.js', import.meta.url).href;
  const run = (data: object) => new Promise<unknown>((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { url, ring: r.descriptor(), per, ...data } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  const results = await Promise.all([
    run({ role: 'prod', base: 0 }), run({ role: 'prod', base: per }),
    run({ role: 'cons', want: per }), run({ role: 'cons', want: per }),
  ]);
  const [c1, c2] = [results[2] as number[], results[3] as number[]];
  const n = 2 * per;
  t.is(c1[0]! + c2[0]!, n, 'every value dequeued once');
  t.is(c1[1]! + c2[1]!, (n * (n - 1)) / 2, 'and no value twice (sum of 0..n-1)');
  t.is(r.count(), 0);
});

test('ring sizes must be powers of two', (t) => {
  t.throws(() => new Ring('x', new SharedArrayBuffer(4096), 0, 100, 0), { message: /power of two/ });
});
