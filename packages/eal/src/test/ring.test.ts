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
  // Four spinning threads on a 2-CPU machine: a thread preempted inside its ring operation
  // stalls the others (as with DPDK's MP/MC rings, which is why lcores are one thread per
  // CPU), so this checks correctness, not speed: every value a producer got in is consumed
  // exactly once, by the consumers or by the final drain. Every loop stops at a deadline.
  const r = Ring.create('mpmc', 1024, 0);
  const per = 100_000;
  const seen = new SharedArrayBuffer(2 * per);
  const stop = new SharedArrayBuffer(4);
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ Ring }) => {
      const r = Ring.attach(workerData.ring);
      const seen = new Uint8Array(workerData.seen);
      const stop = new Int32Array(workerData.stop);
      const buf = new Uint32Array(16);
      const deadline = Date.now() + 3000;
      if (workerData.role === 'prod') {
        let next = workerData.base, end = workerData.base + workerData.per;
        while (next < end && Date.now() < deadline) {
          const n = Math.min(16, end - next);
          for (let i = 0; i < n; i++) buf[i] = next + i;
          next += r.enqueueBurst(buf, 0, n);
        }
        parentPort.postMessage(next - workerData.base);
      } else {
        let count = 0;
        while (Atomics.load(stop, 0) === 0 && Date.now() < deadline + 1000) {
          const n = r.dequeueBurst(buf, 0, 16);
          for (let i = 0; i < n; i++) Atomics.add(seen, buf[i], 1);
          count += n;
        }
        parentPort.postMessage(count);
      }
    });`;
  const url = new URL('../ring/ring.js', import.meta.url).href;
  const run = (data: object) => new Promise<number>((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { url, ring: r.descriptor(), per, seen, stop, ...data } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  const consumers = [run({ role: 'cons' }), run({ role: 'cons' })];
  const [p1, p2] = await Promise.all([run({ role: 'prod', base: 0 }), run({ role: 'prod', base: per })]);
  Atomics.store(new Int32Array(stop), 0, 1);
  const [c1, c2] = await Promise.all(consumers);
  const rest = new Uint32Array(1024);
  const left = r.dequeueBurst(rest, 0, 1024);
  const marks = new Uint8Array(seen);
  for (let i = 0; i < left; i++) marks[rest[i]!]!++;
  t.true(p1! + p2! > 0, 'the producers made progress');
  t.is(c1! + c2! + left, p1! + p2!, 'as many values out as in');
  let wrong = 0;
  for (let v = 0; v < 2 * per; v++) {
    const produced = v < per ? v < p1! : v - per < p2!;
    if (marks[v] !== (produced ? 1 : 0)) wrong++;
  }
  t.is(wrong, 0, 'each value produced is consumed exactly once, and nothing else');
  t.is(r.count(), 0);
});

test('ring sizes must be powers of two', (t) => {
  t.throws(() => new Ring('x', new SharedArrayBuffer(4096), 0, 100, 0), { message: /power of two/ });
});
