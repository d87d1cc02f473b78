/**
 * The RFC's "direct ring access" (DRA) API: what a bifurcated PMD asks of the kernel side of a
 * NIC. A provider claims netdevs and opens them as one of two shapes:
 *
 * - `XskRings` (kind 'xsk'): AF_XDP, where a queue is a socket with fill, completion, rx and tx
 *   rings over registered UMEM (the Linux provider, dra-linux.ts, for any netdev);
 * - `NicRings` (kind 'nic'): a NIC with descriptor rings and doorbell registers, whose owned
 *   queues' register pages are mapped and whose DMA memory is registered at an IOVA. Its
 *   provider is the emulated 82599's (@dpkit/sim-82599, over the device's control channel); a
 *   test provider (test/fixtures/nic-test-provider.ts) proves the plug-in point here.
 *
 * Both share the verbs of `DraHandleBase`: identity, devargs, split/return of queue pairs at any
 * offset (locked across processes), the steering the netdev offers.
 */
import type { FlowOps, MemoryRegion, Mempool, Xstat } from '@dpkit/eal';
import type { PciDeviceInfo } from '@dpkit/eal/driver';
import type { BpfMap, RxFlowSpec, XskRing, XskRingSizes, XskStatistics } from '@dpkit/eal/linux';

/** What the bus reads of a netdev before a provider opens it: what `claims` decides on. */
export interface NetdevId {
  name: string;
  ifindex: number;
  /** the kernel driver (ETHTOOL_GDRVINFO), '' if it does not say */
  driver: string;
}

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
  /**
   * The lowest netdev queue user space may split: the kernel keeps the ones below. The bus's
   * `qoff` defaults to it. Absent: 0 (a Linux netdev: any queue may be split).
   */
  firstUserQueue?: number;
}

/** The ethtool layer the steering drives: the kernel's (`kernelNtupleTable`, ntuple.ts), or a test's. */
export interface NtupleTable {
  /** ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP when the netdev has no ntuple filters */
  ruleCount(iface: string): { count: number; size: number; special: boolean };
  ntupleOn(iface: string): boolean;
  locations(iface: string): number[];
  get(iface: string, location: number): { spec: RxFlowSpec | undefined; flowType: number; location: number };
  insert(iface: string, spec: RxFlowSpec): number;
  delete(iface: string, location: number): void;
  /** ETHTOOL_GRXRINGS: the rx rings a rule may name */
  rxRings(iface: string): number;
  /** ETHTOOL_GRXFHINDIR: the queues RSS spreads unsteered traffic over (undefined: no RSS table) */
  rssQueues(iface: string): number[] | undefined;
}

/** What the bus passes when it asks a netdev for its steering (the pins/pinidle/rules devargs). */
export interface SteeringOptions {
  /** user queue pairs the rules may name */
  queues: number;
  /** the netdev queue of user queue 0 */
  qoff: number;
  /**
   * AF_XDP providers: `xdp` (the XDP classifier), `ntuple` (the NIC's ethtool rules, refused in
   * one line where the netdev has none) or `auto` (ntuple where the netdev takes it, else one
   * line and the classifier); default `xdp`
   */
  steering?: 'xdp' | 'ntuple' | 'auto';
  /** the ethtool layer ntuple steering drives (tests inject one; default the kernel's) */
  ntupleTable?: NtupleTable;
  pinEntries: number;
  pinIdleSeconds: number;
  maxRules: number;
  /** a short name for the kernel objects (BPF maps) */
  name: string;
  /** the device, for the messages */
  label: string;
  log: { info(message: string): void; notice(message: string): void };
}

/**
 * The verbs every provider has, whatever its rings. Verbs a remote kernel side answers (the
 * emulated 82599's control socket) may be asynchronous; `getIfinfo` answers from what the
 * provider learned when it opened the netdev, or reads the netdev again.
 */
export interface DraHandleBase {
  /** the provider's name (e.g. 'linux-af-xdp') */
  readonly provider: string;
  readonly iface: string;
  readonly ifindex: number;
  /** get_ifinfo: the netdev's identity now (MTU and queue counts may change) */
  getIfinfo(): IfInfo;
  /** presents another identity for the device (a provider that emulates a NIC sets its own) */
  setPci(pci: PciDeviceInfo): void;
  getDevargs(): string | undefined;
  putDevargs(devargs: string): void;
  /**
   * Splits netdev queue pairs qoff..qoff+n-1 off the kernel for `owner` (a port's name, for the
   * messages), locking each against every other user in this network namespace. Fails with one
   * line: EINVAL if the netdev lacks a queue, EBUSY (at once, naming the queue and the holder's
   * PID or port) if any is split already; on failure none stays split.
   */
  splitQueuePairs(n: number, qoff: number, owner: string): Promise<number[]>;
  /** gives queues back to the kernel (and releases their locks) */
  returnQueuePairs(queues: readonly number[]): void | Promise<void>;
  /** returns what is still split and forgets the devargs */
  close(): void | Promise<void>;
}

// ---- the AF_XDP shape ----

/** A netdev's registered packet memory: a mempool's buffers as UMEM chunks. */
export interface XskUmem {
  pool: Mempool;
  chunkSize: number;
}

export type XskRingName = 'fill' | 'completion' | 'rx' | 'tx';

/** A split queue bound to UMEM: its socket, whose rings `map` maps. */
export interface XskQueue {
  queue: number;
  fd: number;
  sizes: XskRingSizes;
}

export type XskRingSet = Record<XskRingName, XskRing | undefined>;

export interface XskBindOptions {
  /** share the UMEM registration of this bound queue (XDP_SHARED_UMEM) */
  shareWith?: XskQueue;
  /** copy mode even where the driver has zero-copy (XDP_COPY) */
  copy?: boolean;
  /** who binds, for the messages */
  owner?: string;
}

/**
 * What feeds the sockets: given the XSKMAP (netdev queue → socket), attach an XDP program to
 * the netdev and return how to detach it.
 */
export interface XdpSteering {
  attach(xskMap: BpfMap, ifindex: number, mode: 'drv' | 'skb'): { detach(): void };
  /** the queues (netdev queue ids) packets may be steered to; the XSKMAP gets this many slots */
  readonly mapSize?: number;
  /** the steering's own counters, appended to the port's xstats */
  xstats?(): Xstat[];
  xstatsReset?(): void;
}

/** Steering that takes flow rules: what the port hands the application as its FlowOps. */
export interface XdpFlowSteering extends XdpSteering, FlowOps {
  /** false after `flow isolate PORT 0`: unmatched traffic goes to user space */
  readonly isolated: boolean;
  /**
   * true when rules send a flow to its netdev queue exactly (the NIC steers): then only the split
   * queues get sockets; otherwise every netdev queue does (see queueMapFor)
   */
  readonly exactQueues?: boolean;
  close(): void;
}

export interface XskRings extends DraHandleBase {
  readonly kind: 'xsk';
  /** map_umem: registers the pool's buffers (memfd memory, 2048- or 4096-byte buffers) */
  mapUmem(pool: Mempool): XskUmem;
  /**
   * Binds a split queue to the UMEM (an AF_XDP socket with rings of `sizes`). EBUSY from the
   * kernel on a queue this process has split is a socket still being released: retried for up
   * to a second, then one line.
   */
  bind(queue: number, umem: XskUmem, sizes: XskRingSizes, opts?: XskBindOptions): Promise<XskQueue>;
  /** maps a bound queue's rings (all of `sizes`, or `names`) into this thread */
  map(q: XskQueue, names?: readonly XskRingName[]): XskRingSet;
  unmap(rings: XskRingSet): void;
  /** closes a bound queue's socket */
  unbind(q: XskQueue): void;
  /** the kernel's counters of a bound queue (XDP_STATISTICS) */
  statistics(q: XskQueue): XskStatistics;
  /** whether the queue runs zero-copy (XDP_OPTIONS) */
  zeroCopy(q: XskQueue): boolean;
  /** every packet of a bound queue to its socket: bpf_redirect_map(xskmap, rx_queue, XDP_PASS) */
  redirectSteering(): XdpSteering;
  /**
   * the flow director of this shape: the XDP classifier (rules, TCP pins), or with
   * `steering: 'ntuple'|'auto'` the NIC's ethtool ntuple rules in front of the plain redirect
   */
  flowSteering(o: SteeringOptions): XdpFlowSteering;
}

// ---- the descriptor-ring NIC shape (@dpkit/sim-82599's provider) ----

/**
 * DMA memory registered with the device: a pool's memory region (`pool.region`, from its
 * offset 0), or a plain memory region (descriptor rings, anything that is not mbufs), is at
 * `iova`..`iova + length`, so byte offset `o` of the region has the DMA address `iova + o`.
 * (The test fixture provider registers nothing real.)
 */
export interface DmaMapping {
  /** what was registered: a mempool (its whole region) or a plain MemoryRegion */
  pool: Mempool | MemoryRegion;
  iova: number;
  length: number;
}

/**
 * The register page of an owned queue pair, mapped into this process: 32-bit registers, the
 * rx and tx queue's base (RDBAL/TDBAL...) at word offsets `rx` and `tx` of `regs`; their tail
 * registers are the doorbells. A provider may map more than the owned queues' registers (the
 * emulated 82599 maps the owner's whole window); the device ignores writes to the others.
 */
export interface QueueRegisters {
  queue: number;
  regs: Uint32Array;
  rx: number;
  tx: number;
  /**
   * An fd of the memory `regs` maps (owned by the handle, open until it closes), which other
   * threads of the process (worker lcores) map to reach the same registers:
   * `linux().mapFd(fd, regs.byteLength)`; -1 if the provider's registers cannot be shared.
   */
  fd: number;
}

/** A NIC's flow director as rte_flow ops. */
export interface NicFlowSteering extends FlowOps {
  readonly isolated: boolean;
  close(): void;
  /** the NIC's filters (every kind, this port's and others'), one line each, for `show port info` */
  describe?(): string[];
}

/**
 * The NIC's own counters of one split queue pair since it was split (its per-queue statistics
 * registers: packets and bytes received and sent, and frames dropped for want of a free rx
 * descriptor).
 */
export interface NicQueueStats {
  queue: number;
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
}

export interface NicRings extends DraHandleBase {
  readonly kind: 'nic';
  /**
   * map_umem: registers a pool's memory region, or a plain memory region (a MemoryManager's
   * `reserve(..., 'memfd')`), for DMA at `iova` (page aligned; see DmaMapping)
   */
  mapUmem(memory: Mempool | MemoryRegion, iova: number): Promise<DmaMapping>;
  unmapUmem(m: DmaMapping): Promise<void>;
  /** map: the register page of a split queue pair (EINVAL for a queue this process has not split) */
  map(queue: number): Promise<QueueRegisters>;
  unmap(r: QueueRegisters): Promise<void>;
  /** the NIC's flow director, or undefined if it has none */
  flowSteering(o: SteeringOptions): NicFlowSteering | undefined;
  /**
   * The NIC's counters of queue pairs this handle has split (a control-path call, synchronous),
   * one entry per queue asked: undefined for a queue the NIC keeps no counters of its own for.
   * Absent: the provider cannot read them.
   */
  queueStats?(queues: readonly number[]): (NicQueueStats | undefined)[];
}

export type DirectRingHandle = XskRings | NicRings;

/** A provider of direct ring access: claims netdevs and opens them. */
export interface DraProvider {
  readonly name: string;
  readonly kind: DirectRingHandle['kind'];
  /** whether this provider serves the netdev (the Linux AF_XDP provider: every netdev) */
  claims(netdev: NetdevId): boolean;
  /** opens the netdev (a provider with a control channel connects here) */
  open(netdev: NetdevId): DirectRingHandle | Promise<DirectRingHandle>;
}

/**
 * Whether `x` is a direct-ring-access provider: a `name`, a `kind` of 'xsk' or 'nic', and
 * `claims` and `open` functions (what the bus checks of a `-d` module's `providers`).
 */
export function isDraProvider(x: unknown): x is DraProvider {
  return typeof x === 'object' && x !== null && 'name' in x && typeof x.name === 'string' && 'kind' in x && (x.kind === 'xsk' || x.kind === 'nic')
    && 'claims' in x && typeof x.claims === 'function' && 'open' in x && typeof x.open === 'function';
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
