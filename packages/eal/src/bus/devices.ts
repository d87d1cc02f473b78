/**
 * Probing and removing devices, and attaching and detaching them at run time (rte_dev_probe,
 * rte_dev_remove). The one service the EAL's container builds (`container.resolve`): its
 * dependencies are the registries and the memory manager the composition root registered.
 */
import { inject, injectable } from 'tsyringe';
import { DpkitError } from '../errors.js';
import { parseDevargs, parseParams } from '../devargs/kvargs.js';
import type { BusContext, Device, Driver } from '../driver/types.js';
import { EthDevRegistry } from '../ethdev/ethdev.js';
import { logs, type LogType } from '../log/log.js';
import type { MemoryManager } from '../memory/region.js';
import { Tokens } from '../tokens.js';
import type { BusRegistry, DriverRegistry } from './registry.js';

@injectable()
export class DeviceManager {
  readonly context: BusContext;
  private readonly log: LogType = logs.register('eal', 6);

  constructor(
    @inject(Tokens.DriverRegistry) private readonly drivers: DriverRegistry,
    @inject(Tokens.BusRegistry) private readonly buses: BusRegistry,
    @inject(Tokens.EthDevRegistry) private readonly ethdevs: EthDevRegistry,
    @inject(Tokens.MemoryManager) private readonly memory: MemoryManager,
  ) {
    this.context = {
      drivers: this.drivers,
      log: this.log,
      probe: (dev, drv) => this.probe(dev, drv),
      remove: (dev) => this.remove(dev),
    };
  }

  private driverLog(drv: Driver): LogType {
    return logs.register(drv.logType ?? `pmd.net.${drv.name.replace(/^net_/, '')}`, 6);
  }

  /** Checks the devargs against the driver's schema, then calls its probe. */
  async probe(dev: Device, drv: Driver): Promise<void> {
    const params = parseParams(drv.name, drv.params, dev.devargs?.args ?? '');
    dev.driver = drv;
    try {
      await drv.probe(dev, { params, log: this.driverLog(drv), ethdev: EthDevRegistry.allocatorOf(this.ethdevs), memory: this.memory });
    } catch (err) {
      dev.driver = undefined;
      for (const p of [...dev.ports]) this.ethdevs.release(this.ethdevs.get(p));
      throw err;
    }
    this.log.debug(`probed ${dev.bus.name} device ${dev.name} with ${drv.name}`);
  }

  /** Calls the driver's remove and releases the device's ports. */
  async remove(dev: Device): Promise<void> {
    const drv = dev.driver;
    if (!drv) return;
    await drv.remove(dev, { log: this.driverLog(drv), ethdev: EthDevRegistry.allocatorOf(this.ethdevs) });
    for (const p of [...dev.ports]) this.ethdevs.release(this.ethdevs.get(p));
    dev.driver = undefined;
  }

  /** Scans every bus, then probes every bus (drivers may have registered in any order). */
  async scanAndProbe(): Promise<void> {
    for (const bus of this.buses.all()) await bus.scan(this.context);
    for (const bus of this.buses.all()) await bus.probe(this.context);
  }

  /** A device by name on any bus. */
  find(name: string): Device | undefined {
    for (const bus of this.buses.all()) {
      const dev = bus.devices().find((d) => d.name === name);
      if (dev) return dev;
    }
    return undefined;
  }

  /** rte_dev_probe: attaches a device at run time; returns the ports it created. */
  async attach(devargsText: string): Promise<number[]> {
    const devargs = parseDevargs(devargsText);
    const bus = devargs.bus
      ? this.buses.find(devargs.bus)
      : this.buses.all().find((b) => b.parse(devargs.name, this.context) !== undefined);
    if (!bus) {
      throw new DpkitError(
        devargs.bus ? `no bus named '${devargs.bus}' (buses: ${this.buses.all().map((b) => b.name).join(', ')})`
          : `no bus knows device '${devargs.name}': no driver name starts it, and it is no PCI address`,
        'ENODEV',
      );
    }
    const dev = await bus.plug(devargs, this.context);
    return [...dev.ports];
  }

  /**
   * At EAL cleanup (rte_eal_cleanup, then rte_dev_remove on every device): stops and closes
   * every port, then removes every probed device from its bus, so drivers let go of what they
   * hold in the kernel (XDP links, BPF maps, sockets) before the process ends. Goes on past a
   * failure and throws the first one at the end.
   */
  async removeAll(): Promise<void> {
    let first: unknown;
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        this.log.err(`cleanup: ${what}: ${(err as Error).message}`);
        first ??= err;
      }
    };
    for (const e of this.ethdevs.list()) {
      await attempt(`port ${e.portId}`, async () => {
        if (e.closed) return;
        if (e.started) await e.stop();
        await e.close();
      });
    }
    // buses in registration order: a device made by another (a net_bifurc vdev's) goes with it
    for (const bus of this.buses.all()) {
      for (const dev of [...bus.devices()]) {
        if (!dev.driver || !bus.devices().includes(dev)) continue;
        await attempt(`device ${dev.name}`, () => bus.unplug(dev, this.context));
      }
    }
    if (first !== undefined) throw first;
  }

  /** rte_dev_remove on the device of `port`; its ports must be closed. */
  async detach(port: number): Promise<void> {
    const dev = this.ethdevs.get(port).device;
    for (const p of dev.ports) {
      if (!this.ethdevs.get(p).closed) {
        throw new DpkitError(`cannot detach port ${port}: port ${p} of device ${dev.name} is not closed; close it first`, 'EBUSY');
      }
    }
    await dev.bus.unplug(dev, this.context);
  }
}
