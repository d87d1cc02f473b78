/**
 * Eal.cleanup() is rte_eal_cleanup plus rte_dev_remove on every device: a library user who
 * only calls cleanup gets every port stopped, closed and released and every device removed,
 * so nothing is held in the kernel (XDP programs, maps, sockets) until the process exits:
 * the netdev has no XDP program and the process no socket or BPF fd left that init opened.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { Eal } from '@dpkit/eal';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { driver as ringDriver } from '@dpkit/pmd-ring';

let seq = 0;
const prefix = () => `--file-prefix=cleanup-${process.pid}-${seq++}`;

test.serial('cleanup stops, closes and removes every port and device', async (t) => {
  const eal = (await Eal.init(['-l', '0', '--no-pci', prefix(), '--vdev=net_null0', '--vdev=net_ring0,nodeaction=cl:0:CREATE'], { drivers: [nullDriver, ringDriver] }))!;
  const pool = eal.mempoolCreate('cl', { size: 512, cacheSize: 0 });
  const events: string[] = [];
  eal.ethdevs.on('destroy', (p) => events.push(`destroy ${p}`));
  for (const dev of eal.ethdevs.list()) {
    dev.on('link-state', (p, up) => events.push(`link ${p} ${up ? 'up' : 'down'}`));
    await dev.configure(1, 1);
    await dev.rxQueueSetup(0, 512, 0, {}, pool);
    await dev.txQueueSetup(0, 512, 0, {});
    await dev.start();
  }
  const ring = eal.ethdevs.get(1);
  const pkts = new Uint32Array(8);
  t.true(pool.allocBulk(pkts, 0, 8));
  t.is(ring.txBurst(0, pkts, 0, 8), 8, 'mbufs left in net_ring0\'s ring');
  await eal.cleanup();
  t.deepEqual(eal.ethdevs.list(), [], 'no port is left');
  t.is(eal.findDevice('net_null0'), undefined, 'net_null0 is removed from its bus');
  t.is(eal.findDevice('net_ring0'), undefined, 'net_ring0 is removed from its bus');
  t.deepEqual(events, ['link 0 up', 'link 1 up', 'link 0 down', 'link 1 down', 'destroy 0', 'destroy 1'], 'every port stopped, then every device removed');
  // net_ring0's named rings went with it: another EAL may CREATE them again
  const again = (await Eal.init(['-l', '0', '--no-pci', prefix(), '--vdev=net_ring0,nodeaction=cl:0:CREATE'], { drivers: [ringDriver] }))!;
  t.is(again.ethdevs.list().length, 1);
  await again.cleanup();
});

const fixture = fileURLToPath(new URL('./fixtures/cleanup-netns.js', import.meta.url));
for (const mode of ['drv', 'skb']) {
  kernelTest(test.serial)(`cleanup detaches net_af_xdp's XDP program (XDP ${mode} mode)`, async (t) => {
    const out = await withVethPair((p) => p.exec(process.execPath, [fixture, p.a, mode], 60_000));
    const r = JSON.parse(out) as { started: unknown; after: unknown; ports: number; before: string[]; whileStarted: string[]; afterFds: string[] };
    t.not(r.started, null, 'an XDP program is attached while the port runs');
    t.is(r.after, null, 'no XDP program is left after cleanup');
    t.is(r.ports, 0);
    t.true(r.whileStarted.some((f) => f.startsWith('socket:')) && r.whileStarted.some((f) => f.startsWith('anon_inode:bpf')), `the port holds sockets and BPF objects: ${r.whileStarted.join(', ')}`);
    t.deepEqual(r.afterFds, r.before, 'every socket and BPF fd the port opened is closed');
  });
}
