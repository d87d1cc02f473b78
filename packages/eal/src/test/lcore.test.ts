import test from 'ava';
import { LcoreManager } from '../lcore/lcore.js';
import { onlineCpus } from '../args/corelist.js';
import { hasLinux, linux } from '../linux/native.js';
import { kernelTest } from '../testing.js';

const fns = new URL('./fixtures/lcore-functions.js', import.meta.url).href;

const hasTwo = onlineCpus().length > 1;

(hasTwo ? test.serial : test.skip)('launch on a worker lcore, wait for its result, errors come back', async (t) => {
  const m = new LcoreManager({ lcores: new Map([[0, [0]], [1, [1]]]), mainLcore: 0, pools: () => [] });
  await m.start();
  try {
    t.deepEqual(m.workerIds(), [1]);
    const self = { module: fns, export: 'double' };
    m.remoteLaunch(self, 21, 1);
    t.is(await m.wait(1), 42);
    const control = new SharedArrayBuffer(8);
    m.remoteLaunch({ module: fns, export: 'spin' }, { control }, 1);
    t.throws(() => m.remoteLaunch(self, 1, 1), { message: /lcore 1: it is busy/ });
    t.is(m.state(1), 'RUNNING');
    while (Atomics.load(new Int32Array(control), 1) === 0) await new Promise((r) => setTimeout(r, 1));
    t.is(Atomics.load(new Int32Array(control), 1), 1, 'the worker knows its lcore id');
    Atomics.store(new Int32Array(control), 0, 1);
    t.is(await m.wait(1), 'stopped');
    m.remoteLaunch({ module: fns, export: 'fail' }, undefined, 1);
    await t.throwsAsync(m.wait(1), { message: /lcore 1: boom/ });
    t.throws(() => m.remoteLaunch(self, 1, 0), { message: /not a worker lcore/ });
  } finally {
    await m.shutdown();
  }
});

// pinning needs the addon: without it, skipped off root and failed on root (a broken install)
(hasTwo ? (hasLinux() ? test.serial : kernelTest(test.serial)) : test.serial.skip)('lcore threads are pinned to their CPUs; the main thread gets its mask back', async (t) => {
  const before = linux().getAffinity();
  const m = new LcoreManager({ lcores: new Map([[0, [0]], [1, [1]]]), mainLcore: 0, pools: () => [] });
  await m.start();
  try {
    t.deepEqual(linux().getAffinity(), [0], 'main lcore pinned to cpu 0');
    t.true(m.pinned(1));
    m.remoteLaunch({ module: fns, export: 'affinity' }, undefined, 1);
    t.deepEqual(await m.wait(1), [1], 'worker lcore pinned to cpu 1');
  } finally {
    await m.shutdown();
  }
  t.deepEqual(linux().getAffinity(), before);
});
