import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '../linux/netns.js';
import { kernelTest } from '../testing.js';

const fixture = fileURLToPath(new URL('./fixtures/xsk-loopback.js', import.meta.url));
const real = kernelTest(test.serial);

for (const mode of ['drv', 'skb'] as const) {
  real(`AF_XDP: frames sent on one veth end reach the XSK on the other (XDP ${mode} mode, copy)`, async (t) => {
    await withVethPair(async (p) => {
      const out = JSON.parse(p.exec(process.execPath, [fixture, p.a, p.b, '1000', mode], 30_000));
      t.is(out.sent, 1000);
      t.is(out.completed, 1000, 'every tx descriptor completed');
      t.is(out.received, 1000, 'every frame reached the XSK');
      t.is(out.distinct, 1000, 'each once, intact');
    });
  });
}
