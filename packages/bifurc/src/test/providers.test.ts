/**
 * Providers are chosen by the netdev: the bus opens each netdev with the first registered
 * provider that claims it, the Linux AF_XDP provider last for every other netdev, and the
 * driver whose id table matches the identity the provider gives gets that provider's handle
 * (fixtures/providers-netns.ts, with the NIC-shaped test fixture provider).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const fixture = fileURLToPath(new URL('./fixtures/providers-netns.js', import.meta.url));
const real = kernelTest(test.serial);

real('the bus picks the provider by netdev: the NIC fixture provider for the netdev it claims, Linux AF_XDP for the other', async (t) => {
  await withVethPair((p) => {
    const out = JSON.parse(p.exec(process.execPath, [fixture, p.a, p.b], 30_000)) as Record<string, any>;
    t.deepEqual(out.providers, ['nic-test-fixture', 'linux-af-xdp'], 'the given providers first, the Linux one last');
    t.deepEqual(out.claimsAsked, ['va veth', 'vb veth'], 'claims() sees each netdev as the kernel names it');
    t.deepEqual(out.seen, [
      { driver: 'net_any_test', iface: 'va', kind: 'xsk', provider: 'linux-af-xdp', queueMap: [[0]] },
      {
        driver: 'net_nic_test', iface: 'vb', kind: 'nic', provider: 'nic-test-fixture', device: '0000:05:00.0', split: [32], doorbell: 255,
        iova: 0x1_0000_0000, steering: 'none',
        wrongKind: 'ENOTSUP 0000:05:00.0: vb is served by provider nic-test-fixture (nic rings), which net_af_xdp_bifurc does not drive: load a BIFURC driver for 8086:10fb (-d PACKAGE)',
      },
    ]);
  });
});

const dFixture = fileURLToPath(new URL('./fixtures/providers-d-netns.js', import.meta.url));

real('a provider package loaded with -d: its provider is chosen for the netdev it claims and hands it to its driver; Linux AF_XDP serves the other', async (t) => {
  await withVethPair((p) => {
    const out = JSON.parse(p.exec(process.execPath, [dFixture, p.a, p.b], 30_000)) as Record<string, any>;
    t.deepEqual(out.providers, ['nic-test-fixture', 'linux-af-xdp'], 'the -d module\'s provider registered, the Linux one last (though given first)');
    t.deepEqual(out.seen, [{ driver: 'net_any_test', iface: 'va', kind: 'xsk', provider: 'linux-af-xdp' }]);
    t.deepEqual(out.pluginSeen, [{ device: '0000:05:00.0', iface: 'vb', provider: 'nic-test-fixture', kind: 'nic' }]);
  });
});
