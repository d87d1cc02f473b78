/**
 * The Linux AF_XDP provider of direct ring access: any netdev, through sysfs, ethtool and
 * AF_XDP. Queues are AF_XDP sockets, rings are the sockets' rings, the steering is an XDP
 * program (the plain redirect, or the flow classifier). It claims every netdev: the bus tries
 * it after every provider it was given.
 */
import { readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { DpkitError, type Mempool } from '@dpkit/eal';
import { readPciDevice, type PciDeviceInfo } from '@dpkit/eal/driver';
import {
  XdpBind, XskRing, attachXdp, linux, loadXdpProgram, netdevQueueCount, openXsk, xskRedirectProgram, type XskRingSizes,
} from '@dpkit/eal/linux';
import { PIN_ENTRY_BYTES, XdpClassifier } from './classifier.js';
import { NtupleSteering, kernelNtupleTable, ntupleUnavailable } from './ntuple.js';
import {
  virtualPci, type DraProvider, type IfInfo, type NetdevId, type SteeringOptions, type XdpFlowSteering, type XdpSteering,
  type XskBindOptions, type XskQueue, type XskRingName, type XskRingSet, type XskRings, type XskUmem,
} from './dra.js';
import { lockQueues, queueLocked, unlockQueues } from './queue-lock.js';

/** pins above this many get their kernel memory said at notice level */
const PINS_DEFAULT = 65536;
/** a socket closed by this process frees its queue asynchronously: bind retries EBUSY this long */
const BIND_RETRY_MS = 1000;
const BIND_RETRY_STEP_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const devargsOf = new Map<string, string>();

/** The netdev `iface` as the kernel names it, or one line saying it is not there. */
export function readNetdevId(iface: string, label: string): NetdevId {
  const l = linux(`${label} on netdev ${iface}`);
  let ifindex: number;
  try {
    ifindex = l.ifInfo(iface).ifindex;
  } catch {
    throw new DpkitError(`${label}: no netdev '${iface}' in this network namespace; see 'ip link' for the names`, 'ENODEV');
  }
  let driver = '';
  try {
    driver = l.ethtoolDrvinfo(iface).driver;
  } catch {
    driver = '';
  }
  return { name: iface, ifindex, driver };
}

/** The plain steering: bpf_redirect_map(xskmap, rx_queue_index, XDP_PASS). */
const redirect: XdpSteering = {
  attach(xskMap, ifindex, mode) {
    const prog = loadXdpProgram(xskRedirectProgram(xskMap), 'dpkit_xsk');
    try {
      const link = attachXdp(prog, ifindex, mode);
      return { detach: () => { linux().close(link); linux().close(prog); } };
    } catch (err) {
      linux().close(prog);
      throw err;
    }
  },
};

class LinuxXskRings implements XskRings {
  readonly kind = 'xsk';
  readonly provider = 'linux-af-xdp';
  readonly iface: string;
  readonly ifindex: number;
  private pciOverride: PciDeviceInfo | undefined;
  /** queues this handle split */
  private readonly split = new Set<number>();

  constructor(netdev: NetdevId) {
    this.iface = netdev.name;
    this.ifindex = netdev.ifindex;
  }

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

  async splitQueuePairs(n: number, qoff: number, owner: string): Promise<number[]> {
    const have = this.getIfinfo().rxQueues;
    if (qoff + n > have) throw new DpkitError(`${owner}: ${this.iface} queues ${qoff}..${qoff + n - 1} asked, it has ${have} (0..${have - 1})`, 'EINVAL');
    const want = Array.from({ length: n }, (_, i) => qoff + i);
    await lockQueues(this.iface, this.ifindex, want, owner);
    for (const q of want) this.split.add(q);
    return want;
  }

  returnQueuePairs(queues: readonly number[]): void {
    unlockQueues(this.ifindex, queues);
    for (const q of queues) this.split.delete(q);
  }

  mapUmem(pool: Mempool): XskUmem {
    if (pool.region.kind !== 'memfd' || (pool.eltSize !== 2048 && pool.eltSize !== 4096)) {
      throw new DpkitError(`mempool '${pool.name}' cannot be UMEM: it must be in memfd memory with 2048- or 4096-byte buffers`);
    }
    return { pool, chunkSize: pool.eltSize };
  }

  async bind(queue: number, umem: XskUmem, sizes: XskRingSizes, opts: XskBindOptions = {}): Promise<XskQueue> {
    const owner = opts.owner ?? this.iface;
    if (!queueLocked(this.ifindex, queue)) {
      throw new DpkitError(`${owner}: ${this.iface} queue ${queue} is not split off (splitQueuePairs first)`, 'EINVAL');
    }
    const area = umem.pool.dataArea();
    const deadline = Date.now() + BIND_RETRY_MS;
    for (;;) {
      try {
        const fd = openXsk({
          ifindex: this.ifindex, queue, sizes, bindFlags: XdpBind.USE_NEED_WAKEUP | (opts.copy ? XdpBind.COPY : 0),
          umem: { buffer: umem.pool.region.buffer, offset: area.offset, length: area.length, chunkSize: umem.chunkSize, headroom: 0 },
          ...(opts.shareWith ? { sharedUmemFd: opts.shareWith.fd } : {}),
        }, owner);
        return { queue, fd, sizes };
      } catch (err) {
        // the lock is ours: no live dpkit process uses the queue, so EBUSY is a closed socket
        // the kernel has not freed yet (ours, or one of a process that just stopped or died)
        if ((err as DpkitError).code !== 'EBUSY' || Date.now() >= deadline) throw err;
        await sleep(BIND_RETRY_STEP_MS);
      }
    }
  }

  map(q: XskQueue, names: readonly XskRingName[] = ['fill', 'completion', 'rx', 'tx']): XskRingSet {
    const ring = (name: XskRingName) => (names.includes(name) && q.sizes[name] ? XskRing.map(q.fd, name, q.sizes[name]) : undefined);
    return { fill: ring('fill'), completion: ring('completion'), rx: ring('rx'), tx: ring('tx') };
  }

  unmap(rings: XskRingSet): void {
    for (const r of Object.values(rings)) r?.unmap();
  }

  unbind(q: XskQueue): void {
    linux().close(q.fd);
  }

  statistics(q: XskQueue) {
    return linux().xskStatistics(q.fd);
  }

  zeroCopy(q: XskQueue): boolean {
    return (linux().xskOptions(q.fd) & 1) !== 0;
  }

  redirectSteering(): XdpSteering {
    return redirect;
  }

  flowSteering(o: SteeringOptions): XdpFlowSteering {
    const mode = o.steering ?? 'xdp';
    if (mode !== 'xdp') {
      const table = o.ntupleTable ?? kernelNtupleTable;
      const no = ntupleUnavailable(this.iface, table);
      if (!no) {
        o.log.info(`${o.label}: steering by ${this.iface}'s ntuple rules (ethtool), queues ${o.qoff}..${o.qoff + o.queues - 1} redirected to their sockets`);
        return new NtupleSteering({ iface: this.iface, qpairs: o.queues, qoff: o.qoff, maxRules: o.maxRules, label: o.label, log: o.log, redirect, table });
      }
      if (mode === 'ntuple') {
        throw new DpkitError(`${o.label}: steering=ntuple: ${no.why}; switch them on with ethtool -K ${this.iface} ntuple on (a NIC whose driver has them), or use steering=xdp`, no.code);
      }
      o.log.notice(`${o.label}: steering=auto: ${no.why}; steering by the XDP classifier`);
    }
    const classifier = new XdpClassifier({ queues: o.queues, pinEntries: o.pinEntries, pinIdleSeconds: o.pinIdleSeconds, maxRules: o.maxRules, name: o.name });
    // above the default the reservation is worth a line the operator sees
    const reserved = `${o.label}: TCP pin table of ${o.pinEntries} connections reserves ${Math.ceil((o.pinEntries * PIN_ENTRY_BYTES) / 2 ** 20)} MiB of kernel memory`;
    if (o.pinEntries > PINS_DEFAULT) o.log.notice(reserved);
    else o.log.info(reserved);
    return classifier;
  }

  close(): void {
    this.returnQueuePairs([...this.split]);
    devargsOf.delete(this.iface);
  }
}

const openLinux = (netdev: NetdevId): XskRings => new LinuxXskRings(netdev);

/** The Linux AF_XDP provider: claims every netdev. */
export const linuxAfXdp = { name: 'linux-af-xdp', kind: 'xsk', claims: () => true, open: openLinux } as const satisfies DraProvider;

/** Opens a netdev of this namespace with the Linux AF_XDP provider (net_af_xdp's vdev mode). */
export function openAfXdp(iface: string, label: string): XskRings {
  return openLinux(readNetdevId(iface, label));
}
