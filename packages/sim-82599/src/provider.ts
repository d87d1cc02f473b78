/**
 * The emulated 82599 as a provider of the bifurc bus (@dpkit/bifurc's direct-ring-access API,
 * the 'nic' shape): it claims the TAP netdev that is an emulated 82599's kernel interface and
 * opens it as `NicRings` over the device's control channel (channel.ts). One handle is one
 * connection, so one owner: its split queues, its register window and its DMA memory are the
 * device's until the handle closes (or the process dies: the device reclaims them). See the
 * README, "As a bifurc provider".
 */
import { readFileSync } from 'node:fs';
import { DpkitError, describeRule, type FlowCounters, type FlowRule, type Masked, type MaskedAddr, type MemoryRegion, type Mempool } from '@dpkit/eal';
import type { PciDeviceInfo } from '@dpkit/eal/driver';
import { linux } from '@dpkit/eal/linux';
import {
  virtualPci, type DmaMapping, type DraProvider, type IfInfo, type NetdevId, type NicFlowSteering, type NicQueueStats, type NicRings, type QueueRegisters, type SteeringOptions,
} from '@dpkit/bifurc';
import { channelName } from './channel.js';
import { ChannelClient } from './client.js';
import { BAR0_SIZE, DEV_ID_82599_SFP, INTEL_VENDOR_ID, RDBAL, RX_QUEUES, TDBAL } from '@dpkit/ixgbe-defs/regs';

export const PROVIDER_NAME = 'sim-82599';

/** What get_ifinfo answers, parsed. */
interface ChannelIfinfo {
  vendor: number;
  device: number;
  mac: string;
  mtu: number;
  numa: number;
  rxQueues: number;
  txQueues: number;
  /** kernel queues 0..kernelQueues-1 */
  kernelQueues: number;
}

function parseIfinfo(text: string): ChannelIfinfo | undefined {
  const f = Object.fromEntries(text.split(/\s+/).map((kv) => kv.split('=') as [string, string]));
  const pci = /^([0-9A-F]{4}):([0-9A-F]{4})$/i.exec(f.pci ?? '');
  const kq = /^0-(\d+)$/.exec(f.kernel_queues ?? '');
  if (!pci || !kq || !f.mac) return undefined;
  return {
    vendor: parseInt(pci[1]!, 16), device: parseInt(pci[2]!, 16), mac: f.mac.toLowerCase(), mtu: Number(f.mtu), numa: Number(f.numa),
    rxQueues: Number(f.rx_queues), txQueues: Number(f.tx_queues), kernelQueues: Number(kq[1]) + 1,
  };
}

/** The netdev's MAC as the kernel shows it (lower-case hex with colons), '' if unreadable. */
function kernelMac(iface: string): string {
  try {
    return readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim().toLowerCase();
  } catch {
    return '';
  }
}

/**
 * Whether `netdev` is an emulated 82599's kernel interface: a TAP (kernel driver `tun`) whose
 * control channel `@dpkit-sim-82599/NAME` in this network namespace answers get_ifinfo with the
 * 82599's id (8086:10FB) and the netdev's own MAC. The abstract socket is per namespace and is
 * released when the device process exits, and the MAC ties the answer to this very netdev, so
 * another netdev (another TAP, a veth, a real NIC) is never claimed.
 */
export function isSim82599(netdev: NetdevId): boolean {
  if (netdev.driver !== 'tun') return false;
  let ch: ChannelClient;
  try {
    ch = ChannelClient.connect(netdev.name);
  } catch {
    return false;
  }
  try {
    const r = ch.request('get_ifinfo', [], 1000);
    const info = r.ok ? parseIfinfo(r.text) : undefined;
    return !!info && info.vendor === INTEL_VENDOR_ID && info.device === DEV_ID_82599_SFP && info.mac === kernelMac(netdev.name);
  } catch {
    return false;
  } finally {
    ch.close();
  }
}

/** A mempool, not a plain region (by shape: an application may hold another copy of @dpkit/eal's classes). */
const isPool = (m: Mempool | MemoryRegion): m is Mempool => 'region' in m;
/** How a line names registered memory: mempool 'NAME' or memory region 'NAME'. */
const memoryName = (m: Mempool | MemoryRegion) => (isPool(m) ? `mempool '${m.name}'` : `memory region '${m.name}'`);

/** Queues split by handles of this process, by `ifindex/queue`: the owner (a port's name). */
const splitHere = new Map<string, string>();

/** Runs of consecutive queues: [start, count] pairs (the channel's split/return take runs). */
function runs(queues: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const q of [...queues].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === q) last[1]++;
    else out.push([q, 1]);
  }
  return out;
}

class Sim82599Rings implements NicRings {
  readonly kind = 'nic';
  readonly provider = PROVIDER_NAME;
  readonly iface: string;
  readonly ifindex: number;
  private pci: PciDeviceInfo;
  private devargs: string | undefined;
  private readonly split = new Set<number>();
  private window: Uint32Array | undefined;
  /** the window's memfd, for the lcores (QueueRegisters.fd); closed with the handle */
  private windowFd = -1;
  private readonly dma: DmaMapping[] = [];
  private closed = false;

  constructor(netdev: NetdevId, private readonly ch: ChannelClient, first: ChannelIfinfo) {
    this.iface = netdev.name;
    this.ifindex = netdev.ifindex;
    // there is no PCI device: the address is the virtual one of this ifindex (domain ffff), the ids the 82599's
    this.pci = { ...virtualPci(netdev.ifindex, 'ixgbe'), vendor: first.vendor, device: first.device, subVendor: 0, subDevice: 0, classId: 0x020000 };
  }

  /** One request on this handle's connection; an error reply becomes one line (its text in `.reply`). */
  ask(text: string, fds: number[] = []): string {
    if (this.closed) throw new DpkitError(`${this.iface}: the sim-82599 handle is closed`, 'EBADF');
    let r;
    try {
      r = this.ch.request(text, fds);
    } catch (err) {
      throw new DpkitError(`${this.iface}: the emulated 82599's control channel did not answer '${text.split(' ')[0]}' (${(err as Error).message}); is dpkit-sim-82599 ${this.iface} still running?`, 'EIO');
    }
    if (!r.ok) {
      const [code, ...why] = r.text.split(' ');
      throw Object.assign(new DpkitError(`${this.iface}: ${text.split(' ')[0]}: ${why.join(' ')}`, code || 'EIO'), { reply: r.text });
    }
    return r.text;
  }

  private channelIfinfo(): ChannelIfinfo {
    const info = parseIfinfo(this.ask('get_ifinfo'));
    if (!info) throw new DpkitError(`${this.iface}: the emulated 82599 answered get_ifinfo in a form this provider does not read`, 'EPROTO');
    return info;
  }

  getIfinfo(): IfInfo {
    const c = this.channelIfinfo();
    let flags = 0;
    try {
      flags = linux(`the emulated 82599 ${this.iface}`).ifInfo(this.iface).flags;
    } catch {
      throw new DpkitError(`no netdev '${this.iface}' in this network namespace; see 'ip link' for the names`, 'ENODEV');
    }
    return {
      name: this.iface, ifindex: this.ifindex, mac: Uint8Array.from(c.mac.split(':').map((b) => parseInt(b, 16))), mtu: c.mtu, flags, driver: 'ixgbe',
      rxQueues: c.rxQueues, txQueues: c.txQueues, numaNode: c.numa, pci: this.pci, virtual: true, firstUserQueue: c.kernelQueues,
    };
  }

  setPci(pci: PciDeviceInfo): void {
    this.pci = pci;
  }

  getDevargs(): string | undefined {
    return this.devargs;
  }

  putDevargs(devargs: string): void {
    this.devargs = devargs;
  }

  async splitQueuePairs(n: number, qoff: number, owner: string): Promise<number[]> {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(qoff) || qoff < 0 || qoff + n > RX_QUEUES) {
      throw new DpkitError(`${owner}: ${this.iface} queues ${qoff}..${qoff + n - 1} asked, it has ${RX_QUEUES} (0..${RX_QUEUES - 1})`, 'EINVAL');
    }
    const want = Array.from({ length: n }, (_, i) => qoff + i);
    for (const q of want) {
      const holder = splitHere.get(`${this.ifindex}/${q}`);
      if (holder !== undefined) throw new DpkitError(`${owner}: ${this.iface} queue ${q} is split off by ${holder} in this process (one user per queue): stop it, or split other queues (qoff=)`, 'EBUSY');
    }
    try {
      this.ask(`split ${qoff} ${n}`);
    } catch (err) {
      const reply = (err as { reply?: string }).reply ?? '';
      const kernel = /^EBUSY queue (\d+) belongs to the kernel \(kernel queues 0-(\d+)\)/.exec(reply);
      if (kernel) throw new DpkitError(`${owner}: ${this.iface} queue ${kernel[1]} is a kernel queue (the emulated 82599's kernel keeps queues 0-${kernel[2]}): give qoff=${Number(kernel[2]) + 1} or more`, 'EBUSY');
      const pid = /^EBUSY queue (\d+) is owned by pid (\S+)/.exec(reply);
      if (pid) throw new DpkitError(`${owner}: ${this.iface} queue ${pid[1]} is split off by process ${pid[2]} (one user per queue): stop it, or split other queues (qoff=)`, 'EBUSY');
      throw new DpkitError(`${owner}: ${(err as Error).message}`, (err as DpkitError).code);
    }
    for (const q of want) {
      this.split.add(q);
      splitHere.set(`${this.ifindex}/${q}`, owner);
    }
    return want;
  }

  async returnQueuePairs(queues: readonly number[]): Promise<void> {
    const mine = queues.filter((q) => this.split.has(q));
    for (const [start, count] of runs(mine)) {
      // the device stops the queues before it answers: no DMA to their rings after this
      this.ask(`return ${start} ${count}`);
      for (let q = start; q < start + count; q++) {
        this.split.delete(q);
        splitHere.delete(`${this.ifindex}/${q}`);
      }
    }
  }

  /** Registers a mempool's region or a plain memfd memory region as DMA memory at `iova`. */
  async mapUmem(memory: Mempool | MemoryRegion, iova: number): Promise<DmaMapping> {
    const had = this.dma.find((m) => m.pool === memory && m.iova === iova);
    if (had) return had; // registered already (a restart): the channel has no unmap_umem
    const region = isPool(memory) ? memory.region : memory;
    if (region.kind !== 'memfd' || region.fd < 0) {
      throw new DpkitError(`${this.iface}: ${memoryName(memory)} cannot be DMA memory of the emulated 82599: ${isPool(memory) ? 'create it in memfd memory (memory: \'memfd\')' : 'reserve it as memfd memory'}`, 'EINVAL');
    }
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % 4096 !== 0) throw new DpkitError(`${this.iface}: map_umem: IOVA ${iova} is not 4 KiB aligned`, 'EINVAL');
    const length = region.size;
    this.ask(`map_umem ${iova} ${length}`, [region.fd]);
    const m: DmaMapping = { pool: memory, iova, length };
    this.dma.push(m);
    return m;
  }

  /** The control channel has no unmap_umem (not built): the memory stays registered until close. */
  async unmapUmem(m: DmaMapping): Promise<void> {
    throw new DpkitError(`${this.iface}: the emulated 82599's control channel has no unmap_umem (not built): ${memoryName(m.pool)} stays registered at IOVA 0x${m.iova.toString(16)} until the handle closes`, 'ENOTSUP');
  }

  async map(queue: number): Promise<QueueRegisters> {
    if (!this.split.has(queue)) throw new DpkitError(`${this.iface}: queue ${queue} is not split off, its registers are not mapped`, 'EINVAL');
    if (!this.window) {
      const r = this.ch.request('map');
      if (!r.ok || r.fds.length !== 1) throw new DpkitError(`${this.iface}: map: ${r.text}`, 'EIO');
      const l = linux(`the emulated 82599 ${this.iface}`);
      try {
        this.window = new Uint32Array(l.mapFd(r.fds[0]!, BAR0_SIZE));
      } catch (err) {
        l.close(r.fds[0]!);
        throw err;
      }
      this.windowFd = r.fds[0]!;
    }
    return { queue, regs: this.window, rx: RDBAL(queue) >> 2, tx: TDBAL(queue) >> 2, fd: this.windowFd };
  }

  /**
   * The NIC's per-queue statistics registers of this handle's split queues (the control
   * channel's `qstats`: the kernel side gives each split queue a stat index of its own and reads
   * QPRC, QBRC, QPRDC, QPTC, QBTC for it). Undefined for a queue that got no index (all 15 in use).
   */
  queueStats(queues: readonly number[]): (NicQueueStats | undefined)[] {
    const [, ...lines] = this.ask('qstats').split('\n');
    const byQueue = new Map(lines.map((line) => {
      const [q, ...n] = line.split(' ');
      return [Number(q), n[0] === '-' ? undefined : n.map(Number)] as const;
    }));
    return queues.map((queue) => {
      const n = byQueue.get(queue);
      if (!n) return undefined;
      const [rxPackets, rxBytes, rxDropped, txPackets, txBytes] = n as [number, number, number, number, number];
      return { queue, rxPackets, rxBytes, rxDropped, txPackets, txBytes };
    });
  }

  /** The window stays mapped for the handle's other queues; it goes at close. */
  async unmap(): Promise<void> {}

  /** The NIC's flow director: the port's rules as the kernel side's ntuple rules (what dpkit-ethtool -N adds). */
  flowSteering(o: SteeringOptions): NicFlowSteering {
    return new Sim82599FlowDirector(this, o);
  }

  /** Returns the split queues, then disconnects: the device drops the window and the DMA memory. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.returnQueuePairs([...this.split]);
    } finally {
      for (const q of this.split) splitHere.delete(`${this.ifindex}/${q}`);
      this.split.clear();
      this.closed = true;
      if (this.window) linux().unmap(this.window.buffer);
      this.window = undefined;
      if (this.windowFd >= 0) linux().close(this.windowFd);
      this.windowFd = -1;
      this.dma.length = 0;
      this.ch.close();
    }
  }
}

const FLOW_TYPE: Record<number, string> = { 6: 'tcp4', 17: 'udp4', 132: 'sctp4' };
const PROTO: Record<string, number> = { tcp4: 6, udp4: 17, sctp4: 132 };
const u32 = (b: Uint8Array) => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
const bytes4 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xFF, (n >>> 8) & 0xFF, n & 0xFF);

/**
 * rte_flow rules as the emulated 82599's ntuple rules, on the handle's control channel: a rule
 * goes into the kernel side's table at `create` (id = its location) and leaves it at
 * `destroy`, `flush` and `close`; the device programs a rule into its flow director only while
 * the rule's queue is split (the port started), so no start/stop bookkeeping is needed here.
 * User queue q is netdev queue qoff + q. No per-rule counters (fdir_match in dpkit-ethtool -S).
 */
class Sim82599FlowDirector implements NicFlowSteering {
  readonly isolated = true;
  private readonly own = new Map<number, FlowRule>();

  constructor(private readonly rings: Sim82599Rings, private readonly o: SteeringOptions) {}

  /** The channel's rule_ins for a rule, or one line saying what this NIC cannot match. */
  private request(rule: FlowRule): string {
    const why = (w: string, code = 'ENOTSUP'): never => {
      throw new DpkitError(`${this.o.label}: flow rule '${describeRule(rule)}': ${w}`, code);
    };
    const { match: m, action: a } = rule;
    if (a.type === 'kernel') why('send_to_kernel has no flow director action: what no rule steers goes to the kernel\'s queues already (RSS)');
    if (a.type === 'queue' && a.index >= this.o.queues) why(`queue ${a.index} does not exist: the port has ${this.o.queues} rx queue${this.o.queues === 1 ? '' : 's'} (0..${this.o.queues - 1})`, 'EINVAL');
    const flow = m.ipVersion === 4 && m.proto !== undefined ? FLOW_TYPE[m.proto] : undefined;
    if (!flow) why('the emulated 82599 takes tcp4, udp4 and sctp4 rules (IPv4 with TCP, UDP or SCTP); ip4 and IPv6 rules are not built');
    if (m.vlan || m.tcpFlags) why('the emulated flow director matches no VLAN and no TCP flags');
    const ip = (x: MaskedAddr | undefined) => (x ? [u32(x.addr), u32(x.mask)] : [0, 0]);
    const port = (x: Masked | undefined) => (x ? [x.value, x.mask] : [0, 0]);
    const action = a.type === 'drop' ? -1 : this.o.qoff + (a as { index: number }).index;
    const loc = rule.priority > 0 ? rule.priority : -1;
    return ['rule_ins', flow, ...ip(m.src), ...ip(m.dst), ...port(m.srcPort), ...port(m.dstPort), action, loc].join(' ');
  }

  validate(rule: FlowRule): void {
    this.request(rule);
  }

  create(rule: FlowRule): number {
    const req = this.request(rule);
    if (this.own.size >= this.o.maxRules) throw new DpkitError(`${this.o.label}: the port holds ${this.o.maxRules} rules already (rules=)`, 'ENOSPC');
    let loc: number;
    try {
      loc = Number(this.rings.ask(req));
    } catch (err) {
      const why = ((err as { reply?: string }).reply ?? (err as Error).message).replace(/^[A-Z]+ /, '');
      const code = (err as DpkitError).code ?? 'EIO';
      const fix = code === 'EOPNOTSUPP' ? `; switch ntuple filters on (dpkit-ethtool -K ${this.rings.iface} ntuple on)` : '';
      throw new DpkitError(`${this.o.label}: ${this.rings.iface} refuses rule '${describeRule(rule)}': ${why}${fix}`, code);
    }
    this.own.set(loc, { ...rule, priority: loc, count: false });
    return loc;
  }

  destroy(id: number): void {
    if (!this.own.has(id) && !this.listed().some((r) => r.id === id)) {
      throw new DpkitError(`${this.o.label}: no flow rule ${id} (flow list shows the ids: the NIC's rule locations)`, 'ENOENT');
    }
    this.rings.ask(`rule_del ${id}`);
    this.own.delete(id);
  }

  query(id: number): FlowCounters {
    throw new DpkitError(`${this.o.label}: flow rule ${id}: the flow director has no per-rule counters; dpkit-ethtool -S ${this.rings.iface} shows fdir_match and fdir_miss`, 'ENOTSUP');
  }

  flush(): void {
    for (const id of [...this.own.keys()]) this.destroy(id);
  }

  isolate(on: boolean): void {
    if (!on) throw new DpkitError(`${this.o.label}: flow isolate off is not built for the emulated 82599: what no rule steers follows RSS over the kernel's queues`, 'ENOTSUP');
  }

  /**
   * The device's flow director rules (the port's and those added with dpkit-ethtool -N), in the
   * port's terms. EtherType filters (`flow-type ether`) are left out: an rte_flow match here has
   * no EtherType field; the port's describe shows them.
   */
  private listed(lines = this.rules()): { id: number; rule: FlowRule }[] {
    return lines.filter((line) => line.split(' ')[1] !== 'ether').map((line) => {
      const [loc, flow, ...n] = line.split(' ');
      const [src, srcMask, dst, dstMask, sport, sportMask, dport, dportMask, action] = n.map(Number) as number[];
      const rule: FlowRule = {
        priority: Number(loc), count: false, match: flow === 'ip4' ? { ipVersion: 4 } : { ipVersion: 4, proto: PROTO[flow!]! },
        action: action === -1 ? { type: 'drop' } : action! >= this.o.qoff && action! < this.o.qoff + this.o.queues ? { type: 'queue', index: action! - this.o.qoff } : { type: 'kernel' },
      };
      if (srcMask) rule.match.src = { addr: bytes4(src!), mask: bytes4(srcMask) };
      if (dstMask) rule.match.dst = { addr: bytes4(dst!), mask: bytes4(dstMask) };
      if (sportMask) rule.match.srcPort = { value: sport!, mask: sportMask };
      if (dportMask) rule.match.dstPort = { value: dport!, mask: dportMask! };
      return { id: Number(loc), rule };
    });
  }

  /** The device's rule lines (one ask of the control channel). */
  private rules(): string[] {
    return this.rings.ask('rules').split('\n').slice(1);
  }

  list(): { id: number; rule: FlowRule }[] {
    return this.listed();
  }

  /**
   * Every rule of the device's kernel side (flow director and EtherType filters, the port's and
   * those added with dpkit-ethtool -N), one line each: location, match, where it sends.
   */
  describe(): string[] {
    const lines = this.rules(); // one reply for both lists: a rule added meanwhile is in neither or both
    const fdir = new Map(this.listed(lines).map(({ id, rule }) => [id, rule]));
    const { qoff, queues } = this.o, iface = this.rings.iface;
    return lines.map((line) => {
      const f = line.split(' ');
      const loc = Number(f[0]), action = Number(f[10]);
      const what = f[1] === 'ether' ? `EtherType 0x${Number(f[11]).toString(16)}` : describeRule(fdir.get(loc)!).split(' => ')[0];
      const to = action === -1 ? 'drop' : action >= qoff && action < qoff + queues ? `queue ${action - qoff} (${iface} queue ${action})` : `${iface} queue ${action} (not this port's)`;
      return `filter ${loc}: ${what} => ${to}`;
    });
  }

  /** The port's rules leave the device's table. */
  close(): void {
    for (const id of [...this.own.keys()]) {
      try {
        this.destroy(id);
      } catch (err) {
        this.o.log.notice(`${this.o.label}: could not delete ${this.rings.iface}'s rule at loc ${id} (${(err as Error).message}): delete it with dpkit-ethtool -N ${this.rings.iface} delete ${id}`);
      }
    }
  }
}

/** The provider: claims emulated 82599s' kernel interfaces (see isSim82599) and opens them. */
export const sim82599Provider: DraProvider = {
  name: PROVIDER_NAME,
  kind: 'nic',
  claims: isSim82599,
  open(netdev: NetdevId): NicRings {
    let ch: ChannelClient;
    try {
      ch = ChannelClient.connect(netdev.name);
    } catch (err) {
      throw new DpkitError(`${netdev.name}: the emulated 82599's control channel @${channelName(netdev.name)} does not answer (${(err as Error).message}); start dpkit-sim-82599 ${netdev.name} in this network namespace`, 'ENODEV');
    }
    const r = ch.request('get_ifinfo');
    const info = r.ok ? parseIfinfo(r.text) : undefined;
    if (!info) {
      ch.close();
      throw new DpkitError(`${netdev.name}: the emulated 82599 refused get_ifinfo (${r.text})`, 'EIO');
    }
    return new Sim82599Rings(netdev, ch, info);
  },
};
