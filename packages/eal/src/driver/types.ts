/**
 * The driver SDK's contracts: buses, devices and driver descriptors, after rte_bus,
 * rte_device and rte_pci_driver. A driver is a plain object; registering it is one call
 * (`eal.drivers.register(driver)`) and the order of registrations does not matter: the EAL
 * matches drivers to devices only when it probes.
 */
import type { Devargs, ParamSchema, ParamValues } from '../devargs/kvargs.js';
import { DpkitError } from '../errors.js';
import type { LogType } from '../log/log.js';
import type { MemoryManager } from '../memory/region.js';
import type { EthDevOps } from '../ethdev/ops.js';
import type { FastPathModule } from '../ethdev/fastpath.js';
import type { DriverPort, PortDevice } from './port.js';

/** Driver flags, after RTE_PCI_DRV_*. */
export const DrvFlags = {
  /** the driver maps the device's BARs (needs VFIO or UIO) */
  NEED_MAPPING: 0x0001,
  /** the device supports write-combined mappings */
  WC_ACTIVATE: 0x0004,
  /** the driver raises link-state-change events */
  INTR_LSC: 0x0008,
  /** the driver raises device-removal events */
  INTR_RMV: 0x0010,
  /** keep the device mapped after remove */
  KEEP_MAPPED_RES: 0x0020,
  NEED_IOVA_AS_VA: 0x0040,
  /** the driver shares its device with the kernel driver (bifurcated): it takes some queues,
   * the kernel keeps the rest and its netdev keeps working */
  BIFURC: 0x0100,
} as const;

export const PCI_ANY_ID = 0xffff;

/** One row of a driver's id table (rte_pci_id); PCI_ANY_ID (or absent) matches anything. */
export interface PciId {
  vendor: number;
  device: number;
  subVendor?: number;
  subDevice?: number;
  classId?: number;
}

/** Identity of a PCI (or PCI-like) device. */
export interface PciDeviceInfo {
  address: string;
  vendor: number;
  device: number;
  subVendor: number;
  subDevice: number;
  classId: number;
  /** the kernel driver bound to it, if any */
  kernelDriver: string | undefined;
}

/** rte_device */
export interface Device extends PortDevice {
  readonly name: string;
  readonly bus: Bus;
  devargs: Devargs | undefined;
  numaNode: number;
  pci?: PciDeviceInfo;
  /** the driver that probed it */
  driver: Driver | undefined;
  /** ports its driver created */
  ports: number[];
  /** the device that created this one (the net_bifurc vdev of a bifurc device) */
  parent?: Device;
}

/** What a bus needs from the EAL to probe and remove devices. */
export interface BusContext {
  drivers: DriverRegistryView;
  /** checks the device's devargs against the driver's schema and calls its probe */
  probe(dev: Device, driver: Driver): Promise<void>;
  /** calls the driver's remove and releases the device's ports */
  remove(dev: Device): Promise<void>;
  log: LogType;
}

export interface DriverRegistryView {
  forBus(bus: string): readonly Driver[];
  find(name: string): Driver | undefined;
}

/** rte_bus */
export interface Bus {
  readonly name: string;
  /** Finds devices (from arguments, sysfs...). Called once at EAL init. */
  scan(ctx: BusContext): void | Promise<void>;
  /** The canonical device name if this bus handles `name`, else undefined. */
  parse(name: string, ctx: BusContext): string | undefined;
  /** Probes every scanned device that has a matching driver. */
  probe(ctx: BusContext): Promise<void>;
  /** Adds and probes a device at run time (hotplug); returns it. */
  plug(devargs: Devargs, ctx: BusContext): Promise<Device>;
  /** Removes a device at run time. */
  unplug(dev: Device, ctx: BusContext): Promise<void>;
  devices(): readonly Device[];
  /** Extra lines for `-h`. */
  usage?(): string[];
  /**
   * Takes what `-d` modules export as `providers` (the bus decides what a provider is: the
   * bifurc bus takes direct-ring-access providers) and returns those it does not take, which
   * the EAL offers to the next bus; a provider no bus takes fails init in one line. Called
   * once per `-d` module, in command-line order, after every bus is registered and before
   * any scan. The EAL does not look inside a provider.
   */
  addProviders?(providers: readonly unknown[], from: string): readonly unknown[];
}

/**
 * What a driver gives to create a port (rte_eth_dev_allocate and the fields a probe fills
 * in). `ops`, `priv` and `fastPath` are typed by the driver's own types and must agree: the
 * ops see `priv` as `port.priv`, and what rxQueueSetup/txQueueSetup return is the `data` the
 * fast-path module's createRxQueue/createTxQueue receive.
 */
export interface EthDevSpec<Priv, RxData, TxData> {
  name: string;
  device: Device;
  driver: string;
  ops: EthDevOps<Priv, RxData, TxData>;
  /** the fast-path module: `module` is its URL (for workers), `impl` the loaded module */
  fastPath: { module: string; impl: FastPathModule<RxData, TxData> };
  mac?: Uint8Array;
  mtu?: number;
  /** driver-private control-path state */
  priv: Priv;
  /** the driver raises link-state-change events */
  lsc?: boolean;
}

/** The port table as drivers use it (rte_eth_dev_allocate, rte_eth_dev_allocated, rte_eth_dev_release_port). */
export interface EthDevAllocator {
  /** A new port with the lowest free id; EEXIST for a name taken, ENOSPC when all are used. */
  allocate<Priv, RxData = unknown, TxData = unknown>(spec: EthDevSpec<Priv, RxData, TxData>): DriverPort<Priv>;
  /** The driver's view of port `port`; ENODEV naming the valid ones. */
  get(port: number): DriverPort;
  /** rte_eth_dev_close as a remove calls it: stops the port if it is started, then closes it. */
  close(port: DriverPort): Promise<void>;
  /** Gives the port id back (the port must not be used afterwards). */
  release(port: DriverPort): void;
}

/** What a driver's probe is given. */
export interface ProbeContext<S extends ParamSchema = ParamSchema> {
  /** the device's devargs, checked and typed against the driver's `params` */
  params: ParamValues<S>;
  /** the driver's log type (`pmd.net.<name>` by default) */
  log: LogType;
  ethdev: EthDevAllocator;
  memory: MemoryManager;
}

export interface RemoveContext {
  log: LogType;
  ethdev: EthDevAllocator;
}

/** A driver descriptor (rte_driver + rte_pci_driver). */
export interface Driver<S extends ParamSchema = ParamSchema> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** the bus it registers with: 'vdev', 'pci', 'bifurc'... */
  readonly bus: string;
  readonly idTable?: readonly PciId[];
  /** DrvFlags bits */
  readonly drvFlags: number;
  /** its devargs, typed */
  readonly params: S;
  /** log type name; default `pmd.net.<name without net_>` */
  readonly logType?: string;
  probe(dev: Device, ctx: ProbeContext<S>): void | Promise<void>;
  remove(dev: Device, ctx: RemoveContext): void | Promise<void>;
}

/**
 * What most drivers' `remove` does: stops (if started), closes and releases every port of the
 * device. Use it as `remove: removePorts`.
 */
export async function removePorts(dev: Device, ctx: RemoveContext): Promise<void> {
  for (const id of [...dev.ports]) {
    const port = ctx.ethdev.get(id);
    await ctx.ethdev.close(port);
    ctx.ethdev.release(port);
  }
}

/**
 * A driver's typed view of its own ports. `ctx.ethdev.get(id)` returns `DriverPort<unknown>`:
 * the port table holds every driver's ports, and nothing in it could prove a port's `Priv`
 * without a cast. What does hold the type is the `DriverPort<Priv>` that `allocate` returned;
 * this keeps it, so a `remove` that needs its private state reads it typed, with no cast:
 *
 *     const mine = new DriverPorts<MyPriv>();
 *     probe(device, ctx) { mine.allocate(ctx.ethdev, { ...spec, priv }); },
 *     remove: (device, ctx) => mine.remove(device, ctx, (port) => port.priv.handle.close()),
 *
 * A driver whose remove needs nothing of its state uses `removePorts`.
 */
export class DriverPorts<Priv> {
  private readonly own = new Map<number, DriverPort<Priv>>();

  /** `ethdev.allocate(spec)`, remembered as this driver's. */
  allocate<RxData, TxData>(ethdev: EthDevAllocator, spec: EthDevSpec<Priv, RxData, TxData>): DriverPort<Priv> {
    const port = ethdev.allocate(spec);
    this.own.set(port.portId, port);
    return port;
  }

  /** This driver's port `id`, typed; ENODEV if it is none of them (released, or another driver's). */
  get(ethdev: EthDevAllocator, id: number): DriverPort<Priv> {
    const mine = this.own.get(id);
    let current: DriverPort | undefined;
    try {
      current = ethdev.get(id);
    } catch {
      current = undefined;
    }
    if (mine && current === mine) return mine;
    if (mine) this.own.delete(id);
    throw new DpkitError(`port ${id} is not a port this driver allocated (released, or another driver's)`, 'ENODEV');
  }

  /**
   * `removePorts` with the ports typed: `each` sees every port of the device (while it is still
   * open), then the port is stopped if started, closed and released.
   */
  async remove(dev: Device, ctx: RemoveContext, each?: (port: DriverPort<Priv>) => void | Promise<void>): Promise<void> {
    for (const id of [...dev.ports]) {
      const port = this.get(ctx.ethdev, id);
      await each?.(port);
      await ctx.ethdev.close(port);
      ctx.ethdev.release(port);
      this.own.delete(id);
    }
  }
}

/** Keeps a driver descriptor's parameter types exact. */
export function defineDriver<const S extends ParamSchema>(driver: Driver<S>): Driver<S> {
  return driver;
}

/** Does `id` (a device's identity) match the table row `row`? */
export function pciIdMatches(row: PciId, id: PciDeviceInfo): boolean {
  const eq = (want: number | undefined, have: number) => want === undefined || want === PCI_ANY_ID || want === have;
  return (
    eq(row.vendor, id.vendor) && eq(row.device, id.device) && eq(row.subVendor, id.subVendor) &&
    eq(row.subDevice, id.subDevice) && (row.classId === undefined || row.classId === id.classId)
  );
}
