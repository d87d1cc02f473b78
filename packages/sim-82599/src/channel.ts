/**
 * The device's control channel: what the RFC's kernel patch gave user space, as one Unix
 * socket per device, `@dpkit-sim-82599/IFNAME` in the abstract namespace of the device's
 * network namespace. Served only to the device's own uid (or root), by SO_PEERCRED. One
 * connection is one owner: it may split queue pairs, map its register window and register
 * DMA memory; when the connection closes for any reason (kill -9 included) its queues are
 * stopped and given back and its DMA memory dropped before the next request is served.
 *
 * Requests and replies are single text messages; file descriptors travel with SCM_RIGHTS:
 *
 *     get_ifinfo                  ok pci=8086:10FB mac=MAC mtu=N numa=-1 rx_queues=128 tx_queues=128 kernel_queues=0-K
 *     split START COUNT           ok | error EBUSY ... | error EINVAL ...
 *     return START COUNT          ok | error EINVAL ...
 *     map                         ok size=524288 (+ the window's memfd)
 *     map_umem IOVA LENGTH (+fd)  ok | error EINVAL ...
 *     stats                       ok NAME=N ... (the NIC's counters, in ethtool -S order; see statistics())
 *     rss                         ok reta=Q,Q,...(128 entries) key=HEX (the RSS indirection table and key)
 *     ntuple on|off               ok                 (ethtool -K IF ntuple on|off)
 *     rule_ins FLOW SRC SRCM DST DSTM SPORT SPORTM DPORT DPORTM ACTION LOC
 *                                 ok LOC | error EOPNOTSUPP|EINVAL|ENOSPC ...  (ethtool -N; masks: 1 = match; LOC -1: any)
 *     rule_ins ip4 ... LOC PROTO PROTOM
 *                                 flow-type ip4: l4proto 6/17/132 make a tcp4/udp4/sctp4 rule, none an ip4 rule
 *     rule_ins ether 0 0 0 0 0 0 0 0 ACTION LOC ETYPE 65535
 *                                 an EtherType filter (ETQF/ETQS): frames of EtherType ETYPE to queue ACTION
 *     rule_del LOC                ok | error EINVAL ...
 *     qstats                      ok count=N, then per queue of the caller: Q RX_PACKETS RX_BYTES RX_DROPPED TX_PACKETS TX_BYTES
 *                                 (QPRC, QBRC, QPRDC, QPTC, QBTC of the queue's stat index since the split), or
 *                                 Q - when all stat indexes were in use at its split
 *     rules                       ok rings=128 count=N, then one line per rule: LOC FLOW SRC SRCM DST DSTM SPORT SPORTM DPORT DPORTM ACTION
 *                                 (an ether rule: the same, then ETYPE)
 */
import { Sim82599 } from './device.js';
import { FlowDirector, RuleError, userFlowType, type FlowType, type Rule } from './ntuple.js';
import { Pins } from './pins.js';
import { simNative, type ChannelEvent, type ChannelServerHandle } from './native.js';
import {
  BAR0_SIZE, DEV_ID_82599_SFP, FDIRMATCH, FDIRMISS, GORCH, GORCL, GOTCH, GOTCL, GPRC, GPTC, INTEL_VENDOR_ID, MPC, QBRC_H, QBRC_L, QBTC_H, QBTC_L, QPRC, QPRDC,
  QPTC, QUEUE_STAT_INDEXES, RETA, RNBC, RQSMR, RSSRK, RX_QUEUES, TQSM, TX_QUEUES,
} from '@dpkit/ixgbe-defs/regs';

/** The channel name of device IFNAME. */
export const channelName = (ifname: string): string => `dpkit-sim-82599/${ifname}`;

interface OwnerWindow {
  window: number;
  fd: number;
  regs: Uint32Array;
}

/** A split queue's per-queue statistics: its stat index (RQSMR/TQSM) and what was read from it since the split. */
interface QueueStat {
  index: number;
  /** rx packets, rx bytes, rx dropped, tx packets, tx bytes */
  counts: [number, number, number, number, number];
}

/** The stat indexes split queues get: 1..15 (0 is where every other queue, the kernel's, counts). */
const SPLIT_STAT_INDEXES = QUEUE_STAT_INDEXES - 1;

interface Owner {
  pid: number;
  window: OwnerWindow | undefined;
  queues: Set<number>;
}

export interface ChannelOptions {
  ifname: string;
  kernelQueues: number;
  /** the kernel interface's MAC and MTU, read when asked */
  ifinfo: () => { mac: string; mtu: number };
  /** the kernel's TCP connections (default: /proc/net/tcp of this network namespace) */
  connections?: () => import('./pins.js').Connection[];
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

export class ControlChannel {
  private readonly server: ChannelServerHandle;
  private readonly owners = new Map<number, Owner>();
  private readonly queueOwner = new Map<number, number>();
  private readonly spare: OwnerWindow[] = [];
  /** split queues with a stat index of their own */
  private readonly qstat = new Map<number, QueueStat>();
  private closed = false;
  /** the kernel side's ntuple rules and the flow director they are programmed into */
  readonly fdir: FlowDirector;
  /** the 5-tuple pins that keep the kernel's connections on a moved TCP port in the kernel */
  readonly pins: Pins;
  private pinTimer: NodeJS.Timeout | undefined;

  constructor(private readonly nic: Sim82599, private readonly o: ChannelOptions, name = channelName(o.ifname)) {
    this.fdir = new FlowDirector(nic, (q) => q < o.kernelQueues || this.queueOwner.has(q));
    this.pins = new Pins(nic, o.connections);
    this.server = simNative().channelListen(name, (e) => {
      if (this.closed) return; // an event queued before close()
      try {
        this.onEvent(e);
      } catch (err) {
        process.stderr.write(`dpkit-sim-82599: control channel: ${(err as Error).message}\n`);
      }
    });
  }

  /** Stops serving: every owner's queues are reclaimed, then every connection is closed. */
  close(): void {
    if (this.closed) return;
    for (const conn of [...this.owners.keys()]) this.reclaim(conn);
    this.closed = true;
    if (this.pinTimer) clearInterval(this.pinTimer);
    simNative().channelClose(this.server);
  }

  /**
   * The NIC's counters as `dpkit-ethtool -S` shows them: the statistics registers (read, not
   * cleared: the device's counters run free), the flow director's match/miss, the emulator's own
   * counters, and the frames each rx queue was given.
   */
  statistics(): [string, number][] {
    const reg = (offset: number) => this.nic.regs[offset >> 2]!;
    const wide = (lo: number, hi: number) => reg(lo) + reg(hi) * 2 ** 32;
    const c = this.nic.counters();
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    return [
      ['rx_packets', reg(GPRC)], ['tx_packets', reg(GPTC)], ['rx_bytes', wide(GORCL, GORCH)], ['tx_bytes', wide(GOTCL, GOTCH)],
      ['rx_missed_errors', reg(MPC(0))], ['rx_no_buffer_count', reg(RNBC(0))], ['fdir_match', reg(FDIRMATCH)], ['fdir_miss', reg(FDIRMISS)],
      ['rx_not_started', c.rxNotStarted], ['rx_no_descriptors', c.rxNoDescriptors], ['rx_dma_faults', sum(c.rxDmaFaults)], ['tx_dma_faults', sum(c.txDmaFaults)],
      ['tx_malformed', c.txMalformed], ['queue_bad_config', c.badConfig], ['queue_bad_tail', c.badTail], ['kernel_dropped', c.kernelDropped],
      ...c.rxQueueFrames.map((n, q): [string, number] => [`rx_queue_${q}_packets`, n]),
    ];
  }

  /** Does the rule take a TCP destination port's new connections away from the kernel? */
  private movesPort(r: Rule): boolean {
    return r.flow === 'tcp4' && r.dportMask === 0xFFFF && (r.action === -1 || r.action >= this.o.kernelQueues);
  }

  /**
   * ethtool -N: a rule that moves a TCP port first pins the kernel's connections on it (5-tuple
   * filters go before the flow director), then goes in, then the pins are read again for the
   * connections that arrived in between; every second after that too.
   */
  private insertRule(rule: Rule, loc: number): number {
    const moves = this.movesPort(rule);
    if (moves) {
      try {
        this.pins.move(rule.dport);
      } catch (err) {
        throw new RuleError('ENOSPC', (err as Error).message);
      }
    }
    try {
      loc = this.fdir.insert(rule, loc);
    } catch (err) {
      if (moves && ![...this.fdir.rules.values()].some((r) => this.movesPort(r) && r.dport === rule.dport)) this.pins.release(rule.dport);
      throw err;
    }
    if (moves) {
      this.pins.refresh();
      this.pinTimer ??= setInterval(() => { if (!this.closed) this.pins.refresh(); }, 1000).unref();
    }
    return loc;
  }

  /** The pid of the process that holds queue pair q, or undefined (the kernel's, or free). */
  ownerOf(q: number): number | undefined {
    const conn = this.queueOwner.get(q);
    return conn === undefined ? undefined : this.owners.get(conn)?.pid;
  }

  private onEvent(e: ChannelEvent): void {
    if (e.type === 'open') {
      const me = process.getuid?.() ?? 0;
      if (e.uid !== me && e.uid !== 0) {
        this.reply(e.conn, `error EPERM this device belongs to uid ${me}`);
        simNative().channelDrop(this.server, e.conn);
        return;
      }
      this.owners.set(e.conn, { pid: e.pid, window: undefined, queues: new Set() });
    } else if (e.type === 'message') {
      const owner = this.owners.get(e.conn);
      if (!owner) {
        for (const fd of e.fds) simNative().channelDisconnect(fd);
        return;
      }
      this.reply(e.conn, ...this.request(owner, e.text, e.fds));
    } else {
      this.reclaim(e.conn);
    }
  }

  private reply(conn: number, text: string, fds: number[] = []): void {
    simNative().channelSend(this.server, conn, text, fds);
  }

  /** Carries out one request; returns the reply and the descriptors to pass with it. */
  private request(owner: Owner, text: string, fds: number[]): [string, number[]?] {
    const [verb, ...args] = text.trim().split(/\s+/);
    const passed = fds.slice();
    const closeUnused = () => { for (const fd of passed) simNative().channelDisconnect(fd); };
    const ints = (n: number): number[] | undefined => {
      if (args.length !== n || !args.every((a) => /^\d+$/.test(a))) return undefined;
      return args.map(Number);
    };
    try {
      switch (verb) {
        case 'get_ifinfo': {
          const { mac, mtu } = this.o.ifinfo();
          return [`ok pci=${hex4(INTEL_VENDOR_ID)}:${hex4(DEV_ID_82599_SFP)} mac=${mac} mtu=${mtu} numa=-1 rx_queues=${RX_QUEUES} tx_queues=${TX_QUEUES} kernel_queues=0-${this.o.kernelQueues - 1}`];
        }
        case 'split': {
          const n = ints(2);
          if (!n || n[1]! < 1 || n[0]! + n[1]! > RX_QUEUES) return [`error EINVAL usage: split START COUNT with START + COUNT <= ${RX_QUEUES}`];
          const [start, count] = n as [number, number];
          for (let q = start; q < start + count; q++) {
            if (q < this.o.kernelQueues) return [`error EBUSY queue ${q} belongs to the kernel (kernel queues 0-${this.o.kernelQueues - 1})`];
            const by = this.queueOwner.get(q);
            if (by !== undefined) return [`error EBUSY queue ${q} is owned by pid ${this.owners.get(by)?.pid ?? '?'}`];
          }
          const w = this.windowOf(owner);
          if (!this.nic.assign(w.window, start, count)) return [`error EBUSY queues ${start}-${start + count - 1} are not free`];
          const queues: number[] = [];
          for (let q = start; q < start + count; q++) {
            owner.queues.add(q);
            this.queueOwner.set(q, this.connOf(owner));
            queues.push(q);
          }
          for (const q of queues) this.mapStats(q);
          this.fdir.refresh(queues); // rules steering to these queues go into the hardware now
          return ['ok'];
        }
        case 'return': {
          const n = ints(2);
          if (!n || n[1]! < 1) return ['error EINVAL usage: return START COUNT'];
          const [start, count] = n as [number, number];
          for (let q = start; q < start + count; q++) if (!owner.queues.has(q)) return [`error EINVAL queue ${q} is not yours`];
          const queues: number[] = [];
          for (let q = start; q < start + count; q++) {
            owner.queues.delete(q);
            this.queueOwner.delete(q);
            queues.push(q);
          }
          this.fdir.refresh(queues); // their traffic back to RSS and the kernel queues first
          this.nic.release(owner.window!.window, start, count);
          for (const q of queues) this.unmapStats(q);
          return ['ok'];
        }
        case 'stats': {
          if (args.length) return ['error EINVAL usage: stats'];
          return [`ok ${this.statistics().map(([k, v]) => `${k}=${v}`).join(' ')}`];
        }
        case 'qstats': {
          if (args.length) return ['error EINVAL usage: qstats'];
          const lines = [...owner.queues].sort((a, b) => a - b).map((q) => {
            const st = this.readStats(q);
            return st ? [q, ...st].join(' ') : `${q} -`;
          });
          return [[`ok count=${lines.length}`, ...lines].join('\n')];
        }
        case 'rss': {
          if (args.length) return ['error EINVAL usage: rss'];
          const byte = (word: number, i: number) => (this.nic.regs[word >> 2]! >>> (8 * (i & 3))) & 0xFF;
          const reta = Array.from({ length: 128 }, (_, j) => byte(RETA(j >> 2), j) & 0xF);
          const key = Array.from({ length: 40 }, (_, k) => byte(RSSRK(k >> 2), k).toString(16).padStart(2, '0')).join('');
          return [`ok reta=${reta.join(',')} key=${key}`];
        }
        case 'ntuple': {
          if (args.length !== 1 || (args[0] !== 'on' && args[0] !== 'off')) return ['error EINVAL usage: ntuple on|off'];
          this.fdir.setEnabled(args[0] === 'on');
          return ['ok'];
        }
        case 'rule_ins': {
          const [flow, ...rest] = args;
          const n = rest.map(Number);
          const ip4 = flow === 'ip4', ether = flow === 'ether';
          if ((flow !== 'tcp4' && flow !== 'udp4' && flow !== 'sctp4' && !ip4 && !ether) || n.length !== (ip4 || ether ? 12 : 10) || !n.every(Number.isInteger)) {
            return ['error EINVAL usage: rule_ins tcp4|udp4|sctp4 SRC SRCM DST DSTM SPORT SPORTM DPORT DPORTM ACTION LOC, or rule_ins ip4 ... LOC PROTO PROTOM, or rule_ins ether 0 0 0 0 0 0 0 0 ACTION LOC ETYPE ETYPEM'];
          }
          const [src, srcMask, dst, dstMask, sport, sportMask, dport, dportMask, action, loc, proto, protoMask] = n as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
          if (ether) {
            // ETQF compares the whole EtherType and nothing else
            if (protoMask !== 0xFFFF || proto < 0 || proto > 0xFFFF) return ['error EINVAL an EtherType filter compares all 16 bits of the EtherType: give proto P with no mask'];
            if (n.slice(0, 8).some((v) => v !== 0)) return ['error EINVAL an EtherType filter matches only the EtherType'];
          }
          const type: FlowType = ether ? 'ether' : ip4 ? userFlowType(proto, protoMask) : flow as FlowType;
          const rule: Rule = { flow: type, src, srcMask, dst, dstMask, sport, sportMask, dport, dportMask, action, ...(ether ? { etype: proto } : {}) };
          return [`ok ${this.insertRule(rule, loc)}`];
        }
        case 'rule_del': {
          const n = ints(1);
          if (!n) return ['error EINVAL usage: rule_del LOC'];
          const gone = this.fdir.rules.get(n[0]!);
          this.fdir.delete(n[0]!);
          if (gone && this.movesPort(gone) && ![...this.fdir.rules.values()].some((r) => this.movesPort(r) && r.dport === gone.dport)) this.pins.release(gone.dport);
          return ['ok'];
        }
        case 'rules': {
          const lines = [...this.fdir.rules].sort(([a], [b]) => a - b).map(([loc, r]) =>
            [loc, r.flow, r.src, r.srcMask, r.dst, r.dstMask, r.sport, r.sportMask, r.dport, r.dportMask, r.action, ...(r.flow === 'ether' ? [r.etype] : [])].join(' '));
          return [[`ok rings=${RX_QUEUES} count=${lines.length}`, ...lines].join('\n')];
        }
        case 'map': {
          if (args.length) return ['error EINVAL usage: map'];
          return [`ok size=${BAR0_SIZE}`, [this.windowOf(owner).fd]];
        }
        case 'map_umem': {
          const n = ints(2);
          if (!n || passed.length !== 1) return ['error EINVAL usage: map_umem IOVA LENGTH, with the memory\'s file descriptor'];
          try {
            this.nic.mapDma(passed[0]!, 0, n[1]!, n[0]!, this.windowOf(owner).window);
          } catch (err) {
            return [`error EINVAL ${(err as Error).message}`];
          }
          return ['ok'];
        }
        default:
          return [`error EINVAL unknown request "${verb ?? ''}"`];
      }
    } catch (err) {
      if (err instanceof RuleError) return [`error ${err.errno} ${err.message}`];
      throw err;
    } finally {
      closeUnused(); // the device mapped what it keeps; received descriptors are not held open
    }
  }

  /**
   * Gives split queue q a stat index of its own, as the kernel side programs RQSMR/TQSM (window
   * 0), and clears that index's counters (a clear-on-read, Atomics.exchange here) so they count
   * for the new owner only. With all 15 in use q stays at index 0 with the kernel's queues.
   */
  private mapStats(q: number): void {
    const used = new Set([...this.qstat.values()].map((x) => x.index));
    let index = 1;
    while (index <= SPLIT_STAT_INDEXES && used.has(index)) index++;
    if (index > SPLIT_STAT_INDEXES) return;
    this.setStatIndex(q, index);
    this.qstat.set(q, { index, counts: [0, 0, 0, 0, 0] });
    this.readStats(q);
    this.qstat.get(q)!.counts.fill(0);
  }

  private unmapStats(q: number): void {
    if (!this.qstat.delete(q)) return;
    this.setStatIndex(q, 0);
  }

  /** RQSMR/TQSM(q >> 2): q's 4-bit field at bits 8 * (q & 3). */
  private setStatIndex(q: number, index: number): void {
    const regs = this.nic.regs;
    for (const w of [RQSMR(q >> 2) >> 2, TQSM(q >> 2) >> 2]) {
      const shift = 8 * (q & 3);
      Atomics.store(regs, w, ((Atomics.load(regs, w) & ~(0xF << shift)) | (index << shift)) >>> 0);
    }
  }

  /** Reads (and so clears) the statistics registers of q's stat index into its totals; the totals, or undefined without an index. */
  private readStats(q: number): QueueStat['counts'] | undefined {
    const st = this.qstat.get(q);
    if (!st) return undefined;
    const regs = this.nic.regs, i = st.index;
    const take = (offset: number) => Atomics.exchange(regs, offset >> 2, 0);
    const wide = (lo: number, hi: number) => { const l = take(lo); return l + take(hi) * 2 ** 32; };
    const read = [take(QPRC(i)), wide(QBRC_L(i), QBRC_H(i)), take(QPRDC(i)), take(QPTC(i)), wide(QBTC_L(i), QBTC_H(i))];
    read.forEach((v, k) => { st.counts[k] += v; });
    return st.counts;
  }

  private connOf(owner: Owner): number {
    for (const [conn, o] of this.owners) if (o === owner) return conn;
    throw new Error('sim-82599: owner without a connection');
  }

  private windowOf(owner: Owner): OwnerWindow {
    owner.window ??= this.spare.pop() ?? this.nic.addWindow();
    return owner.window;
  }

  /** The connection closed: its queues stop and come back, its DMA memory goes, its window is reused. */
  private reclaim(conn: number): void {
    const owner = this.owners.get(conn);
    this.owners.delete(conn);
    if (!owner) return;
    for (const q of owner.queues) this.queueOwner.delete(q);
    this.fdir.refresh(owner.queues); // the rules steering to its queues leave the hardware: their traffic goes back to the kernel
    if (owner.window) {
      this.nic.reclaim(owner.window.window);
      for (const q of owner.queues) this.unmapStats(q);
      owner.window.regs.fill(0);
      this.spare.push(owner.window);
    }
  }
}
