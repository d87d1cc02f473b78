/**
 * A port's driver side (rte_eth_dev and its data): the DriverPort every op receives, bound to
 * the driver's ops and fast-path module with the driver's own types. It is created by the
 * generic `bindDriver` from an EthDevSpec<Priv, RxData, TxData>, so the descriptor a queue
 * setup returns keeps its type up to the fast-path module that receives it, with no cast;
 * the application's EthDev holds it as a BoundDriver, whose calls no longer mention those
 * types. Only ethdev.ts uses it.
 */
import type { Device, EthDevSpec } from '../driver/types.js';
import type { DriverPort } from '../driver/port.js';
import type { Mempool } from '../mbuf/mempool.js';
import type { FlowOps } from '../flow/flow.js';
import type { OptionalOp } from './ops.js';
import type { QueueDescriptor, RxQueue, TxQueue } from './fastpath.js';
import { ETHER_MTU, type DevInfo, type EthConf, type EthLink, type QueueState, type RxConf, type TxConf, type Xstat } from './types.js';

/** A queue that is set up, and its descriptor. */
export interface QueueSetup<D = unknown> {
  nbDesc: number;
  socket: number;
  descriptor: QueueDescriptor<D>;
  state: QueueState;
  deferredStart: boolean;
}

/** The port's state that ethdev records (the mutable form of DriverPort). */
export interface PortState extends DriverPort<unknown> {
  readonly device: Device;
  readonly lsc: boolean;
  conf: EthConf;
  nbRxQueues: number;
  nbTxQueues: number;
  started: boolean;
  link: EthLink;
}

/** What ethdev calls into the driver of one port, its types bound. */
export interface BoundDriver {
  readonly port: PortState;
  /** URL of the driver's fast-path module (for queue descriptors) */
  readonly fastPathModule: string;
  readonly rxSetup: readonly (QueueSetup | undefined)[];
  readonly txSetup: readonly (QueueSetup | undefined)[];
  /** Does the driver have optional op `op`? */
  has(op: OptionalOp): boolean;
  infoGet(): Partial<DevInfo>;
  /** Forgets every queue (after their release) and sizes the tables for the new counts. */
  resetQueues(nbRx: number, nbTx: number): void;
  configure(): void | Promise<void>;
  rxQueueSetup(queue: number, nbDesc: number, socket: number, conf: RxConf, pool: Mempool, desc: Omit<QueueDescriptor, 'data'>): Promise<void>;
  txQueueSetup(queue: number, nbDesc: number, socket: number, conf: TxConf, desc: Omit<QueueDescriptor, 'data'>): Promise<void>;
  queueRelease(kind: 'rx' | 'tx', queue: number): void;
  /** The burst object of a set-up queue, built by the driver's fast-path module. */
  createRxQueue(queue: number): RxQueue;
  createTxQueue(queue: number): TxQueue;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
  close(): void | Promise<void>;
  reset(): void | Promise<void>;
  queueStart(kind: 'rx' | 'tx', queue: number): void;
  queueStop(kind: 'rx' | 'tx', queue: number): void;
  linkUpdate(wait: boolean): EthLink | Promise<EthLink>;
  extraStats(): { imissed?: number; ierrors?: number; oerrors?: number } | undefined;
  statsReset(): void;
  xstatsGet(): Xstat[];
  xstatsReset(): void;
  promiscuousSet(on: boolean): void | Promise<void>;
  allmulticastSet(on: boolean): void | Promise<void>;
  macAddrSet(mac: Uint8Array): void | Promise<void>;
  mtuSet(mtu: number): void | Promise<void>;
  rxQueueIntrFds(queue: number): number[];
  describe(): string[];
  flowOps(): FlowOps | undefined;
}

const DEFAULT_LINK: EthLink = { speed: 0, duplex: 'full', autoneg: false, up: false };

class Port<Priv> implements PortState {
  readonly name: string;
  readonly device: Device;
  readonly driverName: string;
  readonly lsc: boolean;
  priv: Priv;
  mac: Uint8Array;
  mtu: number;
  promiscuous = false;
  allMulticast = false;
  conf: EthConf = {};
  nbRxQueues = 0;
  nbTxQueues = 0;
  rxPools: (Mempool | undefined)[] = [];
  started = false;
  link: EthLink = { ...DEFAULT_LINK };

  constructor(
    readonly portId: number,
    spec: Omit<EthDevSpec<Priv, unknown, unknown>, 'ops' | 'fastPath'>,
    private readonly linkChanged: (up: boolean) => void,
  ) {
    this.name = spec.name;
    this.device = spec.device;
    this.driverName = spec.driver;
    this.priv = spec.priv;
    this.mac = spec.mac ?? new Uint8Array(6);
    this.mtu = spec.mtu ?? ETHER_MTU;
    this.lsc = spec.lsc ?? false;
  }

  setLink(link: EthLink): void {
    const was = this.link.up;
    this.link = { ...link };
    if (was !== link.up) this.linkChanged(link.up);
  }
}

class Binding<Priv, RxData, TxData> implements BoundDriver {
  readonly port: Port<Priv>;
  rxSetup: (QueueSetup<RxData> | undefined)[] = [];
  txSetup: (QueueSetup<TxData> | undefined)[] = [];

  constructor(portId: number, private readonly spec: EthDevSpec<Priv, RxData, TxData>, linkChanged: (up: boolean) => void) {
    this.port = new Port(portId, spec, linkChanged);
  }

  private get ops() {
    return this.spec.ops;
  }

  get fastPathModule(): string {
    return this.spec.fastPath.module;
  }

  has(op: OptionalOp): boolean {
    return this.ops[op] !== undefined;
  }

  infoGet(): Partial<DevInfo> {
    return this.ops.infoGet(this.port);
  }

  resetQueues(nbRx: number, nbTx: number): void {
    this.rxSetup = new Array<undefined>(nbRx).fill(undefined);
    this.txSetup = new Array<undefined>(nbTx).fill(undefined);
    this.port.rxPools = new Array<undefined>(nbRx).fill(undefined);
  }

  configure() {
    return this.ops.configure(this.port);
  }

  async rxQueueSetup(queue: number, nbDesc: number, socket: number, conf: RxConf, pool: Mempool, desc: Omit<QueueDescriptor, 'data'>): Promise<void> {
    const data = await this.ops.rxQueueSetup(this.port, queue, nbDesc, socket, conf, pool);
    this.rxSetup[queue] = { nbDesc, socket, state: 'stopped', deferredStart: conf.deferredStart ?? false, descriptor: { ...desc, data } };
    this.port.rxPools[queue] = pool;
  }

  async txQueueSetup(queue: number, nbDesc: number, socket: number, conf: TxConf, desc: Omit<QueueDescriptor, 'data'>): Promise<void> {
    const data = await this.ops.txQueueSetup(this.port, queue, nbDesc, socket, conf);
    this.txSetup[queue] = { nbDesc, socket, state: 'stopped', deferredStart: conf.deferredStart ?? false, descriptor: { ...desc, data } };
  }

  queueRelease(kind: 'rx' | 'tx', queue: number): void {
    if (kind === 'rx') {
      this.ops.rxQueueRelease?.(this.port, queue);
      this.rxSetup[queue] = undefined;
      this.port.rxPools[queue] = undefined;
    } else {
      this.ops.txQueueRelease?.(this.port, queue);
      this.txSetup[queue] = undefined;
    }
  }

  createRxQueue(queue: number): RxQueue {
    return this.spec.fastPath.impl.createRxQueue(this.rxSetup[queue]!.descriptor);
  }

  createTxQueue(queue: number): TxQueue {
    return this.spec.fastPath.impl.createTxQueue(this.txSetup[queue]!.descriptor);
  }

  start() {
    return this.ops.start(this.port);
  }

  stop() {
    return this.ops.stop(this.port);
  }

  close() {
    return this.ops.close(this.port);
  }

  reset() {
    return this.ops.reset?.(this.port);
  }

  queueStart(kind: 'rx' | 'tx', queue: number): void {
    (kind === 'rx' ? this.ops.rxQueueStart : this.ops.txQueueStart)?.call(this.ops, this.port, queue);
  }

  queueStop(kind: 'rx' | 'tx', queue: number): void {
    (kind === 'rx' ? this.ops.rxQueueStop : this.ops.txQueueStop)?.call(this.ops, this.port, queue);
  }

  linkUpdate(wait: boolean) {
    return this.ops.linkUpdate(this.port, wait);
  }

  extraStats() {
    return this.ops.extraStats?.(this.port);
  }

  statsReset(): void {
    this.ops.statsReset?.(this.port);
  }

  xstatsGet(): Xstat[] {
    return this.ops.xstatsGet?.(this.port) ?? [];
  }

  xstatsReset(): void {
    this.ops.xstatsReset?.(this.port);
  }

  promiscuousSet(on: boolean) {
    return (on ? this.ops.promiscuousEnable : this.ops.promiscuousDisable)?.call(this.ops, this.port);
  }

  allmulticastSet(on: boolean) {
    return (on ? this.ops.allmulticastEnable : this.ops.allmulticastDisable)?.call(this.ops, this.port);
  }

  macAddrSet(mac: Uint8Array) {
    return this.ops.macAddrSet?.(this.port, mac);
  }

  mtuSet(mtu: number) {
    return this.ops.mtuSet?.(this.port, mtu);
  }

  rxQueueIntrFds(queue: number): number[] {
    return this.ops.rxQueueIntrFds?.(this.port, queue) ?? [];
  }

  describe(): string[] {
    return this.ops.describe?.(this.port) ?? [];
  }

  flowOps(): FlowOps | undefined {
    return this.ops.flowOps?.(this.port);
  }
}

/**
 * Binds a driver's spec to port id `portId`: the binding ethdev calls, and the same port typed
 * for the driver. `linkChanged` raises the application's event.
 */
export function bindDriver<Priv, RxData, TxData>(
  portId: number, spec: EthDevSpec<Priv, RxData, TxData>, linkChanged: (up: boolean) => void,
): { bound: BoundDriver; port: DriverPort<Priv> } {
  const bound = new Binding(portId, spec, linkChanged);
  return { bound, port: bound.port };
}
