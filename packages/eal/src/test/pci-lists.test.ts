/**
 * -a and -b with and without their bus prefix (`pci:ADDR`) name the same device, on this
 * machine's real PCI bus (sysfs, read-only).
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { Eal } from '../eal.js';

let devices: string[] = [];
try {
  devices = readdirSync('/sys/bus/pci/devices').sort();
} catch { /* no PCI bus here */ }
let seq = 0;
const init = (args: string[]) => Eal.init(['-l', '0', `--file-prefix=pci-lists-${process.pid}-${seq++}`, ...args]);

(devices.length >= 2 ? test.serial : test.serial.skip)('-b pci:ADDR blocks ADDR, -a pci:ADDR allows only ADDR', async (t) => {
  const [first, second] = devices as [string, string];
  for (const block of [first, `pci:${first}`]) {
    const eal = (await init(['-b', block]))!;
    t.is(eal.findDevice(first), undefined, `-b ${block}: the device is not on the bus`);
    t.truthy(eal.findDevice(second), `-b ${block}: the others are`);
    await eal.cleanup();
  }
  for (const allow of [second, `pci:${second}`]) {
    const eal = (await init(['-a', allow]))!;
    t.truthy(eal.findDevice(second), `-a ${allow}: the device is on the bus`);
    t.is(eal.findDevice(first), undefined, `-a ${allow}: no other is`);
    await eal.cleanup();
  }
});
