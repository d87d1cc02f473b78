import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '../linux/netns.js';
import { kernelTest } from '../testing.js';

const fixture = fileURLToPath(new URL('./fixtures/tap-netns.js', import.meta.url));
const real = kernelTest(test.serial);

real('TAP: the kernel sends through it and receives from it; a uv_poll watcher wakes on frames', async (t) => {
  await withVethPair((p) => {
    const out = JSON.parse(p.exec(process.execPath, [fixture], 30_000)) as Record<string, unknown>;
    t.is(out.name, 'dtap0');
    t.false(out.idleWait, 'an idle TAP fd times out');
    t.true(out.readable, 'the watcher fired when the kernel sent a frame');
    t.deepEqual(out.dstMac, [2, 0, 0, 0, 0, 2], 'to the neighbour');
    t.is(out.udpDport, 9999);
    t.is(out.payload, 'dpkit tap out');
    t.is(out.written, 42 + 'dpkit tap in'.length);
    t.is(out.received, 'dpkit tap in', 'the frame written into the TAP reached the socket');
  });
});
