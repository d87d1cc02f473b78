/**
 * Provider registration on the bifurc bus, without a NIC: the order providers are tried in (the
 * Linux AF_XDP provider last, whatever the order given), what the bus takes of a `-d` module's
 * `providers`.
 */
import test from 'ava';
import { DpkitError } from '@dpkit/eal';
import { bifurc, BifurcBus } from '../bus.js';
import { linuxAfXdp } from '../dra-linux.js';
import type { DraProvider, NetdevId } from '../dra.js';
import { nicTestProvider } from './fixtures/nic-test-provider.js';

const vb: NetdevId = { name: 'vb', ifindex: 7, driver: 'veth' };
const names = (bus: BifurcBus) => bus.providers.map((p) => p.name);

test('the Linux AF_XDP provider is tried last even when given first: the NIC provider given after it gets its netdev', (t) => {
  const nic = nicTestProvider('vb');
  const { bus } = bifurc({ providers: [linuxAfXdp, nic] });
  t.deepEqual(names(bus), ['nic-test-fixture', 'linux-af-xdp']);
  t.is(bus.providerFor(vb).name, 'nic-test-fixture');
  t.is(bus.providerFor({ ...vb, name: 'va' }).name, 'linux-af-xdp', 'any other netdev: the Linux provider');
});

test('addProviders takes the direct-ring-access providers of a -d module, after those given and before the Linux one, and returns the rest', (t) => {
  const given = nicTestProvider('va');
  const fromModule: DraProvider = { ...nicTestProvider('vb'), name: 'nic-from-module' };
  const { bus } = bifurc({ providers: [given] });
  const other = { name: 'not-a-dra-provider', kind: 'pcap' };
  t.deepEqual(bus.addProviders([fromModule, other], '-d ./plugin.js'), [other]);
  t.deepEqual(names(bus), ['nic-test-fixture', 'nic-from-module', 'linux-af-xdp']);
  t.is(bus.providerFor(vb).name, 'nic-from-module');
  t.deepEqual(bus.addProviders([fromModule, linuxAfXdp], '-d ./again.js'), [], 'the same provider again, or the Linux one: nothing changes');
  t.deepEqual(names(bus), ['nic-test-fixture', 'nic-from-module', 'linux-af-xdp']);
});

test('another provider of a registered name is refused in one line naming the module', (t) => {
  const { bus } = bifurc({ providers: [nicTestProvider('va')] });
  const e = t.throws(() => bus.addProviders([nicTestProvider('vb')], '-d ./plugin.js'), { instanceOf: DpkitError });
  t.is(`${e.code} ${e.message}`, "EEXIST -d ./plugin.js: a direct-ring-access provider named 'nic-test-fixture' is registered already (one per name): load or register only one of the two");
});
