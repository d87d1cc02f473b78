/**
 * The testpmd application: ports, the mbuf pool, the forwarding configuration (streams spread
 * over forwarding lcores), start/stop of forwarding, and the statistics displays. The CLI
 * (`cli.ts`) and the interactive commands (`commands.ts`) drive it; tests can drive it too.
 */
import { DpkitError, MBUF_DEFAULT_BUF_SIZE, errorLine, rxPoolFits, type DevInfo, type Eal, type EthDev, type Mempool } from '@dpkit/eal';
import { accumulatedStats, burstStats, fwdStats, fwdStreamStats, macOf, nicStats, portInfo, xstats, type CsumCounts, type FwdPortStats } from './display.js';
import { BURST_SPREAD, BURST_STAT_SLOTS, FWD_STAT_SLOTS, FwdStat, type FwdStreamConfig } from './fwd/engine.js';
import { engineBegin, engineTarget, noisyConfig } from './fwd/registry.js';
import type { ForwardLoopArg, ForwardLoopResult } from './fwd/lcore.js';
import type { TestpmdParams } from './params.js';
import { Observers } from './observers.js';

/** RTE_TEST_RX_DESC_MAX + RTE_TEST_TX_DESC_MAX + MAX_PKT_BURST, per port, as testpmd sizes its pool */
const MBUFS_PER_PORT = 2048 + 2048 + 512;

export type Output = (text: string) => void;

/**
 * A command's answer that is DPDK testpmd's own output for that case (`Invalid port 7` and the
 * valid ports, ...): the command line prints its message whole, as DPDK's lines are.
 */
export class DpdkAnswer extends DpkitError {}

interface PortBase {
  ipackets: number;
  opackets: number;
  imissed: number;
  ierrors: number;
  rxNombuf: number;
}

interface LastShow {
  time: bigint;
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  /** --display-xstats values at the last show, by name */
  xstats: Map<string, number>;
}

/** Ethernet header and CRC: what --max-pkt-len has beyond the MTU */
const ETHER_OVERHEAD = 18;

export class Testpmd {
  readonly params: TestpmdParams;
  private pool: Mempool | undefined;
  private forwarding = false;
  private control = new SharedArrayBuffer(8);
  /** loop iterations of each forwarding lcore (Float64Array slots, in fwdLcores order) */
  private iterations: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private fwdLcores: number[] = [];
  private streams: FwdStreamConfig[] = [];
  private streamStats: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** --record-burst-stats: each stream's spread (BURST_STAT_SLOTS slots), in stream order */
  private burstSpread: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** forwarding ports of the last start (cur_fwd_config.nb_fwd_ports) */
  private nbFwdPorts = 0;
  private base = new Map<number, PortBase>();
  private lastShow = new Map<number, LastShow>();
  /** set verbose and the packet capture server (created by init) */
  observers: Observers | undefined;

  constructor(
    readonly eal: Eal,
    params: TestpmdParams,
    private readonly out: Output,
  ) {
    this.params = params;
    const workers = eal.lcores.workerIds();
    if (workers.length === 0) {
      throw new DpkitError('Empty set of forwarding logical cores - check the core mask supplied in the command parameters (give at least two lcores, e.g. -l 0-1)');
    }
    for (const l of params.fwdLcores ?? []) {
      if (l === eal.lcores.mainLcore) throw new DpkitError(`coremask is not valid: lcore ${l} cannot be masked on for running packet forwarding, which is the main lcore and reserved for command line parsing only`);
      if (!workers.includes(l)) throw new DpkitError(`coremask is not valid: lcore ${l} not enabled (the EAL's lcores: ${eal.lcores.ids().join(',')})`);
    }
    if (params.fwdLcores && params.nbCores > params.fwdLcores.length) {
      throw new DpkitError(`invalid --nb-cores ${params.nbCores}: --coremask gives ${params.fwdLcores.length} forwarding lcores`);
    }
    if (params.nbCores > workers.length) {
      throw new DpkitError(`invalid --nb-cores ${params.nbCores}: there are ${workers.length} forwarding lcores (the core list minus the main lcore)`);
    }
    engineTarget(params.forwardMode);
  }

  get isForwarding(): boolean {
    return this.forwarding;
  }

  /** Ports that forward: all ports, filtered by --portmask (or those of --portlist that exist, in its order), at most --nb-ports. */
  fwdPorts(): EthDev[] {
    let ports = this.openPorts();
    const mask = this.params.portmask;
    const list = this.params.portlist;
    if (mask !== undefined) ports = ports.filter((d) => d.portId < 32 && (mask >>> d.portId) & 1);
    if (list !== undefined) ports = list.map((id) => ports.find((d) => d.portId === id)).filter((d) => d !== undefined);
    if (this.params.nbPorts !== undefined) ports = ports.slice(0, this.params.nbPorts);
    return ports;
  }

  /** Creates the mbuf pool and configures and starts every port (testpmd's init_config + start_port). */
  async init(): Promise<void> {
    this.observers = await Observers.init(this.eal);
    const ports = this.openPorts();
    if (ports.length === 0) this.out('Warning: No probed ethernet devices');
    // as DPDK's set_fwd_ports_list, when --portmask or --portlist changes the forwarding ports
    const fwd = this.fwdPorts().length;
    if ((this.params.portmask !== undefined || this.params.portlist !== undefined) && fwd !== ports.length) {
      this.out(`previous number of forwarding ports ${ports.length} - changed to number of configured ports ${fwd}`);
    }
    const lcores = this.eal.lcores.ids().length;
    const n = this.params.totalNumMbufs ?? Math.max(8192, (MBUFS_PER_PORT + lcores * this.params.mbcache) * Math.max(1, ports.length));
    // ports that receive into kernel-registered memory (AF_XDP's UMEM) say what the pool must be
    const needs = ports.map((d) => d.info().rxPoolNeeds).find((x) => x !== undefined);
    const size = needs?.bufSizes?.[0] ?? this.params.mbufSize ?? MBUF_DEFAULT_BUF_SIZE;
    this.out(`testpmd: create a new mbuf pool <mb_pool_0>: n=${n}, size=${size}, socket=0`);
    this.pool = this.eal.mempoolCreate('mb_pool_0', {
      size: n, cacheSize: Math.min(this.params.mbcache, Math.floor(n / 1.5)), socket: 0, dataRoomSize: size,
      ...(needs?.memory ? { memory: needs.memory } : {}),
    });
    if (!this.params.interactive) {
      for (const dev of ports) await this.startPort(dev);
      return;
    }
    // interactive: as DPDK's testpmd, a port that fails is reported and the prompt comes all the same
    let configureFailed = false;
    for (const dev of ports) {
      try {
        await this.configurePort(dev);
      } catch (err) {
        this.out(errorLine(err));
        this.out(`Fail to configure port ${dev.portId}`);
        configureFailed = true;
        continue;
      }
      try {
        await this.startConfigured(dev);
      } catch (err) {
        this.out(`Fail to start port ${dev.portId}: ${errorLine(err)}`);
      }
    }
    if (configureFailed) this.out('Start ports failed');
  }

  /**
   * mb_pool_0 unless the port needs another kind of pool (an AF_XDP port attached after start-up
   * next to ports that did not): then a pool that fits, created once (mb_pool_1...).
   */
  private rxPoolFor(info: DevInfo): Mempool {
    const needs = info.rxPoolNeeds;
    const pools = [this.pool!, ...this.extraPools];
    const found = pools.find((pool) => rxPoolFits(needs, pool));
    if (found) return found;
    const n = this.pool!.size;
    const name = `mb_pool_${pools.length}`;
    const size = needs!.bufSizes?.[0] ?? MBUF_DEFAULT_BUF_SIZE;
    this.out(`testpmd: create a new mbuf pool <${name}>: n=${n}, size=${size}, socket=0`);
    const pool = this.eal.mempoolCreate(name, {
      size: n, cacheSize: this.pool!.cacheSize, socket: 0, dataRoomSize: size, ...(needs!.memory ? { memory: needs!.memory } : {}),
    });
    this.extraPools.push(pool);
    return pool;
  }

  private readonly extraPools: Mempool[] = [];

  private async startPort(dev: EthDev): Promise<void> {
    if (dev.started) return;
    await this.configurePort(dev);
    await this.startConfigured(dev);
  }

  /** Ports to configure again at their next start (`port config all rxq N`...: DPDK's need_reconfig). */
  readonly needReconfig = new Set<number>();

  /** Configures a port that is not yet (or is to be again), and sets its queues up. */
  private async configurePort(dev: EthDev): Promise<void> {
    if (!dev.configured || this.needReconfig.delete(dev.portId)) {
      const p = this.params;
      if (p.flowIsolateAll) {
        // as DPDK's start_port: isolated before it is configured
        try {
          dev.flow().isolate(true);
        } catch (err) {
          throw new DpkitError(`Failed to apply isolated mode on port ${dev.portId}: ${errorLine(err)}`);
        }
        this.out(`Ingress traffic on port ${dev.portId} is now restricted to the defined flow rules`);
      }
      this.out(`Configuring Port ${dev.portId} (socket ${dev.device.numaNode})`);
      const info = dev.info();
      if (p.rxq > info.maxRxQueues || p.txq > info.maxTxQueues) {
        throw new DpkitError(`port ${dev.portId}: --rxq=${p.rxq} --txq=${p.txq} asked, ${dev.driverName} supports at most ${info.maxRxQueues} rx and ${info.maxTxQueues} tx queues`);
      }
      // --max-pkt-len: MTU = frame length - Ethernet header - CRC, as DPDK's testpmd (overhead 18)
      await dev.configure(p.rxq, p.txq, {
        rxmode: { offloads: p.rxOffloads, ...(p.maxPktLen !== undefined ? { mtu: p.maxPktLen - ETHER_OVERHEAD } : {}) },
        txmode: { offloads: p.portTxOffloads.get(dev.portId) ?? p.txOffloads },
        // as DPDK's testpmd: link-state-change events from a port that raises them, unless --no-lsc-interrupt
        ...(dev.lsc && !p.noLscInterrupt ? { lsc: true } : {}),
        // as DPDK's testpmd: RSS with several rx queues, on the hash functions the port has of those asked
        ...(p.rxq > 1 && (p.rssHf & info.flowTypeRssOffloads) !== 0 ? { rss: { hashFunctions: (p.rssHf & info.flowTypeRssOffloads) >>> 0 } } : {}),
      });
      for (let q = 0; q < p.rxq; q++) {
        await dev.rxQueueSetup(q, p.rxd || defaultDesc(info.rxDescLimits), dev.device.numaNode, { freeThresh: p.rxFreeThresh }, this.rxPoolFor(info));
      }
      for (let q = 0; q < p.txq; q++) {
        await dev.txQueueSetup(q, p.txd || defaultDesc(info.txDescLimits), dev.device.numaNode, { freeThresh: p.txFreeThresh, rsThresh: p.txRsThresh });
      }
    }
  }

  /** Starts a configured port and puts it in promiscuous mode. */
  private async startConfigured(dev: EthDev): Promise<void> {
    await dev.start();
    if (this.params.displayXstats.length > 0) {
      // as DPDK's start_port: each --display-xstats name the port lacks is named once
      const have = new Set(dev.xstatsGet().map((x) => x.name));
      this.params.displayXstats.forEach((name, i) => {
        if (!have.has(name)) this.out(`No xstat '${name}' on port ${dev.portId} - skip it ${i}`);
      });
    }
    if (!dev.promiscuous) {
      try {
        await dev.promiscuousSet(true);
      } catch (err) {
        this.out(`Error during enabling promiscuous mode for port ${dev.portId}: ${(err as Error).message} - ignore`);
      }
    }
    this.out(`Port ${dev.portId}: ${macOf(dev.mac)}`);
  }

  async checkLinks(): Promise<void> {
    // --disable-link-check: as DPDK's, no check (its line) but the start's `Done`
    if (!this.params.disableLinkCheck) {
      this.out('Checking link statuses...');
      for (const dev of this.eal.ethdevs.list()) if (dev.started) await dev.linkGet();
    }
    this.out('Done');
  }

  private peerMac(port: number): number[] {
    const p = this.params.ethPeers.get(port);
    return p ? [...p] : [0x02, 0, 0, 0, 0, port & 0xff];
  }

  /** rxp → txp by --port-topology (fwd_topology_tx_port_get). */
  private txIndex(rxIndex: number, nb: number): number {
    switch (this.params.topology) {
      case 'loop':
        return rxIndex;
      case 'chained':
        return (rxIndex + 1) % nb;
      case 'paired':
        if ((rxIndex & 1) === 0) {
          if (rxIndex + 1 < nb) return rxIndex + 1;
          return rxIndex; // odd port count: the last port pairs with itself
        }
        return rxIndex - 1;
    }
  }

  /**
   * Streams and their lcores (rss_fwd_config_setup): a stream per rx queue of each port,
   * queue-major, to the port `--port-topology` names; icmpecho's streams (as
   * icmp_echo_config_setup) answer on the port they receive from, port-major. Then
   * setup_fwd_config_of_each_lcore's split: `streams / lcores` streams per lcore in order, and
   * the remaining `streams % lcores` one each to the last lcores.
   */
  fwdConfig(): { streams: FwdStreamConfig[]; lcores: number[]; perLcore: FwdStreamConfig[][] } {
    const ports = this.fwdPorts().filter((d) => d.started);
    const streams: FwdStreamConfig[] = [];
    const stats = new SharedArrayBuffer(Math.max(1, ports.length * this.params.rxq) * FWD_STAT_SLOTS * 8);
    const bursts = this.params.recordBurstStats ? new SharedArrayBuffer(Math.max(1, ports.length * this.params.rxq) * BURST_STAT_SLOTS * 8) : undefined;
    const echo = this.params.forwardMode === 'icmpecho';
    const pairs: [number, number][] = [];
    if (echo) for (let i = 0; i < ports.length; i++) for (let q = 0; q < this.params.rxq; q++) pairs.push([i, q]);
    else for (let q = 0; q < this.params.rxq; q++) for (let i = 0; i < ports.length; i++) pairs.push([i, q]);
    for (const [i, q] of pairs) {
      const rx = ports[i]!;
      const tx = echo ? rx : ports[this.txIndex(i, ports.length)]!;
      const txq = q % this.params.txq;
      streams.push({
        rx: rx.queueDescriptor('rx', q), tx: tx.queueDescriptor('tx', txq),
        rxPort: rx.portId, rxQueue: q, txPort: tx.portId, txQueue: txq,
        txPortMac: [...tx.mac], peerMac: this.peerMac(tx.portId), pool: this.pool!.descriptor(),
        burst: this.params.burst, txpkts: this.params.txpkts,
        txonly: { ipSrc: this.params.txIpSrc, ipDst: this.params.txIpDst, udpSrc: this.params.txUdpSrc, udpDst: this.params.txUdpDst, multiFlow: this.params.txonlyMultiFlow },
        flowgenFlows: this.params.flowgenFlows, lcore: 0, txOffloads: tx.conf.txmode?.offloads ?? 0,
        ...(this.params.retryEnabled ? { retry: { num: this.params.burstTxRetryNum, delayUs: this.params.burstTxDelayTime } } : {}),
        ...(this.params.forwardMode === 'noisy' ? { noisy: noisyConfig(this.params) } : {}),
        stats: { buffer: stats, index: streams.length * FWD_STAT_SLOTS },
        ...(bursts ? { bursts: { buffer: bursts, index: streams.length * BURST_STAT_SLOTS } } : {}),
        ...(this.observers ? { observe: this.observers.config() } : {}),
      });
    }
    const cfgLcores = this.params.fwdLcores ?? this.eal.lcores.workerIds();
    const nbLcores = Math.min(this.params.nbCores, cfgLcores.length, Math.max(1, streams.length));
    const lcores = cfgLcores.slice(0, nbLcores);
    const perLcore: FwdStreamConfig[][] = lcores.map(() => []);
    const each = Math.floor(streams.length / nbLcores);
    const extra = streams.length % nbLcores;
    let k = 0;
    for (let l = 0; l < nbLcores; l++) {
      for (let n = 0; n < each + (l >= nbLcores - extra ? 1 : 0); n++) {
        const s = streams[k++]!;
        s.lcore = lcores[l]!;
        perLcore[l]!.push(s);
      }
    }
    return { streams, lcores, perLcore };
  }

  showConfigFwd(): void {
    const { streams, lcores, perLcore } = this.fwdConfig();
    const lines = [
      `${this.params.forwardMode} packet forwarding${this.withRetry()} - ports=${this.fwdPorts().filter((d) => d.started).length} - cores=${lcores.length} - streams=${streams.length} - NUMA support disabled, MP allocation mode: native`,
    ];
    if (this.params.retryEnabled) lines.push(`TX retry num: ${this.params.burstTxRetryNum}, delay between TX retries: ${this.params.burstTxDelayTime}us`);
    lcores.forEach((l, i) => {
      lines.push(`Logical Core ${l} (socket 0) forwards packets on ${perLcore[i]!.length} streams:`);
      for (const s of perLcore[i]!) {
        lines.push(`  RX P=${s.rxPort}/Q=${s.rxQueue} (socket 0) -> TX P=${s.txPort}/Q=${s.txQueue} (socket 0) peer=${macOf(s.peerMac)}`);
      }
    });
    this.out(lines.join('\n') + '\n');
  }

  showRxTxConfig(): void {
    const p = this.params;
    const ports = this.fwdPorts().filter((d) => d.started);
    const lines = [
      `  ${p.forwardMode} packet forwarding${this.withRetry()} packets/burst=${p.burst}`,
    ];
    if (p.forwardMode === 'txonly' || p.forwardMode === 'flowgen') {
      lines.push(`  packet len=${p.txpkts.reduce((a, b) => a + b, 0)} - nb packet segments=${p.txpkts.length}`);
    }
    lines.push(`  nb forwarding cores=${Math.min(p.nbCores, this.eal.lcores.workerIds().length)} - nb forwarding ports=${ports.length}`);
    for (const d of ports) {
      lines.push(
        `  port ${d.portId}: RX queue number: ${d.nbRxQueues} Tx queue number: ${d.nbTxQueues}`,
        `    Rx offloads=0x${(d.conf.rxmode?.offloads ?? 0).toString(16)} Tx offloads=0x${(d.conf.txmode?.offloads ?? 0).toString(16)}`,
        '    RX queue: 0',
        `      RX desc=${p.rxd} - RX free threshold=${p.rxFreeThresh}`,
        '      RX threshold registers: pthresh=0 hthresh=0  wthresh=0',
        '      RX Offloads=0x0',
        '    TX queue: 0',
        `      TX desc=${p.txd} - TX free threshold=${p.txFreeThresh}`,
        '      TX threshold registers: pthresh=0 hthresh=0  wthresh=0',
        `      TX offloads=0x0 - TX RS bit threshold=${p.txRsThresh}`,
      );
    }
    this.out(lines.join('\n'));
  }

  /** start [tx_first [N]] */
  async start(txFirst = 0): Promise<void> {
    // as DPDK's start_packet_forwarding: every port that is not closed must be started
    if (this.openPorts().some((d) => !d.started)) {
      this.out('Not all ports were started');
      return;
    }
    if (this.forwarding) {
      this.out('Packet forwarding already started');
      return;
    }
    const { streams, lcores, perLcore } = this.fwdConfig();
    if (streams.length === 0) throw new DpkitError('no started port to forward on; start a port first (port start all)');
    this.showConfigFwd();
    // the engine's port_fwd_begin: flowgen's lines, noisy's checks (a refusal starts nothing)
    const begin = engineBegin(this.params.forwardMode, this.params, [...new Set(streams.map((st) => st.rxPort))]);
    for (const line of begin.lines) this.out(line);
    this.showRxTxConfig();
    this.engineEnd = begin.end;
    this.fwdMode = this.params.forwardMode;
    this.streams = streams;
    this.nbFwdPorts = new Set(streams.map((st) => st.rxPort)).size;
    this.streamStats = new Float64Array(streams[0]!.stats.buffer);
    this.burstSpread = streams[0]!.bursts ? new Float64Array(streams[0]!.bursts.buffer) : new Float64Array(0);
    this.fwdLcores = lcores;
    this.base.clear();
    this.clearFwdStats();
    this.control = new SharedArrayBuffer(8);
    const iterations = new SharedArrayBuffer(8 * lcores.length);
    this.iterations = new Float64Array(iterations);
    const engine = engineTarget(this.params.forwardMode);
    lcores.forEach((lcore, i) => {
      const arg: ForwardLoopArg = {
        engine, streams: perLcore[i]!, control: this.control, txFirst, txonly: engineTarget('txonly'),
        iterations: { buffer: iterations, index: i },
      };
      this.eal.lcores.remoteLaunch({ module: new URL('./fwd/lcore.js', import.meta.url).href, export: 'forwardLoop' }, arg, lcore);
    });
    this.forwarding = true;
    this.running = false;
    let early: string | undefined;
    this.finished = lcores.map((l) => this.eal.lcores.wait(l).then(
      (result) => ({ lcore: l, result: result as ForwardLoopResult }),
      (err: unknown) => {
        const error = errorLine(err);
        if (this.running) this.lcoreFailed(error);
        else early ??= error;
        return { lcore: l, error };
      },
    ));
    await this.waitRunning(lcores.length);
    this.running = true;
    // an lcore that failed after entering its loop, before every lcore had entered its own
    if (early !== undefined) this.lcoreFailed(early);
  }

  /** what to do once the lcores stopped (engineBegin's end) */
  private engineEnd: () => void = () => undefined;
  /** the forwarding mode of the last start (the csum counters are shown for csum) */
  private fwdMode = '';

  /** `with retry` after the mode's name, as DPDK's displays it (set fwd MODE retry) */
  private withRetry(): string {
    return this.params.retryEnabled ? ' with retry' : '';
  }

  /** How each forwarding lcore of the last start ended (settles when it returns or throws). */
  private finished: Promise<{ lcore: number; result?: ForwardLoopResult; error?: string }>[] = [];
  /** every forwarding lcore of the last start entered its loop */
  private running = false;
  private stopping: Promise<void> | undefined;

  /**
   * Called with the lcore's error line when a forwarding lcore throws while forwarding, once
   * it is printed and forwarding is stopped (the CLI ends a non-interactive run with it).
   */
  onForwardingFailed: ((error: string) => void) | undefined;

  /**
   * A forwarding lcore threw while forwarding: says so at once in one line, then stops every
   * lcore as `stop` does (the statistics are shown); the ports stay started, so `start` can
   * forward again.
   */
  private lcoreFailed(error: string): void {
    if (this.stopping || !this.forwarding) return; // a stop under way reports it
    const line = `${error}; forwarding stopped on every lcore (the ports stay started: 'start' forwards again)`;
    this.out(line);
    void this.stop(false).then(() => this.onForwardingFailed?.(error), (err: unknown) => this.out(errorLine(err)));
  }

  /** Returns once every forwarding lcore is in its loop, as DPDK's start does. */
  private async waitRunning(count: number): Promise<void> {
    const control = new Int32Array(this.control);
    let failed: string | undefined;
    for (const f of this.finished) void f.then((r) => { if (r.error !== undefined) failed ??= r.error; });
    for (let waited = 0; Atomics.load(control, 1) < count; waited += 5) {
      // an lcore failed in its loop while another was still on its way into its own: a
      // forwarding failure like any other (start reports it, stops every lcore, shows stats)
      if (failed !== undefined && Atomics.load(control, 1) > 0) return;
      if (failed !== undefined || waited > 30_000) {
        // the lcores that did start are stopped and waited for, so the next start finds them free
        Atomics.store(control, 0, 1);
        await Promise.all(this.finished);
        this.forwarding = false;
        this.engineEnd();
        throw new DpkitError(failed ?? 'forwarding lcores did not start within 30 s');
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** stop: ends forwarding and shows the forward statistics. */
  async stop(reportErrors = true): Promise<void> {
    if (this.stopping) return this.stopping;
    if (!this.forwarding) {
      this.out('Packet forwarding not started');
      return;
    }
    this.stopping = this.stopLcores(reportErrors);
    try {
      await this.stopping;
    } finally {
      this.stopping = undefined;
    }
  }

  private async stopLcores(reportErrors: boolean): Promise<void> {
    this.out('Telling cores to stop...');
    Atomics.store(new Int32Array(this.control), 0, 1);
    this.out('Waiting for lcores to finish...');
    const errors: string[] = [];
    const gc: string[] = [];
    for (const [i, f] of this.finished.entries()) {
      const r = await f;
      if (r.error !== undefined) errors.push(r.error);
      else {
        const g = r.result!;
        // the young-generation count is what per-packet garbage shows up in (ForwardLoopResult)
        const kinds = g.gcCount > 0 ? ` (young generation: ${g.gcYoung}, old: ${g.gcCount - g.gcYoung})` : '';
        gc.push(`lcore ${r.lcore}: ${g.gcCount} garbage collections while forwarding (after warm-up; ${g.warmupGcCount} during warm-up) in ${this.iterations[i]} loop iterations${kinds}`);
      }
    }
    this.forwarding = false;
    this.running = false;
    this.engineEnd();
    this.showFwdStats();
    this.out('\nDone.');
    // not in DPDK's output: on request, for benchmarks and allocation checks
    if (process.env.DPKIT_REPORT_GC === '1') for (const line of gc) this.out(line);
    // each failure is one line: the first is thrown (a user's stop) or was printed already
    // (lcoreFailed), the others are printed here
    for (const e of errors.slice(1)) this.out(e);
    if (reportErrors && errors.length) throw new DpkitError(errors[0]!);
  }

  /** Iterations of each forwarding lcore's loop since the last start (`[lcore, n]`; for diagnostics and tests). */
  loopIterations(): [number, number][] {
    return this.fwdLcores.map((l, i) => [l, this.iterations[i]!]);
  }

  /** --record-burst-stats: stream i's RX-bursts and TX-bursts lines (`only` one of them), none without the option */
  private burstLines(i: number, only?: 'RX' | 'TX'): string[] {
    if (i < 0 || this.burstSpread.length === 0) return [];
    const at = i * BURST_STAT_SLOTS;
    const lines: (string | undefined)[] = [];
    if (only !== 'TX') lines.push(burstStats('RX', this.burstSpread.subarray(at, at + BURST_SPREAD)));
    if (only !== 'RX') lines.push(burstStats('TX', this.burstSpread.subarray(at + BURST_SPREAD, at + 2 * BURST_SPREAD)));
    return lines.filter((l): l is string => l !== undefined);
  }

  /** fwd_stats_display: forward statistics of each forwarding port since the last start. */
  showFwdStats(): void {
    const total: FwdPortStats = { rx: 0, rxDropped: 0, tx: 0, txDropped: 0, rxErrors: 0, rxNombuf: 0 };
    const parts: string[] = [];
    const ports = this.fwdPorts();
    // as DPDK's fwd_stats_display: per-stream blocks when there are more streams than ports,
    // a stream that saw nothing left out
    if (this.streams.length > this.nbFwdPorts) {
      this.streams.forEach((st, i) => {
        const at = i * FWD_STAT_SLOTS;
        const rx = this.streamStats[at + FwdStat.RX]!, tx = this.streamStats[at + FwdStat.TX]!, dropped = this.streamStats[at + FwdStat.DROPPED]!;
        if (rx + tx + dropped > 0) parts.push(fwdStreamStats(st, rx, tx, dropped, this.burstLines(i), this.csumCounts((k) => k === i)));
      });
    }
    for (const d of ports) {
      if (d.closed) continue;
      const b = this.base.get(d.portId) ?? { ipackets: 0, opackets: 0, imissed: 0, ierrors: 0, rxNombuf: 0 };
      const s = d.statsGet();
      let txDropped = 0;
      this.streams.forEach((st, i) => {
        if (st.txPort === d.portId) txDropped += this.streamStats[i * FWD_STAT_SLOTS + FwdStat.DROPPED]!;
      });
      const f: FwdPortStats = {
        rx: s.ipackets - b.ipackets, rxDropped: s.imissed - b.imissed, tx: s.opackets - b.opackets, txDropped,
        rxErrors: s.ierrors - b.ierrors, rxNombuf: s.rxNombuf - b.rxNombuf,
      };
      // as DPDK's: with no more streams than ports, the port's bursts are those of the last stream receiving from it and of the last sending to it
      let rxStream = -1, txStream = -1;
      if (this.streams.length <= this.nbFwdPorts) {
        this.streams.forEach((st, i) => {
          if (st.rxPort === d.portId) rxStream = i;
          if (st.txPort === d.portId) txStream = i;
        });
      }
      parts.push(fwdStats(d.portId, f, [...this.burstLines(rxStream, 'RX'), ...this.burstLines(txStream, 'TX')], this.csumCounts((k) => this.streams[k]!.rxPort === d.portId)));
      total.rx += f.rx; total.rxDropped += f.rxDropped; total.tx += f.tx; total.txDropped += f.txDropped;
    }
    parts.push(accumulatedStats(total));
    this.out(parts.join('\n'));
  }

  /**
   * csum mode: the Bad-ipcsum, Bad-l4csum, Bad-outer-l4csum and Bad-outer-ipcsum counts of the
   * streams `which` picks (a port's: those receiving from it, as DPDK's); undefined in other modes.
   */
  private csumCounts(which: (stream: number) => boolean): CsumCounts | undefined {
    if (this.fwdMode !== 'csum') return undefined;
    const c: CsumCounts = { badIp: 0, badL4: 0, badOuterL4: 0, badOuterIp: 0 };
    this.streams.forEach((_, k) => {
      if (!which(k)) return;
      const at = k * FWD_STAT_SLOTS;
      c.badIp += this.streamStats[at + FwdStat.BAD_IP_CSUM]!;
      c.badL4 += this.streamStats[at + FwdStat.BAD_L4_CSUM]!;
      c.badOuterL4 += this.streamStats[at + FwdStat.BAD_OUTER_L4_CSUM]!;
      c.badOuterIp += this.streamStats[at + FwdStat.BAD_OUTER_IP_CSUM]!;
    });
    return c;
  }

  /**
   * clear fwd stats all (fwd_stats_reset): the forward statistics count from now, the ports'
   * and the streams'; silent, as DPDK's.
   */
  clearFwdStats(): void {
    for (const d of this.fwdPorts()) {
      const s = d.statsGet();
      this.base.set(d.portId, { ipackets: s.ipackets, opackets: s.opackets, imissed: s.imissed, ierrors: s.ierrors, rxNombuf: s.rxNombuf });
    }
    this.streamStats.fill(0);
    this.burstSpread.fill(0);
  }

  /** The ports that are not closed: a closed port is gone from every port list, as in DPDK. */
  openPorts(): EthDev[] {
    return this.eal.ethdevs.list().filter((d) => !d.closed);
  }

  /** The open port `id`, undefined if there is none (closed, detached or never probed). */
  private openPort(id: number): EthDev | undefined {
    return this.openPorts().find((d) => d.portId === id);
  }

  /**
   * The ports named by `all` or a number. A port that is not there (or closed) is DPDK's
   * `Invalid port N`, followed for the display commands by `The valid ports array is [ 0 1 ]`.
   */
  portsOf(which: string, showValid = true): EthDev[] {
    if (which === 'all') return this.openPorts();
    if (!/^\d+$/.test(which)) throw new DpkitError('Bad arguments');
    const dev = this.openPort(Number(which));
    if (dev) return [dev];
    const valid = showValid ? `\nThe valid ports array is [${this.openPorts().map((d) => ` ${d.portId}`).join('')} ]` : '';
    throw new DpdkAnswer(`Invalid port ${which}${valid}`, 'ENODEV');
  }

  /** Ports that the running forwarding uses (port_is_forwarding). */
  private forwardingPort(dev: EthDev): boolean {
    return this.forwarding && this.streams.some((st) => st.rxPort === dev.portId || st.txPort === dev.portId);
  }

  showPortStats(which: string): void {
    this.out(this.portStatsText(which));
  }

  /** nic_stats_display for each port; each block starts with a newline. */
  private portStatsText(which: string | EthDev[]): string {
    const blocks: string[] = [];
    for (const d of typeof which === 'string' ? this.portsOf(which) : which) {
      const s = d.statsGet();
      const now = process.hrtime.bigint();
      const last = this.lastShow.get(d.portId);
      const secs = last ? Number(now - last.time) / 1e9 : 0;
      const rate = (cur: number, prev: number | undefined) => (last && secs > 0 ? Math.round((cur - prev!) / secs) : 0);
      // --display-xstats: the port's xstats of those names (a name the port lacks was reported at its start), rates as DPDK's (truncated)
      const xs = this.params.displayXstats.length > 0 ? d.xstatsGet() : [];
      const shown = this.params.displayXstats.flatMap((name) => xs.filter((x) => x.name === name).map((x) => ({
        name, value: x.value, rate: last && secs > 0 && last.xstats.has(name) ? Math.floor((x.value - last.xstats.get(name)!) / secs) : 0,
      })));
      blocks.push(nicStats(d.portId, s, {
        rxPps: rate(s.ipackets, last?.ipackets), txPps: rate(s.opackets, last?.opackets),
        rxBps: rate(s.ibytes * 8, last && last.ibytes * 8), txBps: rate(s.obytes * 8, last && last.obytes * 8),
      }, shown));
      this.lastShow.set(d.portId, { time: now, ipackets: s.ipackets, opackets: s.opackets, ibytes: s.ibytes, obytes: s.obytes, xstats: new Map(shown.map((x) => [x.name, x.value])) });
    }
    return blocks.join('\n');
  }

  /** The --stats-period display: clears the screen, then the statistics of each forwarding port (as DPDK's). */
  showPeriodicStats(): void {
    this.out('\x1b[2J\x1b[1;1H\nPort statistics ====================================' + this.portStatsText(this.fwdPorts()));
  }

  clearPortStats(which: string): void {
    for (const d of this.portsOf(which)) {
      d.statsReset();
      this.lastShow.delete(d.portId);
      this.out(`\n  NIC statistics for port ${d.portId} cleared`);
    }
  }

  showPortXstats(which: string): void {
    for (const d of this.portsOf(which)) this.out(xstats(d.portId, d.xstatsGet()));
  }

  async showPortInfo(which: string): Promise<void> {
    for (const d of this.portsOf(which)) {
      if (!d.closed) await d.linkGet();
      this.out(portInfo(d, d.info()));
    }
  }

  /** start_port: a started port says so; `Please stop the ports first` when none was started. */
  async portStart(which: string): Promise<void> {
    const ports = this.portsOf(which, false);
    let started = 0;
    for (const d of ports) {
      if (d.started) {
        this.out(`Port ${d.portId} is now not stopped`);
        continue;
      }
      await this.startPort(d);
      started++;
    }
    if (started) this.out('Checking link statuses...');
    else this.out('Please stop the ports first');
    for (const d of ports) if (d.started) await d.linkGet();
    this.out('Done');
  }

  /** stop_port: ports that forward are left alone, stopped ones silently; the links are checked when one stopped. */
  async portStop(which: string): Promise<void> {
    const ports = this.portsOf(which, false);
    this.out('Stopping ports...');
    let stopped = 0;
    for (const d of ports) {
      if (this.forwardingPort(d)) {
        this.out(`Please remove port ${d.portId} from forwarding configuration.`);
        continue;
      }
      if (!d.started) continue;
      await d.stop();
      stopped++;
    }
    if (stopped) this.out('Checking link statuses...');
    this.out('Done');
  }

  /** close_port: a started port is refused as rte_eth_dev_close refuses it; a closed port is gone from the port lists. */
  async portClose(which: string): Promise<void> {
    const ports = this.portsOf(which, false);
    this.out('Closing ports...');
    for (const d of ports) {
      if (this.forwardingPort(d)) {
        this.out(`Please remove port ${d.portId} from forwarding configuration.`);
        continue;
      }
      if (d.started) {
        this.out(`Cannot close started device (port ${d.portId})`);
        continue;
      }
      await d.close();
      this.lastShow.delete(d.portId);
      this.out(`Port ${d.portId} is closed`);
    }
    this.out('Done');
  }

  async portAttach(devargs: string): Promise<void> {
    this.out(`Attaching a new port...`);
    const ports = await this.eal.attach(devargs);
    for (const p of ports) this.out(`Port ${p} is attached. Now total ports is ${this.openPorts().length}`);
    this.out('Done');
  }

  /**
   * detach_port_device: a started port is refused (`Port not stopped`); a stopped one is closed
   * first (`Port was not closed`, then `Port N is closed` as DPDK's close event prints it); a
   * closed port can be detached too (DPDK has forgotten it by then: `device detach` frees it).
   */
  async portDetach(which: string): Promise<void> {
    if (!/^\d+$/.test(which)) throw new DpkitError('Bad arguments');
    const id = Number(which);
    const dev = this.eal.ethdevs.list().find((d) => d.portId === id);
    if (!dev) throw new DpdkAnswer(`Invalid port_id=${id}`, 'ENODEV');
    const siblings = dev.device.ports.map((p) => this.eal.ethdevs.get(p));
    if (siblings.some((d) => d.started)) throw new DpdkAnswer('Port not stopped', 'EBUSY');
    if (!dev.closed) this.out('Port was not closed');
    this.out('Removing a device...');
    for (const d of siblings) {
      if (d.closed) continue;
      await d.close();
      this.lastShow.delete(d.portId);
      this.out(`Port ${d.portId} is closed`);
    }
    await this.eal.detach(dev.portId);
    this.out('Device is detached');
    this.out(`Now total ports is ${this.openPorts().length}`);
    this.out('Done');
  }

  /** set fwd MODE [retry] (set_pkt_forwarding_mode; `retry` as cmd_set_fwd_retry_mode, any other set fwd turns it off) */
  setFwd(mode: string, retry = false): void {
    engineTarget(mode);
    this.params.retryEnabled = retry;
    this.params.forwardMode = mode;
    this.out(`Set ${mode} packet forwarding mode${this.withRetry()}`);
  }

  setBurst(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 512) throw new DpkitError(`invalid burst ${n}: expected 1 to 512`);
    this.params.burst = n;
    this.out(`Number of packets per burst set to ${n}`);
  }

  setNbCore(n: number): void {
    const max = this.eal.lcores.workerIds().length;
    if (!Number.isInteger(n) || n < 1 || n > max) throw new DpkitError(`The number of forwarding cores is out of range: expected 1 to ${max}`);
    this.params.nbCores = n;
    this.out(`Number of forwarding cores set to ${n}`);
  }

  /** Stops forwarding, stops and closes every port (testpmd's pmd_test_exit). */
  async shutdown(): Promise<void> {
    if (this.forwarding) await this.stop();
    for (const d of this.eal.ethdevs.list()) {
      if (d.closed) continue;
      this.out(`\nStopping port ${d.portId}...`);
      this.out('Stopping ports...');
      await d.stop();
      this.out('Done');
    }
    for (const d of this.eal.ethdevs.list()) {
      if (d.closed) continue;
      this.out(`\nShutting down port ${d.portId}...`);
      this.out('Closing ports...');
      await d.close();
      this.out(`Port ${d.portId} is closed`);
      this.out('Done');
    }
    this.observers?.close();
    this.out('\nBye...');
  }
}

function defaultDesc(lim: { min: number; max: number; align: number }): number {
  const n = Math.min(Math.max(512, lim.min), lim.max);
  return n - (n % lim.align);
}
