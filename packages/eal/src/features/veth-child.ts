/**
 * Run by the features checker inside a network namespace of its own (ip netns exec): imports
 * the driver module (argv[2], a file: URL exporting `drivers` or `driver`), probes the device
 * (argv[3], devargs on veth end argv[4]) in an EAL of its own, and prints one JSON line, what
 * its first port was seen to do. Internal to @dpkit/eal/testing.
 */
import { Eal } from '../eal.js';
import type { Driver } from '../driver/types.js';
import { observeFeatures } from './observe.js';

const [moduleUrl, vdev, iface] = process.argv.slice(2) as [string, string, string];
const mod = (await import(moduleUrl)) as { drivers?: readonly Driver[]; driver?: Driver };
const drivers = mod.drivers ?? (mod.driver ? [mod.driver] : []);
if (drivers.length === 0) throw new Error(`${moduleUrl} exports neither 'drivers' nor 'driver'`);
const eal = await Eal.init(['-l', '0', '--no-pci', `--file-prefix=features-ns-${process.pid}`, `--vdev=${vdev}`], { drivers });
if (!eal) throw new Error(`Eal.init for ${vdev} returned no EAL`);
try {
  const dev = eal.ethdevs.list()[0];
  if (!dev) throw new Error(`probing ${vdev} created no port`);
  const driver = drivers.find((d) => d.name === dev.driverName || d.aliases?.includes(dev.driverName));
  if (!driver) throw new Error(`port 0 of ${vdev} belongs to ${dev.driverName}, which ${moduleUrl} does not export`);
  process.stdout.write(JSON.stringify(await observeFeatures(eal, driver, iface)) + '\n');
} finally {
  await eal.cleanup();
}
