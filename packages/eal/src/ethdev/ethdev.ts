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
import type { Device, EthDevAllocator, EthDevSpec } from '../driver/types.js';
import type { DriverPort } from '../driver/port.js';
import type { Mempool } from '../mbuf/mempool.js';
import { QUEUE_STAT_SLOTS, QueueStat, idleQueue, type QueueDescriptor, type RxQueue, type TxQueue } from './fastpath.js';
import type { OptionalOp } from './ops.js';
import { bindDriver, type BoundDriver, type QueueSetup } from './binding.js';
import type { FlowOps } from '../flow/flow.js';
import { waitReadable, type ReadableWait } from '../linux/poll.js';
import {
  MAX_ETHPORTS, type DevInfo, type EthConf, type EthDevEvents, type EthDevRegistryEvents, type EthLink,
  type EthStats, type QueueState, type RxConf, type TxConf, type Xstat, rxPoolFits,
} from './types.js';

/**
 * A port, as the application uses it. Its state is read-only here; it changes through the
 * checked calls below, which call the driver's ops with the port's driver side (DriverPort,
 * which the application never sees).
 */
export class EthDev extends EventEmitter<EthDevEvents> {
  /** the driver side: the DriverPort the ops see, and the driver's ops and fast path */
  readonly #drv: BoundDriver;
  #configured = false;
  #closed = false;
  /** interrupt-mode waits in progress (cancelled at stop, before the sockets close) */
  private readonly intrWaits = new Set<ReadableWait>();
  private rxq: RxQueue[] = [];
  private txq: TxQueue[] = [];
  private statsBuffer = new SharedArrayBuffer(8);
  private counters = new Float64Array(this.statsBuffer);
  private statsBase = new Float64Array(1);
  private xstatsBase = new Map<string, number>();

  /** @internal the registry makes ports (allocate); `drv` is the driver side it bound */
  constructor(drv: BoundDriver) {
    super();
    this.#drv = drv;
  }

  get portId(): number { return this.#drv.port.portId; }
  get name(): string { return this.#drv.port.name; }
  get device(): Device { return this.#drv.port.device; }
  get driverName(): string { return this.#drv.port.driverName; }
  /** the driver raises link-state-change events (driver flag INTR_LSC) */
  get lsc(): boolean { return this.#drv.port.lsc; }
  /** rte_eth_macaddr_get: a copy of the port's MAC address */
  get mac(): Uint8Array { return Uint8Array.from(this.#drv.port.mac); }
  get mtu(): number { return this.#drv.port.mtu; }
  get promiscuous(): boolean { return this.#drv.port.promiscuous; }
  get allMulticast(): boolean { return this.#drv.port.allMulticast; }
  /** the configuration of the last configure */
  get conf(): Readonly<EthConf> { return this.#drv.port.conf; }
  get nbRxQueues(): number { return this.#drv.port.nbRxQueues; }
  get nbTxQueues(): number { return this.#drv.port.nbTxQueues; }
  get started(): boolean { return this.#drv.port.started; }
  /** configure succeeded (and no reset or close since) */
  get configured(): boolean { return this.#configured; }
  /** close ran: the port is unusable until the device is attached again */
  get closed(): boolean { return this.#closed; }
  /** the link as last reported (linkGet asks the driver) */
  get link(): Readonly<EthLink> { return { ...this.#drv.port.link }; }

  /** Does the port's driver have the optional op `op` (without it, the matching call fails with ENOTSUP)? */
  supports(op: OptionalOp): boolean {
    return this.#drv.has(op);
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
    const d = this.#drv.infoGet();
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
    const port = this.#drv.port;
    this.#configured = false;
    port.conf = conf;
    port.nbRxQueues = nbRxQueues;
    port.nbTxQueues = nbTxQueues;
    this.#drv.resetQueues(nbRxQueues, nbTxQueues);
    this.statsBuffer = new SharedArrayBuffer(Math.max(1, (nbRxQueues + nbTxQueues) * QUEUE_STAT_SLOTS) * 8);
    this.counters = new Float64Array(this.statsBuffer);
    this.statsBase = new Float64Array(this.counters.length);
    if (conf.rxmode?.mtu !== undefined) port.mtu = conf.rxmode.mtu;
    await this.#drv.configure();
    this.#configured = true;
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
    if (this.#drv.rxSetup[queue]) this.#drv.queueRelease('rx', queue);
    await this.#drv.rxQueueSetup(queue, nbDesc, socket, conf, pool, {
      module: this.#drv.fastPathModule, driver: this.driverName, port: this.portId, queue, pool: pool.descriptor(),
      stats: { buffer: this.statsBuffer, index: queue * QUEUE_STAT_SLOTS },
    });
  }

  /** rte_eth_tx_queue_setup */
  async txQueueSetup(queue: number, nbDesc: number, socket: number, conf: TxConf = {}): Promise<void> {
    this.checkStopped('set up a tx queue');
    this.checkQueueIndex('tx', queue);
    const info = this.info();
    this.checkDesc('tx', nbDesc, info);
    if (!this.#drv.has('checksTxThresholds') && conf.rsThresh !== undefined && conf.freeThresh !== undefined && conf.rsThresh > conf.freeThresh && conf.freeThresh > 0) {
      this.fail(`tx_rs_thresh (${conf.rsThresh}) must not exceed tx_free_thresh (${conf.freeThresh})`);
    }
    if (this.#drv.txSetup[queue]) this.#drv.queueRelease('tx', queue);
    await this.#drv.txQueueSetup(queue, nbDesc, socket, conf, {
      module: this.#drv.fastPathModule, driver: this.driverName, port: this.portId, queue, pool: undefined,
      stats: { buffer: this.statsBuffer, index: (this.nbRxQueues + queue) * QUEUE_STAT_SLOTS },
    });
  }

  /** rte_eth_dev_start: starts the device and builds the burst functions of its queues. */
  async start(): Promise<void> {
    this.checkOpen();
    if (this.started) return;
    if (!this.configured) this.fail('the port is not configured; configure it first');
    const drv = this.#drv;
    for (let q = 0; q < this.nbRxQueues; q++) if (!drv.rxSetup[q]) this.fail(`rx queue ${q} is not set up`);
    for (let q = 0; q < this.nbTxQueues; q++) if (!drv.txSetup[q]) this.fail(`tx queue ${q} is not set up`);
    await drv.start();
    drv.port.started = true;
    const built: (RxQueue | TxQueue)[] = [];
    const build = <Q extends RxQueue | TxQueue>(s: QueueSetup | undefined, make: () => Q): Q | typeof idleQueue => {
      if (s!.deferredStart) return idleQueue;
      const queue = make();
      built.push(queue);
      s!.state = 'started';
      return queue;
    };
    try {
      this.rxq = drv.rxSetup.map((s, q) => build(s, () => drv.createRxQueue(q)));
      this.txq = drv.txSetup.map((s, q) => build(s, () => drv.createTxQueue(q)));
    } catch (err) {
      // a failed start is no start: give back what the queue objects and the driver's start hold
      for (const queue of built) queue.release?.();
      for (const s of [...drv.rxSetup, ...drv.txSetup]) if (s) s.state = 'stopped';
      await drv.stop();
      drv.port.started = false;
      throw err;
    }
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
    for (const s of [...this.#drv.rxSetup, ...this.#drv.txSetup]) if (s) s.state = 'stopped';
    await this.#drv.stop();
    this.#drv.port.started = false;
    await this.updateLink(false);
  }

  /** rte_eth_dev_close: the port must be stopped; its queues and memory are released. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.started) this.fail('cannot close a started port; stop it first', 'EBUSY');
    this.releaseQueues();
    await this.#drv.close();
    this.#closed = true;
    this.#configured = false;
  }

  /** rte_eth_dev_reset: stops the port and returns it to its state after probe. */
  async reset(): Promise<void> {
    this.checkOpen();
    if (!this.#drv.has('reset')) this.fail(`${this.driverName} does not support reset`, 'ENOTSUP');
    await this.stop();
    this.releaseQueues();
    await this.#drv.reset();
    this.#configured = false;
    this.#drv.port.nbRxQueues = 0;
    this.#drv.port.nbTxQueues = 0;
  }

  private releaseQueues(): void {
    const drv = this.#drv;
    for (let q = 0; q < drv.rxSetup.length; q++) if (drv.rxSetup[q]) drv.queueRelease('rx', q);
    for (let q = 0; q < drv.txSetup.length; q++) if (drv.txSetup[q]) drv.queueRelease('tx', q);
  }

  /**
   * rte_eth_dev_rx_intr_ctl_q_get_fd: the fds that poll readable when rx queue `queue` has
   * packets, for an application that runs its own event loop or epoll (on any lcore).
   */
  rxIntrFds(queue: number): number[] {
    this.checkOpen();
    this.checkQueueIndex('rx', queue);
    if (!this.#drv.has('rxQueueIntrFds')) this.fail(`${this.driverName} has no rx interrupts; poll the queue`, 'ENOTSUP');
    if (!this.started) this.fail('rx interrupts need a started port; start it first', 'EINVAL');
    return this.#drv.rxQueueIntrFds(queue);
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
    const s = (kind === 'rx' ? this.#drv.rxSetup : this.#drv.txSetup)[queue];
    if (!s) this.fail(`${kind} queue ${queue} is not set up`);
    return s.descriptor;
  }

  queueInfo(kind: 'rx' | 'tx', queue: number): { nbDesc: number; state: QueueState } {
    this.checkQueueIndex(kind, queue);
    const s = (kind === 'rx' ? this.#drv.rxSetup : this.#drv.txSetup)[queue];
    if (!s) this.fail(`${kind} queue ${queue} is not set up`);
    return { nbDesc: s.nbDesc, state: s.state };
  }

  /** rte_eth_dev_rx_queue_start / stop, tx likewise */
  async queueStart(kind: 'rx' | 'tx', queue: number): Promise<void> {
    this.checkOpen();
    this.checkQueueIndex(kind, queue);
    if (!this.started) this.fail(`cannot start ${kind} queue ${queue}: the port is not started`);
    if (!this.#drv.has(kind === 'rx' ? 'rxQueueStart' : 'txQueueStart')) this.fail(`${this.driverName} cannot start ${kind} queues one by one`, 'ENOTSUP');
    const s = (kind === 'rx' ? this.#drv.rxSetup : this.#drv.txSetup)[queue]!;
    if (s.state === 'started') return;
    this.#drv.queueStart(kind, queue);
    try {
      if (kind === 'rx') this.rxq[queue] = this.#drv.createRxQueue(queue);
      else this.txq[queue] = this.#drv.createTxQueue(queue);
    } catch (err) {
      this.#drv.queueStop(kind, queue); // a queue whose burst object failed is not started
      throw err;
    }
    s.state = 'started';
  }

  async queueStop(kind: 'rx' | 'tx', queue: number): Promise<void> {
    this.checkOpen();
    this.checkQueueIndex(kind, queue);
    if (!this.#drv.has(kind === 'rx' ? 'rxQueueStop' : 'txQueueStop')) this.fail(`${this.driverName} cannot stop ${kind} queues one by one`, 'ENOTSUP');
    const s = (kind === 'rx' ? this.#drv.rxSetup : this.#drv.txSetup)[queue]!;
    if (s.state === 'stopped') return;
    if (kind === 'rx') {
      this.rxq[queue]!.release?.();
      this.rxq[queue] = idleQueue;
    } else {
      this.txq[queue]!.release?.();
      this.txq[queue] = idleQueue;
    }
    this.#drv.queueStop(kind, queue);
    s.state = 'stopped';
  }

  /** The port's flow rules (rte_flow), or ENOTSUP. */
  flow(): FlowOps {
    this.checkOpen();
    const f = this.#drv.flowOps();
    if (!f) this.fail(`${this.driverName} takes no flow rules (rte_flow)`, 'ENOTSUP');
    return f;
  }

  /** rte_eth_link_get: asks the driver and raises 'link-state' when it changed. */
  async linkGet(): Promise<EthLink> {
    this.checkOpen();
    return this.updateLink(true);
  }

  private async updateLink(wait: boolean): Promise<EthLink> {
    const link = await this.#drv.linkUpdate(wait);
    this.#drv.port.setLink(link);
    return link;
  }

  /** Extra lines for `show port info` from the driver (a kernel netdev, split queues...). */
  describe(): string[] {
    this.checkOpen();
    return this.#drv.describe();
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
    const extra = this.#drv.extraStats();
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
    this.#drv.statsReset();
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
    for (const x of this.#drv.xstatsGet()) {
      out.push({ name: x.name, value: x.value - (this.xstatsBase.get(x.name) ?? 0) });
    }
    return out;
  }

  xstatsReset(): void {
    this.statsReset();
    if (this.#drv.has('xstatsReset')) this.#drv.xstatsReset();
    else for (const x of this.#drv.xstatsGet()) this.xstatsBase.set(x.name, x.value);
  }

  async promiscuousSet(on: boolean): Promise<void> {
    this.checkOpen();
    if (!this.#drv.has(on ? 'promiscuousEnable' : 'promiscuousDisable')) this.fail(`${this.driverName} cannot change promiscuous mode`, 'ENOTSUP');
    await this.#drv.promiscuousSet(on);
    this.#drv.port.promiscuous = on;
  }

  async allmulticastSet(on: boolean): Promise<void> {
    this.checkOpen();
    if (!this.#drv.has(on ? 'allmulticastEnable' : 'allmulticastDisable')) this.fail(`${this.driverName} cannot change all-multicast mode`, 'ENOTSUP');
    await this.#drv.allmulticastSet(on);
    this.#drv.port.allMulticast = on;
  }

  /** rte_eth_dev_default_mac_addr_set */
  async macAddrSet(mac: Uint8Array): Promise<void> {
    this.checkOpen();
    if (mac.length !== 6) this.fail('a MAC address has 6 bytes');
    if (mac[0]! & 1) this.fail('cannot use a multicast address as the port address');
    if (mac.every((b) => b === 0)) this.fail('cannot use the all-zero address as the port address');
    if (!this.#drv.has('macAddrSet')) this.fail(`${this.driverName} cannot change its MAC address`, 'ENOTSUP');
    await this.#drv.macAddrSet(mac);
    this.#drv.port.mac = Uint8Array.from(mac);
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
    if (!this.#drv.has('mtuSet')) this.fail(`${this.driverName} cannot change its MTU`, 'ENOTSUP');
    await this.#drv.mtuSet(mtu);
    this.#drv.port.mtu = mtu;
  }
}

/**
 * The ports of the process (rte_eth_devices), as the application lists them. Drivers reach the
 * table through its allocator (EthDevAllocator, in their probe and remove contexts), which
 * deals in DriverPorts; the EAL's device manager gets it with `EthDevRegistry.allocatorOf`.
 */
export class EthDevRegistry extends EventEmitter<EthDevRegistryEvents> {
  private readonly ports: (EthDev | undefined)[] = new Array(MAX_ETHPORTS).fill(undefined);
  /** the driver side of each port, by id */
  private readonly bound: (BoundDriver | undefined)[] = new Array(MAX_ETHPORTS).fill(undefined);
  readonly #allocator: EthDevAllocator = {
    allocate: (spec) => this.allocate(spec),
    get: (port) => this.bound[this.get(port).portId]!.port,
    close: (port) => this.closePort(this.ofDriver(port)),
    release: (port) => this.release(this.ofDriver(port)),
  };

  /** The drivers' view of `registry` (internal to the EAL). */
  static allocatorOf(registry: EthDevRegistry): EthDevAllocator {
    return registry.#allocator;
  }

  private allocate<Priv, RxData, TxData>(spec: EthDevSpec<Priv, RxData, TxData>): DriverPort<Priv> {
    if (this.ports.some((d) => d?.name === spec.name)) throw new DpkitError(`a port named '${spec.name}' already exists`, 'EEXIST');
    const id = this.ports.findIndex((d) => d === undefined);
    if (id < 0) throw new DpkitError(`cannot create port '${spec.name}': all ${MAX_ETHPORTS} ports are in use`, 'ENOSPC');
    const { bound, port } = bindDriver(id, spec, (up) => dev.emit('link-state', id, up));
    const dev = new EthDev(bound);
    this.ports[id] = dev;
    this.bound[id] = bound;
    spec.device.ports.push(id);
    this.emit('new', id);
    return port;
  }

  /** The port whose driver side is `port`. */
  private ofDriver(port: DriverPort): EthDev {
    const dev = this.ports[port.portId];
    if (!dev || this.bound[port.portId]?.port !== port) throw new DpkitError(`port ${port.portId} (${port.name}) was released`, 'ENODEV');
    return dev;
  }

  private async closePort(dev: EthDev): Promise<void> {
    if (dev.started) await dev.stop();
    await dev.close();
  }

  /** Releases a port (rte_eth_dev_release_port): the EAL's, after a driver's remove. */
  release(dev: EthDev): void {
    if (this.ports[dev.portId] !== dev) return;
    this.ports[dev.portId] = undefined;
    this.bound[dev.portId] = undefined;
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
