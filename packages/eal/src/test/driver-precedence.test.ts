/**
 * Drivers loaded with `-d` come before the application's own (Eal.init's `drivers`): a bus sees
 * them first in `forBus`, so one that takes the first (or the first best) match picks the `-d`
 * driver over a built-in one with an equal id row; a `-d` driver with a built-in one's name
 * replaces it. The modules are files of the test's own; a bus of the test's own records what
 * the registry gives it.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Eal } from '../eal.js';
import { DpkitError } from '../errors.js';
import type { Bus, BusContext, Driver } from '../driver/types.js';

let seq = 0;
const prefix = () => `--file-prefix=prec-${process.pid}-${threadId}-${seq++}`;

/** A descriptor with no imports (a module in a temporary directory cannot import @dpkit/eal). */
const driverSource = (name: string, bus: string, tag: string) =>
  `{ name: '${name}', bus: '${bus}', drvFlags: 0, params: {}, idTable: [{ vendor: 0x8086, device: 0x10fb }], probe() { (globalThis.probedBy ??= []).push('${tag}'); }, remove() {} }`;

const builtin = (name: string, bus: string): Driver =>
  ({ name, bus, drvFlags: 0, params: {}, idTable: [{ vendor: 0x8086, device: 0x10fb }], probe() { ((globalThis as { probedBy?: string[] }).probedBy ??= []).push('built-in'); }, remove() {} }) as unknown as Driver;

/** A bus that records the order of its drivers at probe time. */
function orderBus(): Bus & { order: string[] } {
  const order: string[] = [];
  return {
    name: 'mine', order,
    scan() {},
    parse: () => undefined,
    probe: async (ctx: BusContext) => {
      order.push(...ctx.drivers.forBus('mine').map((d) => d.name));
    },
    plug: () => Promise.reject(new DpkitError('no plug')),
    unplug: async () => {},
    devices: () => [],
  };
}

function withModule(code: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-prec-'));
  const path = join(dir, 'plugin.mjs');
  writeFileSync(path, code);
  return fn(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test.serial('a -d driver comes before the built-in drivers of its bus, whatever the registration order', async (t) => {
  await withModule(`export const drivers = [${driverSource('net_loaded', 'mine', 'loaded')}];`, async (path) => {
    const bus = orderBus();
    const eal = (await Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path], { drivers: [builtin('net_first', 'mine'), builtin('net_second', 'mine')], buses: [bus] }))!;
    t.deepEqual(bus.order, ['net_loaded', 'net_first', 'net_second']);
    t.deepEqual(eal.drivers.all().map((d) => d.name), ['net_first', 'net_second', 'net_loaded'], '-h keeps the registration order');
    await eal.cleanup();
  });
});

test.serial('a -d driver with a built-in driver\'s name replaces it: the vdev is probed by the -d one', async (t) => {
  await withModule(`export const driver = ${driverSource('net_same', 'vdev', 'loaded')};`, async (path) => {
    const g = globalThis as { probedBy?: string[] };
    g.probedBy = [];
    const eal = (await Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path, '--vdev=net_same0'], { drivers: [builtin('net_same', 'vdev')] }))!;
    t.deepEqual(g.probedBy, ['loaded']);
    t.deepEqual(eal.drivers.all().map((d) => d.name), ['net_same']);
    await eal.cleanup();
  });
});

test.serial('two -d drivers of one name are refused in one line', async (t) => {
  await withModule(`export const drivers = [${driverSource('net_twin', 'vdev', 'a')}, ${driverSource('net_twin', 'vdev', 'b')}];`, async (path) => {
    const e = await t.throwsAsync(Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path]), { instanceOf: DpkitError });
    t.is(e?.message, "cannot register driver 'net_twin': the name 'net_twin' is taken by 'net_twin'");
  });
});
