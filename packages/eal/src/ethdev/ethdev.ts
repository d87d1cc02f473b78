/**
 * Ports, after rte_ethdev: configure, queue setup, start/stop/close/reset, bursts, statistics,
 * link, promiscuous/allmulticast, MAC and MTU, queue start/stop. Every call checks its
 * arguments and the port's state before it reaches the driver; misuse is a DpkitError that
 * names the port and what to do.
 *
 * The burst functions are chosen at start: `rxBurst`/`txBurst` call the queue objects that the
 * driver's fast-path module built then, and a stopped queue polls as an idle one.
 */
import { EventEmitter } from 'eventemitter3';
import { DpkitError, check } from '../errors.js';
import type { Device } from '../driver/types.js';
import type { Mempool } from '../mbuf/mempool.js';
import {
  QUEUE_STAT_SLOTS, QueueStat, idleQueue, type FastPathModule, type QueueDescriptor, type RxQueue, type TxQueue,
} from './fastpath.js';
import type { EthDevOps } from './ops.js';
import type { FlowOps } from '../flow/flow.js';
import { waitReadable, type ReadableWait } from '../linux/poll.js';
import {
  ETHER_MTU, MAX_ETHPORTS, type DevInfo, type EthConf, type EthDevEvents, type EthDevRegistryEvents, type EthLink,
  type EthStats, type QueueState, type RxConf, type TxConf, type Xstat, rxPoolFits,
} from './types.js';

/** What a driver gives to create a port. */
export interface EthDevSpec<P = unknown> {
  name: string;
  device: Device;
  driver: string;
  ops: EthDevOps;
  /** the fast-path module: `module` is its URL (for workers), `impl` the loaded module */
  fastPath: { module: string; impl: FastPathModule };
  mac?: Uint8Array;
  mtu?: number;
  /** driver-private control-path state */
  priv: P;
  /** the driver raises link-state-change events */
  lsc?: boolean;
}

/** The part of the port registry drivers see. */
export interface EthDevAllocator {
  allocate<P>(spec: EthDevSpec<P>): EthDev<P>;
  release(dev: EthDev): void;
  get(port: number): EthDev;
}

interface QueueSetup {
  nbDesc: number;
  socket: number;
  descriptor: QueueDescriptor;
  state: QueueState;
  deferredStart: boolean;
}

const DEFAULT_LINK: EthLink = { speed: 0, duplex: 'full', autoneg: false, up: false };

export class EthDev<P = unknown> extends EventEmitter<EthDevEvents> {
  readonly portId: number;
  readonly name: string;
  readonly device: Device;
  readonly driverName: string;
  readonly ops: EthDevOps;
  readonly fastPath: { module: string; impl: FastPathModule };
  readonly lsc: boolean;
  priv: P;
  mac: Uint8Array;
  mtu: number;
  promiscuous = false;
  allMulticast = false;
  conf: EthConf = {};
  nbRxQueues = 0;
  nbTxQueues = 0;
  configured = false;
  started = false;
  closed = false;
  /** interrupt-mode waits in progress (cancelled at stop, before the sockets close) */
  private readonly intrWaits = new Set<ReadableWait>();
  link: EthLink = { ...DEFAULT_LINK };
  private rxSetup: (QueueSetup | undefined)[] = [];
  private txSetup: (QueueSetup | undefined)[] = [];
  private rxq: RxQueue[] = [];
  private txq: TxQueue[] = [];
  private statsBuffer = new SharedArrayBuffer(8);
  private counters = new Float64Array(this.statsBuffer);
  private statsBase = new Float64Array(1);
  private xstatsBase = new Map<string, number>();

  constructor(portId: number, spec: EthDevSpec<P>) {
    super();
    this.portId = portId;
    this.name = spec.name;
    this.device = spec.device;
    this.driverName = spec.driver;
    this.ops = spec.ops;
    this.fastPath = spec.fastPath;
    this.priv = spec.priv;
    this.mac = spec.mac ?? new Uint8Array(6);
    this.mtu = spec.mtu ?? ETHER_MTU;
    this.lsc = spec.lsc ?? false;
  }

  private fail(what: string, code = 'EINVAL'): never {
    throw new DpkitError(`port ${this.portId} (${this.name}): ${what}`, code);
  }

  private checkOpen(): void {
    if (this.closed) this.fail('the port is closed; attach the device again to use it', 'ENODEV');
  }

  private checkStopped(action: string): void {
    this.checkOpen();
    if (this.started) this.fail(`cannot ${action} while the port is started; stop it first`, 'EBUSY');
  }

  /** rte_eth_dev_info_get: the driver's limits, with defaults for what it leaves out. */
  info(): DevInfo {
    const d = this.ops.infoGet(this);
    return {
      driverName: this.driverName, ifName: undefined, minMtu: 68, maxMtu: 9000, maxRxPktLen: 9018, minRxBufSize: 0,
      maxRxQueues: 1, maxTxQueues: 1, maxMacAddrs: 1, rxOffloadCapa: 0, txOffloadCapa: 0, flowTypeRssOffloads: 0,
      rxDescLimits: { max: 65535, min: 0, align: 1 }, txDescLimits: { max: 65535, min: 0, align: 1 },
      speedCapa: 0, devCapa: 0, firmwareVersion: undefined, rxPoolNeeds: undefined,
      ...d,
    };
  }

  /** rte_eth_dev_configure */
  async configure(nbRxQueues: number, nbTxQueues: number, conf: EthConf = {}): Promise<void> {
    this.checkStopped('configure');
    const info = this.info();
    if (!Number.isInteger(nbRxQueues) || nbRxQueues < 0 || nbRxQueues > info.maxRxQueues) {
      this.fail(`${nbRxQueues} rx queues asked, ${this.driverName} supports 0 to ${info.maxRxQueues}`);
    }
    if (!Number.isInteger(nbTxQueues) || nbTxQueues < 0 || nbTxQueues > info.maxTxQueues) {
      this.fail(`${nbTxQueues} tx queues asked, ${this.driverName} supports 0 to ${info.maxTxQueues}`);
    }
    if (nbRxQueues === 0 && nbTxQueues === 0) this.fail('configure needs at least one rx or tx queue');
    const badRx = (conf.rxmode?.offloads ?? 0) & ~info.rxOffloadCapa;
    if (badRx) this.fail(`rx offloads 0x${badRx.toString(16)} are not supported by ${this.driverName} (capabilities 0x${info.rxOffloadCapa.toString(16)})`, 'ENOTSUP');
    const badTx = (conf.txmode?.offloads ?? 0) & ~info.txOffloadCapa;
    if (badTx) this.fail(`tx offloads 0x${badTx.toString(16)} are not supported by ${this.driverName} (capabilities 0x${info.txOffloadCapa.toString(16)})`, 'ENOTSUP');
    const badRss = (conf.rss?.hashFunctions ?? 0) & ~info.flowTypeRssOffloads;
    if (badRss) {
      this.fail(`RSS hash functions 0x${badRss.toString(16)} are not supported by ${this.driverName} (supported 0x${info.flowTypeRssOffloads.toString(16)})`, 'ENOTSUP');
    }
    if (conf.lsc && !this.lsc) this.fail(`${this.driverName} raises no link-state-change interrupts (driver flag INTR_LSC)`, 'ENOTSUP');
    if (conf.rxmode?.mtu !== undefined) this.checkMtu(conf.rxmode.mtu, info);
    this.releaseQueues();
    this.conf = conf;
    this.nbRxQueues = nbRxQueues;
    this.nbTxQueues = nbTxQueues;
    this.rxSetup = new Array(nbRxQueues).fill(undefined);
    this.txSetup = new Array(nbTxQueues).fill(undefined);
    this.statsBuffer = new SharedArrayBuffer(Math.max(1, (nbRxQueues + nbTxQueues) * QUEUE_STAT_SLOTS) * 8);
    this.counters = new Float64Array(this.statsBuffer);
    this.statsBase = new Float64Array(this.counters.length);
    if (conf.rxmode?.mtu !== undefined) this.mtu = conf.rxmode.mtu;
    await this.ops.configure(this);
    this.configured = true;
  }

  private checkDesc(kind: 'rx' | 'tx', nbDesc: number, info: DevInfo): void {
    const lim = kind === 'rx' ? info.rxDescLimits : info.txDescLimits;
    if (!Number.isInteger(nbDesc) || nbDesc < lim.min || nbDesc > lim.max || nbDesc % lim.align !== 0) {
      this.fail(`${nbDesc} ${kind} descriptors asked; ${this.driverName} takes ${lim.min} to ${lim.max} in steps of ${lim.align}`);
    }
  }

  private checkQueueIndex(kind: 'rx' | 'tx', queue: number): void {
    const n = kind === 'rx' ? this.nbRxQueues : this.nbTxQueues;
    if (!this.configured) this.fail('the port is not configured; configure it first');
    if (!Number.isInteger(queue) || queue < 0 || queue >= n) this.fail(`invalid ${kind} queue ${queue}: the port has ${n} ${kind} queues`);
  }

  /** rte_eth_rx_queue_setup */
  async rxQueueSetup(queue: number, nbDesc: number, socket: number, conf: RxConf, pool: Mempool): Promise<void> {
    this.checkStopped('set up an rx queue');
    this.checkQueueIndex('rx', queue);
    const info = this.info();
    this.checkDesc('rx', nbDesc, info);
    check(pool, `port ${this.portId}: rx queue ${queue} needs a mempool`);
    const needs = info.rxPoolNeeds;
    if (needs && !rxPoolFits(needs, pool)) {
      const want = [needs.memory && `in ${needs.memory} memory`, needs.bufSizes && `with buffers of ${needs.bufSizes.join(' or ')} bytes`].filter(Boolean).join(' ');
      this.fail(`rx queue ${queue}: mempool '${pool.name}' (${pool.region.kind} memory, ${pool.eltSize}-byte buffers) cannot be used: ${this.driverName} needs pools ${want} (${needs.why})`);
    }
    if (this.rxSetup[queue]) this.releaseQueue('rx', queue);
    const data = await this.ops.rxQueueSetup(this, queue, nbDesc, socket, conf, pool);
    this.rxSetup[queue] = {
      nbDesc, socket, state: 'stopped', deferredStart: conf.deferredStart ?? false,
      descriptor: {
        module: this.fastPath.module, driver: this.driverName, port: this.portId, queue, pool: pool.descriptor(),
        stats: { buffer: this.statsBuffer, index: queue * QUEUE_STAT_SLOTS }, data,
      },
    };
  }

  /** rte_eth_tx_queue_setup */
  async txQueueSetup(queue: number, nbDesc: number, socket: number, conf: TxConf = {}): Promise<void> {
    this.checkStopped('set up a tx queue');
    this.checkQueueIndex('tx', queue);
    const info = this.info();
    this.checkDesc('tx', nbDesc, info);
    if (conf.rsThresh !== undefined && conf.freeThresh !== undefined && conf.rsThresh > conf.freeThresh && conf.freeThresh > 0) {
      this.fail(`tx_rs_thresh (${conf.rsThresh}) must not exceed tx_free_thresh (${conf.freeThresh})`);
    }
    if (this.txSetup[queue]) this.releaseQueue('tx', queue);
    const data = await this.ops.txQueueSetup(this, queue, nbDesc, socket, conf);
    this.txSetup[queue] = {
      nbDesc, socket, state: 'stopped', deferredStart: conf.deferredStart ?? false,
      descriptor: {
        module: this.fastPath.module, driver: this.driverName, port: this.portId, queue, pool: undefined,
        stats: { buffer: this.statsBuffer, index: (this.nbRxQueues + queue) * QUEUE_STAT_SLOTS }, data,
      },
    };
  }

  /** rte_eth_dev_start: starts the device and builds the burst functions of its queues. */
  async start(): Promise<void> {
    this.checkOpen();
    if (this.started) return;
    if (!this.configured) this.fail('the port is not configured; configure it first');
    for (let q = 0; q < this.nbRxQueues; q++) if (!this.rxSetup[q]) this.fail(`rx queue ${q} is not set up`);
    for (let q = 0; q < this.nbTxQueues; q++) if (!this.txSetup[q]) this.fail(`tx queue ${q} is not set up`);
    await this.ops.start(this);
    this.started = true;
    this.rxq = this.rxSetup.map((s, q) => {
      if (s!.deferredStart) return idleQueue;
      s!.state = 'started';
      return this.fastPath.impl.createRxQueue(this.queueDescriptor('rx', q));
    });
    this.txq = this.txSetup.map((s, q) => {
      if (s!.deferredStart) return idleQueue;
      s!.state = 'started';
      return this.fastPath.impl.createTxQueue(this.queueDescriptor('tx', q));
    });
    await this.updateLink(false);
  }

  /** rte_eth_dev_stop: the driver gives back every mbuf its queues hold. */
  async stop(): Promise<void> {
    this.checkOpen();
    if (!this.started) return;
    for (const w of [...this.intrWaits]) w.cancel();
    for (const q of [...this.rxq, ...this.txq]) q.release?.();
    this.rxq = this.rxq.map(() => idleQueue);
    this.txq = this.txq.map(() => idleQueue);
    for (const s of [...this.rxSetup, ...this.txSetup]) if (s) s.state = 'stopped';
    await this.ops.stop(this);
    this.started = false;
    await this.updateLink(false);
  }

  /** rte_eth_dev_close: the port must be stopped; its queues and memory are released. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.started) this.fail('cannot close a started port; stop it first', 'EBUSY');
    this.releaseQueues();
    await this.ops.close(this);
    this.closed = true;
    this.configured = false;
  }

  /** rte_eth_dev_reset: stops the port and returns it to its state after probe. */
  async reset(): Promise<void> {
    this.checkOpen();
    if (!this.ops.reset) this.fail(`${this.driverName} does not support reset`, 'ENOTSUP');
    await this.stop();
    this.releaseQueues();
    await this.ops.reset(this);
    this.configured = false;
    this.nbRxQueues = 0;
    this.nbTxQueues = 0;
  }

  private releaseQueue(kind: 'rx' | 'tx', q: number): void {
    if (kind === 'rx') {
      this.ops.rxQueueRelease?.(this, q);
      this.rxSetup[q] = undefined;
    } else {
      this.ops.txQueueRelease?.(this, q);
      this.txSetup[q] = undefined;
    }
  }

  private releaseQueues(): void {
    for (let q = 0; q < this.rxSetup.length; q++) if (this.rxSetup[q]) this.releaseQueue('rx', q);
    for (let q = 0; q < this.txSetup.length; q++) if (this.txSetup[q]) this.releaseQueue('tx', q);
  }

  /**
   * rte_eth_dev_rx_intr_ctl_q_get_fd: the fds that poll readable when rx queue `queue` has
   * packets, for an application that runs its own event loop or epoll (on any lcore).
   */
  rxIntrFds(queue: number): number[] {
    this.checkOpen();
    this.checkQueueIndex('rx', queue);
    if (!this.ops.rxQueueIntrFds) this.fail(`${this.driverName} has no rx interrupts; poll the queue`, 'ENOTSUP');
    if (!this.started) this.fail('rx interrupts need a started port; start it first', 'EINVAL');
    return this.ops.rxQueueIntrFds(this, queue);
  }

  /**
   * Interrupt mode (rte_eth_dev_rx_intr_enable + rte_epoll_wait): resolves true as soon as rx
   * queue `queue` has packets, false after `timeoutMs` or when the port stops. Waits on the
   * event loop (no spinning); then rxBurst as usual.
   */
  rxIntrWait(queue: number, timeoutMs: number): Promise<boolean> {
    const w = waitReadable(this.rxIntrFds(queue), timeoutMs);
    this.intrWaits.add(w);
    return w.done.finally(() => this.intrWaits.delete(w));
  }

  /** rte_eth_rx_burst */
  rxBurst(queue: number, pkts: Uint32Array, start: number, n: number): number {
    return this.rxq[queue]!.rxBurst(pkts, start, n);
  }

  /** rte_eth_tx_burst */
  txBurst(queue: number, pkts: Uint32Array, start: number, n: number): number {
    return this.txq[queue]!.txBurst(pkts, start, n);
  }

  /** The structured-cloneable description of a queue, to rebuild its burst function on another lcore. */
  queueDescriptor(kind: 'rx' | 'tx', queue: number): QueueDescriptor {
    this.checkQueueIndex(kind, queue);
    const s = (kind === 'rx' ? this.rxSetup : this.txSetup)[queue];
    if (!s) this.fail(`${kind} queue ${queue} is not set up`);
    return s.descriptor;
  }

  queueInfo(kind: 'rx' | 'tx', queue: number): { nbDesc: number; state: QueueState } {
    this.checkQueueIndex(kind, queue);
    const s = (kind === 'rx' ? this.rxSetup : this.txSetup)[queue];
    if (!s) this.fail(`${kind} queue ${queue} is not set up`);
    return { nbDesc: s.nbDesc, state: s.state };
  }

  /** rte_eth_dev_rx_queue_start / stop, tx likewise */
  async queueStart(kind: 'rx' | 'tx', queue: number): Promise<void> {
    this.checkOpen();
    this.checkQueueIndex(kind, queue);
    if (!this.started) this.fail(`cannot start ${kind} queue ${queue}: the port is not started`);
    const op = kind === 'rx' ? this.ops.rxQueueStart : this.ops.txQueueStart;
    if (!op) this.fail(`${this.driverName} cannot start ${kind} queues one by one`, 'ENOTSUP');
    const s = (kind === 'rx' ? this.rxSetup : this.txSetup)[queue]!;
    if (s.state === 'started') return;
    op.call(this.ops, this, queue);
    s.state = 'started';
    if (kind === 'rx') this.rxq[queue] = this.fastPath.impl.createRxQueue(s.descriptor);
    else this.txq[queue] = this.fastPath.impl.createTxQueue(s.descriptor);
  }

  async queueStop(kind: 'rx' | 'tx', queue: number): Promise<void> {
    this.checkOpen();
    this.checkQueueIndex(kind, queue);
    const op = kind === 'rx' ? this.ops.rxQueueStop : this.ops.txQueueStop;
    if (!op) this.fail(`${this.driverName} cannot stop ${kind} queues one by one`, 'ENOTSUP');
    const s = (kind === 'rx' ? this.rxSetup : this.txSetup)[queue]!;
    if (s.state === 'stopped') return;
    if (kind === 'rx') {
      this.rxq[queue]!.release?.();
      this.rxq[queue] = idleQueue;
    } else {
      this.txq[queue]!.release?.();
      this.txq[queue] = idleQueue;
    }
    op.call(this.ops, this, queue);
    s.state = 'stopped';
  }

  /** The port's flow rules (rte_flow), or ENOTSUP. */
  flow(): FlowOps {
    this.checkOpen();
    const f = this.ops.flowOps?.(this);
    if (!f) this.fail(`${this.driverName} takes no flow rules (rte_flow)`, 'ENOTSUP');
    return f;
  }

  /** rte_eth_link_get: asks the driver and raises 'link-state' when it changed. */
  async linkGet(): Promise<EthLink> {
    this.checkOpen();
    return this.updateLink(true);
  }

  private async updateLink(wait: boolean): Promise<EthLink> {
    const link = await this.ops.linkUpdate(this, wait);
    this.setLink(link);
    return link;
  }

  /** For drivers: the link changed (an LSC interrupt). Emits 'link-state' when `up` flips. */
  setLink(link: EthLink): void {
    const was = this.link.up;
    this.link = { ...link };
    if (was !== link.up) this.emit('link-state', this.portId, link.up);
  }

  private raw(kind: 'rx' | 'tx', q: number, slot: number): number {
    const i = ((kind === 'rx' ? q : this.nbRxQueues + q) * QUEUE_STAT_SLOTS) + slot;
    return this.counters[i]! - this.statsBase[i]!;
  }

  /** rte_eth_stats_get */
  statsGet(): EthStats {
    this.checkOpen();
    const s: EthStats = {
      ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0, rxNombuf: 0,
      qIpackets: [], qOpackets: [], qIbytes: [], qObytes: [], qErrors: [],
    };
    for (let q = 0; q < this.nbRxQueues; q++) {
      const p = this.raw('rx', q, QueueStat.PACKETS);
      const b = this.raw('rx', q, QueueStat.BYTES);
      const e = this.raw('rx', q, QueueStat.ERRORS);
      s.ipackets += p; s.ibytes += b; s.ierrors += e; s.rxNombuf += this.raw('rx', q, QueueStat.NOMBUF);
      s.qIpackets.push(p); s.qIbytes.push(b); s.qErrors.push(e);
    }
    for (let q = 0; q < this.nbTxQueues; q++) {
      const p = this.raw('tx', q, QueueStat.PACKETS);
      const b = this.raw('tx', q, QueueStat.BYTES);
      s.opackets += p; s.obytes += b; s.oerrors += this.raw('tx', q, QueueStat.ERRORS);
      s.qOpackets.push(p); s.qObytes.push(b);
    }
    const extra = this.ops.extraStats?.(this);
    if (extra) {
      s.imissed += extra.imissed ?? 0;
      s.ierrors += extra.ierrors ?? 0;
      s.oerrors += extra.oerrors ?? 0;
    }
    return s;
  }

  /** rte_eth_stats_reset: counters keep running in shared memory; the reset moves the base. */
  statsReset(): void {
    this.checkOpen();
    this.statsBase.set(this.counters);
    this.ops.statsReset?.(this);
  }

  /** rte_eth_xstats_get: the standard names DPDK uses, then the driver's own. */
  xstatsGet(): Xstat[] {
    const s = this.statsGet();
    const out: Xstat[] = [
      { name: 'rx_good_packets', value: s.ipackets }, { name: 'tx_good_packets', value: s.opackets },
      { name: 'rx_good_bytes', value: s.ibytes }, { name: 'tx_good_bytes', value: s.obytes },
      { name: 'rx_missed_errors', value: s.imissed }, { name: 'rx_errors', value: s.ierrors },
      { name: 'tx_errors', value: s.oerrors }, { name: 'rx_mbuf_allocation_errors', value: s.rxNombuf },
    ];
    for (let q = 0; q < this.nbRxQueues; q++) {
      out.push({ name: `rx_q${q}_packets`, value: s.qIpackets[q]! }, { name: `rx_q${q}_bytes`, value: s.qIbytes[q]! },
        { name: `rx_q${q}_errors`, value: s.qErrors[q]! });
    }
    for (let q = 0; q < this.nbTxQueues; q++) {
      out.push({ name: `tx_q${q}_packets`, value: s.qOpackets[q]! }, { name: `tx_q${q}_bytes`, value: s.qObytes[q]! });
    }
    for (const x of this.ops.xstatsGet?.(this) ?? []) {
      out.push({ name: x.name, value: x.value - (this.xstatsBase.get(x.name) ?? 0) });
    }
    return out;
  }

  xstatsReset(): void {
    this.statsReset();
    if (this.ops.xstatsReset) this.ops.xstatsReset(this);
    else for (const x of this.ops.xstatsGet?.(this) ?? []) this.xstatsBase.set(x.name, x.value);
  }

  async promiscuousSet(on: boolean): Promise<void> {
    this.checkOpen();
    const op = on ? this.ops.promiscuousEnable : this.ops.promiscuousDisable;
    if (!op) this.fail(`${this.driverName} cannot change promiscuous mode`, 'ENOTSUP');
    await op.call(this.ops, this);
    this.promiscuous = on;
  }

  async allmulticastSet(on: boolean): Promise<void> {
    this.checkOpen();
    const op = on ? this.ops.allmulticastEnable : this.ops.allmulticastDisable;
    if (!op) this.fail(`${this.driverName} cannot change all-multicast mode`, 'ENOTSUP');
    await op.call(this.ops, this);
    this.allMulticast = on;
  }

  /** rte_eth_dev_default_mac_addr_set */
  async macAddrSet(mac: Uint8Array): Promise<void> {
    this.checkOpen();
    if (mac.length !== 6) this.fail('a MAC address has 6 bytes');
    if (mac[0]! & 1) this.fail('cannot use a multicast address as the port address');
    if (mac.every((b) => b === 0)) this.fail('cannot use the all-zero address as the port address');
    if (!this.ops.macAddrSet) this.fail(`${this.driverName} cannot change its MAC address`, 'ENOTSUP');
    await this.ops.macAddrSet(this, mac);
    this.mac = Uint8Array.from(mac);
  }

  private checkMtu(mtu: number, info: DevInfo): void {
    if (!Number.isInteger(mtu) || mtu < info.minMtu || mtu > info.maxMtu) {
      this.fail(`MTU ${mtu} is out of range: ${this.driverName} takes ${info.minMtu} to ${info.maxMtu}`);
    }
  }

  /** rte_eth_dev_set_mtu */
  async mtuSet(mtu: number): Promise<void> {
    this.checkOpen();
    this.checkMtu(mtu, this.info());
    if (!this.ops.mtuSet) this.fail(`${this.driverName} cannot change its MTU`, 'ENOTSUP');
    await this.ops.mtuSet(this, mtu);
    this.mtu = mtu;
  }
}

/** The ports of the process (rte_eth_devices). */
export class EthDevRegistry extends EventEmitter<EthDevRegistryEvents> implements EthDevAllocator {
  private readonly ports: (EthDev | undefined)[] = new Array(MAX_ETHPORTS).fill(undefined);

  allocate<P>(spec: EthDevSpec<P>): EthDev<P> {
    if (this.ports.some((d) => d?.name === spec.name)) throw new DpkitError(`a port named '${spec.name}' already exists`, 'EEXIST');
    const id = this.ports.findIndex((d) => d === undefined);
    if (id < 0) throw new DpkitError(`cannot create port '${spec.name}': all ${MAX_ETHPORTS} ports are in use`, 'ENOSPC');
    const dev = new EthDev<P>(id, spec);
    this.ports[id] = dev as EthDev;
    spec.device.ports.push(id);
    this.emit('new', id);
    return dev;
  }

  release(dev: EthDev): void {
    if (this.ports[dev.portId] !== dev) return;
    this.ports[dev.portId] = undefined;
    const i = dev.device.ports.indexOf(dev.portId);
    if (i >= 0) dev.device.ports.splice(i, 1);
    dev.removeAllListeners();
    this.emit('destroy', dev.portId);
  }

  /** The port, or a DpkitError naming the valid ones. */
  get(port: number): EthDev {
    const dev = Number.isInteger(port) ? this.ports[port] : undefined;
    if (!dev) {
      const valid = this.list().map((d) => d.portId);
      throw new DpkitError(`invalid port ${port}: ${valid.length ? `valid ports are ${valid.join(', ')}` : 'there are no ports'}`, 'ENODEV');
    }
    return dev;
  }

  find(name: string): EthDev | undefined {
    return this.ports.find((d) => d?.name === name);
  }

  /** Ports in id order (RTE_ETH_FOREACH_DEV). */
  list(): EthDev[] {
    return this.ports.filter((d): d is EthDev => d !== undefined);
  }

  count(): number {
    return this.list().length;
  }
}
