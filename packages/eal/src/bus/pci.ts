/**
 * The PCI bus: lists the machine's PCI devices from sysfs (/sys/bus/pci/devices), read-only.
 * It matches drivers by their id tables, but it cannot hand a device to a user-space driver:
 * that needs the device bound to vfio-pci (or a UIO driver), and this machine has neither. A
 * match is reported with that reason instead of being probed. Drivers flagged BIFURC do not
 * need VFIO: they go through the `bifurc` bus and the kernel's netdev.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DpkitError } from '../errors.js';
import type { Devargs } from '../devargs/kvargs.js';
import { DrvFlags, pciIdMatches, type Bus, type BusContext, type Device, type PciDeviceInfo } from '../driver/types.js';

const SYSFS_PCI = '/sys/bus/pci/devices';
const PCI_ADDR = /^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

function readHex(path: string): number {
  try {
    return parseInt(readFileSync(path, 'utf8').trim(), 16);
  } catch {
    return 0;
  }
}

/** Reads one device's identity from sysfs. */
export function readPciDevice(address: string, root = SYSFS_PCI): PciDeviceInfo & { numaNode: number } {
  const dir = join(root, address);
  let kernelDriver: string | undefined;
  try {
    kernelDriver = basename(readlinkSync(join(dir, 'driver')));
  } catch {
    kernelDriver = undefined;
  }
  let numaNode = 0;
  try {
    numaNode = Math.max(0, parseInt(readFileSync(join(dir, 'numa_node'), 'utf8'), 10) || 0);
  } catch {
    numaNode = 0;
  }
  return {
    address, kernelDriver, numaNode,
    vendor: readHex(join(dir, 'vendor')), device: readHex(join(dir, 'device')),
    subVendor: readHex(join(dir, 'subsystem_vendor')), subDevice: readHex(join(dir, 'subsystem_device')),
    classId: readHex(join(dir, 'class')),
  };
}

export function normalizePciAddress(name: string): string | undefined {
  if (!PCI_ADDR.test(name)) return undefined;
  return (name.includes(':') && name.split(':').length === 3 ? name : `0000:${name}`).toLowerCase();
}

export function hasVfio(): boolean {
  try {
    readdirSync('/dev/vfio');
    return true;
  } catch {
    return false;
  }
}

export class PciBus implements Bus {
  readonly name = 'pci';
  private readonly list: Device[] = [];

  constructor(
    private readonly options: { allow: readonly Devargs[]; block: readonly string[]; root?: string },
  ) {}

  parse(name: string): string | undefined {
    return normalizePciAddress(name);
  }

  scan(ctx: BusContext): void {
    const root = this.options.root ?? SYSFS_PCI;
    let entries: string[];
    try {
      entries = readdirSync(root).sort();
    } catch {
      ctx.log.debug('PCI: no sysfs PCI bus on this machine');
      return;
    }
    const allow = new Map(this.options.allow.map((d) => [normalizePciAddress(d.name) ?? d.name, d]));
    const block = new Set(this.options.block.map((b) => normalizePciAddress(b) ?? b));
    for (const address of entries) {
      if (block.has(address) || (allow.size > 0 && !allow.has(address))) continue;
      const info = readPciDevice(address, root);
      this.list.push({ name: address, bus: this, devargs: allow.get(address), numaNode: info.numaNode, pci: info, driver: undefined, ports: [] });
    }
    for (const a of allow.keys()) {
      if (!this.list.some((d) => d.name === a)) throw new DpkitError(`-a ${a}: no such PCI device on this machine`, 'ENODEV');
    }
  }

  async probe(ctx: BusContext): Promise<void> {
    for (const dev of this.list) {
      for (const drv of ctx.drivers.forBus(this.name)) {
        if (!drv.idTable?.some((row) => pciIdMatches(row, dev.pci!))) continue;
        if (drv.drvFlags & DrvFlags.NEED_MAPPING && !hasVfio()) {
          ctx.log.notice(
            `PCI device ${dev.name} matches driver ${drv.name}, but mapping it needs the device bound to vfio-pci or uio, which this machine lacks; skipped`,
          );
          continue;
        }
        await ctx.probe(dev, drv);
        break;
      }
    }
  }

  async plug(devargs: Devargs): Promise<Device> {
    throw new DpkitError(
      `cannot attach PCI device ${devargs.name}: hotplug on the PCI bus needs VFIO, which this machine lacks`,
      'ENOTSUP',
    );
  }

  async unplug(dev: Device, ctx: BusContext): Promise<void> {
    await ctx.remove(dev);
  }

  devices(): readonly Device[] {
    return this.list;
  }
}
