/**
 * The RFC's "direct ring access" API: what a bifurcated PMD asks of the kernel side of a NIC —
 * open a netdev, learn its identity (get_ifinfo, set_pci), keep devargs with it (get/put),
 * split queue pairs off the kernel and return them, register packet memory (map_umem), bind a
 * queue to it and map its descriptor rings (bind, map/unmap). This is the TypeScript interface
 * and its Linux provider, where queues are AF_XDP sockets and rings are the sockets' rings.
 * The emulated 82599 of a later issue will be a second provider, with real descriptor rings.
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { DpkitError, type Mempool } from '@dpkit/eal';
import { readPciDevice, type PciDeviceInfo } from '@dpkit/eal/driver';
import { XdpBind, XskRing, linux, netdevQueueCount, openXsk, type XskRingSizes } from '@dpkit/eal/linux';

export interface IfInfo {
  name: string;
  ifindex: number;
  mac: Uint8Array;
  mtu: number;
  flags: number;
  /** the kernel driver (ETHTOOL_GDRVINFO) */
  driver: string;
  rxQueues: number;
  txQueues: number;
  numaNode: number;
  /** PCI identity from sysfs, or the virtual identity (see virtualPci) */
  pci: PciDeviceInfo;
  /** true when the netdev has no PCI device */
  virtual: boolean;
}

/** A netdev's registered packet memory (UMEM over a mempool's buffers). */
export interface Umem {
  pool: Mempool;
  chunkSize: number;
}

/** A queue bound to user space: its socket and, once mapped, its rings. */
export interface BoundQueue {
  queue: number;
  fd: number;
  sizes: XskRingSizes;
}

export type RingSet = Record<'fill' | 'completion' | 'rx' | 'tx', XskRing | undefined>;

export interface DirectRingHandle {
  readonly iface: string;
  getIfinfo(): IfInfo;
  /** presents another identity for the device (a provider that emulates a NIC sets its own) */
  setPci(pci: PciDeviceInfo): void;
  getDevargs(): string | undefined;
  putDevargs(devargs: string): void;
  /** reserves netdev queues qoff..qoff+n-1 for user space; EBUSY if taken, EINVAL if absent */
  splitQueuePairs(n: number, qoff: number): number[];
  /** gives queues back to the kernel */
  returnQueuePairs(queues: readonly number[]): void;
  mapUmem(pool: Mempool): Umem;
  /** binds a split queue to the UMEM (an AF_XDP socket here) */
  bind(queue: number, umem: Umem, sizes: XskRingSizes, shareWith?: BoundQueue): BoundQueue;
  map(q: BoundQueue): RingSet;
  unmap(rings: RingSet): void;
  /** closes a bound queue's socket */
  unbind(q: BoundQueue): void;
  close(): void;
}

export interface DirectRingAccess {
  open(iface: string): DirectRingHandle;
}

/** Documented identity of a netdev without a PCI device: vendor 0x0000, device 0x0001, PCI
 * domain 0xffff, and the ifindex spread over bus, device and function. */
export function virtualPci(ifindex: number, driver: string): PciDeviceInfo {
  const bus = (ifindex >> 8) & 0xff;
  const dev = (ifindex >> 3) & 0x1f;
  const fn = ifindex & 7;
  return {
    address: `ffff:${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn}`,
    vendor: 0x0000, device: 0x0001, subVendor: 0, subDevice: 0, classId: 0x020000, kernelDriver: driver || undefined,
  };
}

/** queues split per netdev, across handles of this process */
const split = new Map<string, Set<number>>();
const devargsOf = new Map<string, string>();

class LinuxHandle implements DirectRingHandle {
  private pciOverride: PciDeviceInfo | undefined;

  constructor(readonly iface: string) {}

  getIfinfo(): IfInfo {
    const l = linux(`the bifurcated device on ${this.iface}`);
    let base: ReturnType<typeof l.ifInfo>;
    try {
      base = l.ifInfo(this.iface);
    } catch {
      throw new DpkitError(`no netdev '${this.iface}' in this network namespace; see 'ip link' for the names`, 'ENODEV');
    }
    let driver = '';
    try {
      driver = l.ethtoolDrvinfo(this.iface).driver;
    } catch {
      driver = '';
    }
    let pci: PciDeviceInfo | undefined;
    let numaNode = 0;
    try {
      const dir = readlinkSync(`/sys/class/net/${this.iface}/device`);
      if (basename(readlinkSync(`/sys/class/net/${this.iface}/device/subsystem`)) === 'pci') {
        const d = readPciDevice(basename(dir));
        numaNode = d.numaNode;
        pci = d;
      }
    } catch {
      pci = undefined;
    }
    return {
      name: this.iface, ifindex: base.ifindex, mac: Uint8Array.from(base.mac), mtu: base.mtu, flags: base.flags, driver,
      rxQueues: netdevQueueCount(this.iface, 'rx') || 1, txQueues: netdevQueueCount(this.iface, 'tx') || 1, numaNode,
      pci: this.pciOverride ?? pci ?? virtualPci(base.ifindex, driver), virtual: !this.pciOverride && !pci,
    };
  }

  setPci(p: PciDeviceInfo): void {
    this.pciOverride = p;
  }

  getDevargs(): string | undefined {
    return devargsOf.get(this.iface);
  }

  putDevargs(devargs: string): void {
    devargsOf.set(this.iface, devargs);
  }

  splitQueuePairs(n: number, qoff: number): number[] {
    const have = this.getIfinfo().rxQueues;
    if (qoff + n > have) throw new DpkitError(`${this.iface}: queues ${qoff}..${qoff + n - 1} asked, it has ${have}`, 'EINVAL');
    const taken = split.get(this.iface) ?? new Set<number>();
    const want = Array.from({ length: n }, (_, i) => qoff + i);
    const busy = want.filter((q) => taken.has(q));
    if (busy.length) throw new DpkitError(`${this.iface}: queues ${busy.join(', ')} are split off already`, 'EBUSY');
    for (const q of want) taken.add(q);
    split.set(this.iface, taken);
    return want;
  }

  returnQueuePairs(queues: readonly number[]): void {
    const taken = split.get(this.iface);
    for (const q of queues) taken?.delete(q);
  }

  mapUmem(pool: Mempool): Umem {
    if (pool.region.kind !== 'memfd' || (pool.eltSize !== 2048 && pool.eltSize !== 4096)) {
      throw new DpkitError(`mempool '${pool.name}' cannot be UMEM: it must be in memfd memory with 2048- or 4096-byte buffers`);
    }
    return { pool, chunkSize: pool.eltSize };
  }

  bind(queue: number, umem: Umem, sizes: XskRingSizes, shareWith?: BoundQueue): BoundQueue {
    const area = umem.pool.dataArea();
    const fd = openXsk({
      ifindex: this.getIfinfo().ifindex, queue, sizes, bindFlags: XdpBind.USE_NEED_WAKEUP,
      umem: { buffer: umem.pool.region.buffer, offset: area.offset, length: area.length, chunkSize: umem.chunkSize, headroom: 0 },
      ...(shareWith ? { sharedUmemFd: shareWith.fd } : {}),
    }, this.iface);
    return { queue, fd, sizes };
  }

  map(q: BoundQueue): RingSet {
    const ring = (name: 'fill' | 'completion' | 'rx' | 'tx') => (q.sizes[name] ? XskRing.map(q.fd, name, q.sizes[name]) : undefined);
    return { fill: ring('fill'), completion: ring('completion'), rx: ring('rx'), tx: ring('tx') };
  }

  unmap(rings: RingSet): void {
    for (const r of Object.values(rings)) r?.unmap();
  }

  unbind(q: BoundQueue): void {
    linux().close(q.fd);
  }

  close(): void {
    split.delete(this.iface);
  }
}

/** The Linux provider: netdevs through sysfs, ethtool and AF_XDP. */
export const linuxDirectRings: DirectRingAccess = {
  open: (iface) => new LinuxHandle(iface),
};
