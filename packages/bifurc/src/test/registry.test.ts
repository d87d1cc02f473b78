/**
 * Provider registration on the bifurc bus, without a NIC: the order providers are tried in (the
 * Linux AF_XDP provider last, whatever the order given), what the bus takes of a `-d` module's
 * `providers`, and a device whose driver's remove fails (its handle is still closed, and
 * removing the vdev again retries the remove). The last one reads the loopback netdev's
 * identity (no traffic, nothing attached).
 */
import test from 'ava';
import { DpkitError, logs } from '@dpkit/eal';
import { DrvFlags, type BusContext, type Device, type Driver } from '@dpkit/eal/driver';
import { kernelTest } from '@dpkit/eal/testing';
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

const real = kernelTest(test.serial);

real('a driver remove that fails: the provider handle (its queue locks) is closed all the same, and removing the vdev again retries the remove', async (t) => {
  const base = nicTestProvider('lo');
  let closes = 0;
  const counting: DraProvider = {
    ...base,
    async open(netdev) {
      const h = await base.open(netdev);
      const close = h.close.bind(h);
      h.close = () => {
        closes++;
        return close();
      };
      return h;
    },
  };
  const { bus, drivers } = bifurc({ providers: [counting] });
  const nicDriver = { name: 'net_nic_test', bus: 'bifurc', drvFlags: DrvFlags.BIFURC, idTable: [{ vendor: 0x8086, device: 0x10fb }], params: {}, probe() {}, remove() {} } satisfies Driver;
  let removes = 0;
  const ctx: BusContext = {
    drivers: { forBus: (b) => (b === 'bifurc' ? [nicDriver] : []), find: () => undefined },
    probe: async (dev, drv) => void (dev.driver = drv),
    remove: async () => {
      if (removes++ === 0) throw new DpkitError('injected: the driver\'s remove failed', 'EIO');
    },
    log: logs.register('test.bifurc', 3),
  };
  bus.scan(ctx);
  const vdev: Device = { name: 'net_bifurc0', bus, devargs: { bus: undefined, name: 'net_bifurc0', args: 'iface=lo', text: 'net_bifurc0,iface=lo' }, numaNode: 0, driver: undefined, ports: [] };
  const vdevDriver = drivers[0]!;
  await vdevDriver.probe(vdev, { params: { iface: 'lo', qpairs: 1, qoff: 0, mode: 'drv', pins: 65536, pinidle: 120, rules: 4096, steering: 'xdp' }, log: ctx.log, ethdev: undefined!, memory: undefined! });
  t.is(bus.devices().length, 1);
  await t.throwsAsync(async () => vdevDriver.remove(vdev, { log: ctx.log, ethdev: undefined! }), { message: 'injected: the driver\'s remove failed' });
  t.is(closes, 1, 'the handle was closed although the remove failed');
  t.is(bus.devices().length, 1, 'the device stays, for a retry');
  await vdevDriver.remove(vdev, { log: ctx.log, ethdev: undefined! });
  t.is(removes, 2, 'removing the vdev again retried the driver\'s remove');
  t.is(closes, 1, 'the handle is closed once');
  t.is(bus.devices().length, 0);
});
