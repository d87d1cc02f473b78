/**
 * The virtual device bus (rte_bus_vdev): devices named by `--vdev=NAME,ARGS`. A device belongs
 * to the driver whose name (or an alias) starts its name, so `net_null0` and `net_null_a`
 * probe `net_null`; the longest matching name wins.
 */
import { DpkitError } from '../errors.js';
import type { Devargs } from '../devargs/kvargs.js';
import type { Bus, BusContext, Device, Driver } from '../driver/types.js';

export class VdevBus implements Bus {
  readonly name = 'vdev';
  private readonly list: Device[] = [];

  constructor(private readonly initial: readonly Devargs[] = []) {}

  /** The driver for a vdev name: longest driver name or alias that prefixes it. */
  driverFor(name: string, ctx: BusContext): Driver | undefined {
    let best: Driver | undefined;
    let bestLen = -1;
    for (const d of ctx.drivers.forBus(this.name)) {
      for (const n of [d.name, ...(d.aliases ?? [])]) {
        if (name.startsWith(n) && n.length > bestLen) {
          best = d;
          bestLen = n.length;
        }
      }
    }
    return best;
  }

  parse(name: string, ctx: BusContext): string | undefined {
    return this.driverFor(name, ctx) ? name : undefined;
  }

  scan(ctx: BusContext): void {
    for (const d of this.initial) this.add(d, ctx);
  }

  private add(devargs: Devargs, ctx: BusContext): Device {
    if (!this.driverFor(devargs.name, ctx)) {
      const known = ctx.drivers.forBus(this.name).map((d) => d.name);
      throw new DpkitError(
        `no driver for vdev '${devargs.name}': a vdev name starts with its driver's name (${known.length ? `known: ${known.join(', ')}` : 'no vdev driver is registered'}); load a driver package with -d`,
        'ENODEV',
      );
    }
    if (this.list.some((d) => d.name === devargs.name)) {
      throw new DpkitError(`vdev '${devargs.name}' is given twice; give each virtual device a unique name (net_null0, net_null1...)`, 'EEXIST');
    }
    const dev: Device = { name: devargs.name, bus: this, devargs, numaNode: 0, driver: undefined, ports: [] };
    this.list.push(dev);
    return dev;
  }

  async probe(ctx: BusContext): Promise<void> {
    for (const dev of this.list) if (!dev.driver) await ctx.probe(dev, this.driverFor(dev.name, ctx)!);
  }

  async plug(devargs: Devargs, ctx: BusContext): Promise<Device> {
    const dev = this.add(devargs, ctx);
    try {
      await ctx.probe(dev, this.driverFor(dev.name, ctx)!);
    } catch (err) {
      this.list.splice(this.list.indexOf(dev), 1);
      throw err;
    }
    return dev;
  }

  async unplug(dev: Device, ctx: BusContext): Promise<void> {
    await ctx.remove(dev);
    const i = this.list.indexOf(dev);
    if (i >= 0) this.list.splice(i, 1);
  }

  devices(): readonly Device[] {
    return this.list;
  }
}
