/**
 * net_af_packet gives the netdev back its promiscuous and all-multicast flags at stop (read
 * from the kernel, in a namespace of the test's own: fixtures/promisc-netns.ts).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const fixture = fileURLToPath(new URL('./fixtures/promisc-netns.js', import.meta.url));
const real = kernelTest(test.serial);

real('promiscuous and all-multicast are on the netdev while the port is started, off again after stop and close', async (t) => {
  const r = await withVethPair((p) => JSON.parse(p.exec(process.execPath, [fixture, p.a], 60_000)));
  t.deepEqual(r, { before: 0, started: 0x300, stopped: 0, closed: 0 });
});
