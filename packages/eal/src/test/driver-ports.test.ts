/**
 * DriverPorts<Priv>: a driver's own ports, typed, for a remove that needs its private state
 * (ctx.ethdev.get gives DriverPort<unknown>). Its remove sees each port's priv as the driver
 * typed it, then closes and releases the port; a port it did not allocate is refused (ENODEV).
 */
import test from 'ava';
import { threadId } from 'node:worker_threads';
import { Eal } from '../eal.js';
import { DriverPorts, defineDriver, defineParams, removePorts, type EthDevAllocator } from '../driver.js';
import { DpkitError } from '../errors.js';
import type { EthDevOps } from '../ethdev/ops.js';
import { idleQueue } from '../ethdev/fastpath.js';

interface Typed {
  label: string;
}
const ops: EthDevOps<Typed, null, null> = {
  infoGet: () => ({ maxRxQueues: 1, maxTxQueues: 1 }),
  configure: () => undefined,
  start: () => undefined,
  stop: () => undefined,
  close: () => undefined,
  rxQueueSetup: () => null,
  txQueueSetup: () => null,
  linkUpdate: () => ({ speed: 0, duplex: 'full', autoneg: false, up: false }),
};
const fastPath = { createRxQueue: () => idleQueue, createTxQueue: () => idleQueue };

const mine = new DriverPorts<Typed>();
const removed: string[] = [];
let allocator: EthDevAllocator | undefined;
const typed = defineDriver({
  name: 'net_typed', bus: 'vdev', drvFlags: 0, params: defineParams({ label: { type: 'string', default: '' }, fail: { type: 'bool', default: false } }),
  probe(device, ctx) {
    allocator = ctx.ethdev;
    mine.allocate(ctx.ethdev, { name: device.name, device, driver: 'net_typed', ops, priv: { label: ctx.params.label }, fastPath: { module: import.meta.url, impl: fastPath } });
    // a probe that fails after allocating: the EAL releases the port, not the driver
    if (ctx.params.fail) throw new DpkitError(`${device.name}: probe fails on purpose`);
  },
  remove: (device, ctx) => mine.remove(device, ctx, (port) => void removed.push(`${port.priv.label} open=${port.started ? 'started' : 'stopped'}`)),
});
const other = defineDriver({
  name: 'net_other', bus: 'vdev', drvFlags: 0, params: defineParams({}),
  probe(device, ctx) {
    ctx.ethdev.allocate({ name: device.name, device, driver: 'net_other', ops, priv: { label: 'other' }, fastPath: { module: import.meta.url, impl: fastPath } });
  },
  remove: removePorts,
});

test('a driver\'s remove reads its ports\' private state typed through DriverPorts, and another driver\'s port is refused', async (t) => {
  const eal = (await Eal.init(['-l', '0', '--no-pci', '--vdev=net_typed0,label=first', '--vdev=net_other0', `--file-prefix=dports-${process.pid}-${threadId}`], { drivers: [typed, other] }))!;
  try {
    t.is(mine.get(allocator!, 0).priv.label, 'first');
    const e = t.throws(() => mine.get(allocator!, 1), { instanceOf: DpkitError });
    t.is(`${e.code} ${e.message}`, "ENODEV port 1 is not a port this driver allocated (released, or another driver's)");
    // port 2 allocated by a probe that failed (released by the EAL), then given to another driver's device
    await t.throwsAsync(eal.attach('net_typed1,fail=1'), { message: 'net_typed1: probe fails on purpose' });
    t.deepEqual(await eal.attach('net_other1'), [2]);
    const reused = t.throws(() => mine.get(allocator!, 2), { instanceOf: DpkitError });
    t.is(reused.code, 'ENODEV', 'a port id released and taken by another driver is not this driver\'s');
  } finally {
    await eal.cleanup();
  }
  t.deepEqual(removed, ['first open=stopped']);
  const e = t.throws(() => mine.get(allocator!, 0), { instanceOf: DpkitError });
  t.is(e.code, 'ENODEV', 'a released port is no longer the driver\'s');
});
