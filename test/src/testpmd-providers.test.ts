/**
 * A provider package loaded into dpkit-testpmd with `-d`: dpkit-testpmd builds its bifurc bus
 * with no provider of its own, and the EAL hands the module's `providers` to it. The module is
 * @dpkit/bifurc's NIC-shaped test fixture (fixtures/nic-plugin.js: a provider claiming vb and a
 * driver for its 8086:10FB identity); va stays with the Linux AF_XDP provider. In a namespace
 * with a veth pair of the test's own.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';
import { CLI } from './testpmd-process.js';

const PLUGIN = fileURLToPath(new URL('../../packages/bifurc/dist/test/fixtures/nic-plugin.js', import.meta.url));
const real = kernelTest(test.serial);

real('dpkit-testpmd -d PROVIDER-MODULE: the module\'s provider opens the netdev it claims, for its driver; Linux AF_XDP opens the other', async (t) => {
  await withVethPair((p) => {
    const r = spawnSync('ip', ['netns', 'exec', p.ns, process.execPath, CLI, '-l', '0-1', '--no-pci', `--file-prefix=tpprov-${process.pid}`, '-d', PLUGIN,
      '--vdev=net_bifurc0,iface=va', '--vdev=net_bifurc1,iface=vb,qoff=32', '--log-level=bus.bifurc:info', '--', '-i'], { input: 'quit\n', encoding: 'utf8', timeout: 60_000 });
    const out = r.stdout + r.stderr;
    t.is(r.status, 0, out);
    const lines = out.split('\n');
    t.true(lines.includes('BIFURC: net_bifurc1: vb (0000:05:00.0 8086:10fb) opened by nic-test-fixture, probed by net_nic_test'), out);
    t.true(lines.includes('NIC_TEST: 0000:05:00.0: vb handed by provider nic-test-fixture (nic rings)'), out);
    t.regex(out, /^BIFURC: net_bifurc0: va \(ffff:[0-9a-f:.]+ 0000:0001, virtual\) opened by linux-af-xdp, probed by net_af_xdp_bifurc$/m);
  });
});
