/**
 * The bifurc bus: `--vdev=net_bifurc0,iface=IF,qpairs=N[,qoff=Q][,mode=drv|skb]` (or the RFC's
 * `rte_bifurc`) becomes a PCI-like device on this bus that carries the netdev's identity —
 * PCI address and ids from sysfs, or a documented virtual identity for netdevs without a PCI
 * device — and the bus probes the BIFURC driver whose id table matches it best (an exact
 * vendor/device match beats a wildcard). The netdev is opened by the first registered
 * direct-ring-access provider that claims it (the Linux AF_XDP provider last, for any netdev),
 * and the device carries what that provider gives: its handle and its steering (the XDP flow
 * classifier for AF_XDP, a NIC's flow director), whose rules decide what user space gets.
 */
import { DpkitError, type Devargs } from '@dpkit/eal';
import {
  DrvFlags, PCI_ANY_ID, defineDriver, defineParams, pciIdMatches, type Bus, type BusContext, type Device, type Driver,
  type PciDeviceInfo, type ProbeContext,
} from '@dpkit/eal/driver';
import { PIN_ENTRY_BYTES } from './classifier.js';
import { refuseNetdevRival, type BifurcAttachment, type NicAttachment, type XskAttachment } from './attachment.js';
import { isDraProvider, type DirectRingHandle, type DraProvider, type IfInfo, type NetdevId, type NtupleTable } from './dra.js';
import { linuxAfXdp, readNetdevId } from './dra-linux.js';

export const params = defineParams({
  iface: { type: 'string', syntax: '<netdev>', help: 'the Linux netdev to share with the kernel' },
  qpairs: { type: 'int', default: 1, min: 1, max: 64, help: 'queue pairs split off to user space' },
  qoff: { type: 'int', min: 0, max: 1023, help: 'first netdev queue of the split (default: the first the netdev lets user space have, 0 on a Linux netdev, 32 on the emulated 82599)' },
  mode: { type: 'string', default: 'drv', choices: ['drv', 'skb'], help: 'XDP attach mode' },
  pins: { type: 'int', default: 65536, min: 16, max: 1048576, help: `TCP connections pinned at most (${PIN_ENTRY_BYTES} bytes each, reserved at start)` },
  pinidle: { type: 'int', default: 120, min: 1, max: 86400, help: 'seconds after which an idle pin may be removed' },
  rules: { type: 'int', default: 4096, min: 1, max: 1048576, help: 'flow rules at most' },
  steering: { type: 'string', default: 'xdp', choices: ['xdp', 'ntuple', 'auto'], help: 'flow rules in the XDP classifier, in the NIC\'s ntuple filters, or ntuple where the netdev has them (AF_XDP providers)' },
});

/** What the net_bifurc vdev's devargs give the bus. */
interface DeviceArgs {
  iface: string;
  qpairs: number;
  /** undefined: the provider's first user queue (IfInfo.firstUserQueue), else 0 */
  qoff: number | undefined;
  mode: 'drv' | 'skb';
  pins: number;
  pinidle: number;
  rules: number;
  steering: 'xdp' | 'ntuple' | 'auto';
}

export interface BifurcDevice extends Device {
  bifurc: BifurcAttachment;
  parent: Device;
}

/**
 * Which netdev queues each user queue serves in XDP steering. Netdev queue `qoff + q` is user
 * queue q's own (its tx queue); every other netdev queue j also gets a socket, in user queue
 * j mod qpairs, because an AF_XDP socket receives only from its own queue and a packet a rule
 * sends to user space may arrive on any of them.
 */
export function queueMapFor(rxQueues: number, qpairs: number, qoff: number): number[][] {
  const map = Array.from({ length: qpairs }, (_, q) => [qoff + q]);
  for (let j = 0; j < rxQueues; j++) if (j < qoff || j >= qoff + qpairs) map[j % qpairs]!.push(j);
  return map;
}

export interface BifurcOptions {
  /**
   * direct-ring-access providers, tried in this order before those `-d` modules add; the Linux
   * AF_XDP provider comes last whatever the order given
   */
  providers?: readonly DraProvider[];
  /** the ethtool layer of steering=ntuple (default: the kernel's); tests of the translation inject one */
  ntupleTable?: NtupleTable;
}

export class BifurcBus implements Bus {
  readonly name = 'bifurc';
  private ctx: BusContext | undefined;
  private readonly list: BifurcDevice[] = [];
  /** devices whose steering and handle are closed (destroy) */
  private readonly released = new WeakSet<BifurcDevice>();
  /** the registered providers but the Linux one, in registration order */
  private readonly registered: DraProvider[] = [];
  private readonly ntupleTable: NtupleTable | undefined;

  constructor(o: BifurcOptions = {}) {
    this.ntupleTable = o.ntupleTable;
    for (const p of o.providers ?? []) this.addProvider(p);
  }

  /** The providers in the order they are tried: as registered, the Linux AF_XDP provider last. */
  get providers(): readonly DraProvider[] {
    return [...this.registered, linuxAfXdp];
  }

  /**
   * Registers a provider, tried after those registered before it and before the Linux AF_XDP
   * provider (which is always last: registering it does nothing). Registering a provider again
   * does nothing; another provider of a name already registered is refused (EEXIST).
   */
  addProvider(p: DraProvider, from = 'bifurc'): void {
    if (p === linuxAfXdp || this.registered.includes(p)) return;
    if (this.providers.some((q) => q.name === p.name)) {
      throw new DpkitError(`${from}: a direct-ring-access provider named '${p.name}' is registered already (one per name): load or register only one of the two`, 'EEXIST');
    }
    this.registered.push(p);
  }

  /** Bus.addProviders: takes the direct-ring-access providers of a `-d` module, returns the rest. */
  addProviders(list: readonly unknown[], from: string): unknown[] {
    const rest: unknown[] = [];
    for (const p of list) {
      if (isDraProvider(p)) this.addProvider(p, from);
      else rest.push(p);
    }
    return rest;
  }

  /** The provider that serves a netdev: the first that claims it. */
  providerFor(netdev: NetdevId): DraProvider {
    return this.providers.find((p) => p.claims(netdev)) ?? linuxAfXdp;
  }

  /** The attachment of a device of this bus (undefined for any other device). */
  attachmentOf(device: Device): BifurcAttachment | undefined {
    return this.list.find((d) => d === device)?.bifurc;
  }

  scan(ctx: BusContext): void {
    this.ctx = ctx;
  }

  /** Devices come from the net_bifurc vdev; nothing is named on this bus directly. */
  parse(): string | undefined {
    return undefined;
  }

  async probe(): Promise<void> {
    // each device is probed when its net_bifurc vdev creates it
  }

  /** The BIFURC driver for an identity: exact vendor/device rows beat wildcards. */
  driverFor(pci: PciDeviceInfo, ctx: BusContext): Driver | undefined {
    let best: Driver | undefined;
    let score = -1;
    for (const d of ctx.drivers.forBus(this.name)) {
      if (!(d.drvFlags & DrvFlags.BIFURC)) continue;
      for (const row of d.idTable ?? []) {
        if (!pciIdMatches(row, pci)) continue;
        const s = (row.vendor !== PCI_ANY_ID ? 2 : 0) + (row.device !== PCI_ANY_ID ? 2 : 0) + (row.subVendor !== undefined ? 1 : 0);
        if (s > score) {
          best = d;
          score = s;
        }
      }
    }
    return best;
  }

  /**
   * Creates the device for `parent` (a net_bifurc vdev) and probes its driver; says which
   * provider opened the netdev and which driver probed it on `log` (the vdev's, bus.bifurc).
   */
  async create(parent: Device, v: DeviceArgs, log?: ProbeContext['log']): Promise<BifurcDevice> {
    const ctx = this.ctx;
    if (!ctx) throw new DpkitError(`${parent.name}: the bifurc bus is not registered with the EAL; pass it in Eal.init's buses`, 'ENODEV');
    refuseNetdevRival(parent, v.iface);
    const netdev = readNetdevId(v.iface, parent.name);
    const provider = this.providerFor(netdev);
    const h = await provider.open(netdev);
    let bifurc: BifurcAttachment;
    try {
      bifurc = this.attachment(parent, h, h.getIfinfo(), v, ctx);
    } catch (err) {
      await h.close();
      throw err;
    }
    const info = bifurc.ifinfo;
    const drv = this.driverFor(info.pci, ctx);
    if (!drv) {
      bifurc.steering?.close();
      await h.close();
      throw new DpkitError(`${parent.name}: no BIFURC driver matches ${info.pci.address} (${hex4(info.pci.vendor)}:${hex4(info.pci.device)}); install @dpkit/pmd-af-xdp (any netdev) or load a driver with -d`, 'ENODEV');
    }
    const dev: BifurcDevice = {
      name: info.pci.address, bus: this, devargs: undefined, numaNode: info.numaNode, pci: info.pci, driver: undefined, ports: [],
      parent, bifurc,
    };
    this.list.push(dev);
    try {
      await ctx.probe(dev, drv);
    } catch (err) {
      this.list.splice(this.list.indexOf(dev), 1);
      bifurc.steering?.close();
      await h.close();
      throw err;
    }
    (log ?? ctx.log).info(`${parent.name}: ${v.iface} (${info.pci.address} ${hex4(info.pci.vendor)}:${hex4(info.pci.device)}${info.virtual ? ', virtual' : ''}) opened by ${provider.name}, probed by ${drv.name}`);
    return dev;
  }

  /** What the device hands its driver: the provider's handle and the steering it brings. */
  private attachment(parent: Device, h: DirectRingHandle, info: IfInfo, args: DeviceArgs, ctx: BusContext): BifurcAttachment {
    const v = { ...args, qoff: args.qoff ?? info.firstUserQueue ?? 0 };
    if (v.qoff + v.qpairs > info.rxQueues) {
      throw new DpkitError(`${parent.name}: qoff=${v.qoff} qpairs=${v.qpairs} needs netdev queues ${v.qoff}..${v.qoff + v.qpairs - 1}, '${v.iface}' has ${info.rxQueues} (0..${info.rxQueues - 1}); lower them or add channels with ethtool -L`, 'EINVAL');
    }
    if (parent.devargs) h.putDevargs(parent.devargs.args);
    const steeringOptions = {
      queues: v.qpairs, qoff: v.qoff, steering: v.steering, ...(this.ntupleTable ? { ntupleTable: this.ntupleTable } : {}), pinEntries: v.pins, pinIdleSeconds: v.pinidle, maxRules: v.rules, name: parent.name.replace(/[^a-z0-9]/gi, '').slice(0, 8),
      label: parent.name, log: ctx.log,
    };
    const base = { iface: v.iface, ifinfo: info, qpairs: v.qpairs, qoff: v.qoff, provider: h.provider };
    if (h.kind === 'xsk') {
      const steering = h.flowSteering(steeringOptions);
      // NIC steering names queues exactly: only the split ones get sockets
      const queueMap = steering.exactQueues ? Array.from({ length: v.qpairs }, (_, q) => [v.qoff + q]) : queueMapFor(info.rxQueues, v.qpairs, v.qoff);
      const a: XskAttachment = { ...base, kind: 'xsk', rings: h, queueMap, mode: v.mode, steering };
      return a;
    }
    const a: NicAttachment = { ...base, kind: 'nic', rings: h, steering: h.flowSteering(steeringOptions) };
    return a;
  }

  /**
   * Removes the device: its driver first, then the steering and the provider's handle (its
   * queue locks), which are closed even when the driver's remove fails. A failed remove leaves
   * the device listed, so that removing it again retries the driver's remove (the steering and
   * the handle are closed once).
   */
  async destroy(dev: BifurcDevice): Promise<void> {
    const ctx = this.ctx!;
    try {
      await ctx.remove(dev);
    } finally {
      await this.release(dev);
    }
    const i = this.list.indexOf(dev);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** Closes a device's steering and handle, once. */
  private async release(dev: BifurcDevice): Promise<void> {
    if (this.released.has(dev)) return;
    this.released.add(dev);
    try {
      dev.bifurc.steering?.close();
    } finally {
      await dev.bifurc.rings.close();
    }
  }

  plug(devargs: Devargs): Promise<Device> {
    throw new DpkitError(`bifurc devices are created with --vdev=net_bifurc<N>,iface=<netdev> (or 'port attach net_bifurc1,iface=...'), not '${devargs.name}'`, 'EINVAL');
  }

  /** Detaching a port of a bifurc device removes its net_bifurc vdev, which removes it. */
  async unplug(dev: Device, ctx: BusContext): Promise<void> {
    const parent = (dev as BifurcDevice).parent;
    await parent.bus.unplug(parent, ctx);
  }

  devices(): readonly Device[] {
    return this.list;
  }

  usage(): string[] {
    return ['  bifurc: devices from --vdev=net_bifurc<N>,iface=<netdev>[,qpairs=N][,qoff=Q][,mode=drv|skb][,pins=N][,pinidle=S][,rules=N][,steering=xdp|ntuple|auto] (alias rte_bifurc)'];
  }
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/**
 * The attachment a bifurc device hands its driver, or undefined if `device` is not one (a
 * driver of another bus, say).
 */
export function bifurcAttachment(device: Device): BifurcAttachment | undefined {
  return device.bus instanceof BifurcBus ? device.bus.attachmentOf(device) : undefined;
}

function needAttachment(device: Device): BifurcAttachment {
  const a = bifurcAttachment(device);
  if (!a) throw new DpkitError(`${device.name}: not a bifurc device (no netdev attached by the bus)`, 'EINVAL');
  return a;
}

const wrongKind = (device: Device, a: BifurcAttachment, driver: string) => new DpkitError(
  `${device.name}: ${a.iface} is served by provider ${a.provider} (${a.kind} rings), which ${driver} does not drive: load a BIFURC driver for ${pciIds(a.ifinfo.pci)} (-d PACKAGE)`, 'ENOTSUP');
const pciIds = (p: PciDeviceInfo) => `${hex4(p.vendor)}:${hex4(p.device)}`;

/** The attachment of an AF_XDP bifurc device for `driver`; one line if the device is not one. */
export function xskAttachment(device: Device, driver: string): XskAttachment {
  const a = needAttachment(device);
  if (a.kind === 'xsk') return a;
  throw wrongKind(device, a, driver);
}

/** The attachment of a descriptor-ring NIC's bifurc device for `driver`; one line if it is not one. */
export function nicAttachment(device: Device, driver: string): NicAttachment {
  const a = needAttachment(device);
  if (a.kind === 'nic') return a;
  throw wrongKind(device, a, driver);
}

/**
 * The bus and the net_bifurc vdev driver that feeds it. Register both with the EAL. `providers`
 * are tried before the Linux AF_XDP provider, which serves every netdev.
 */
export function bifurc(o: BifurcOptions = {}): { bus: BifurcBus; drivers: Driver[] } {
  const bus = new BifurcBus(o);
  const children = new Map<Device, BifurcDevice>();
  const vdev = defineDriver({
    name: 'net_bifurc',
    aliases: ['rte_bifurc'],
    bus: 'vdev',
    drvFlags: 0,
    params,
    logType: 'bus.bifurc',
    async probe(device, ctx) {
      const v = ctx.params;
      if (!v.iface) throw new DpkitError(`${device.name}: devarg iface=<netdev> is required, e.g. --vdev=${device.name},iface=eth0,qpairs=1`);
      const child = await bus.create(device, { iface: v.iface, qpairs: v.qpairs, qoff: v.qoff, mode: v.mode, pins: v.pins, pinidle: v.pinidle, rules: v.rules, steering: v.steering }, ctx.log);
      children.set(device, child);
      // the vdev answers for its child's ports (port attach lists them)
      device.ports.push(...child.ports);
    },
    async remove(device) {
      const child = children.get(device);
      // a failed destroy keeps the child (and the ports), so that removing the vdev again retries it
      if (child) await bus.destroy(child);
      children.delete(device);
      device.ports.length = 0;
    },
  });
  return { bus, drivers: [vdev] };
}
