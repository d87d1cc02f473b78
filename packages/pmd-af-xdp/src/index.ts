/**
 * net_af_xdp — a PMD for any Linux netdev through AF_XDP sockets (see README.md).
 *
 * Control path, through @dpkit/bifurc's direct-ring-access API (XskRings), in both the vdev
 * mode (the Linux AF_XDP provider, opened here) and the bifurc mode (the handle the bus's
 * provider opened): probe reads the netdev; start splits the queues off the kernel (locked
 * against every other process), registers the rx pool's memory (map_umem), binds one socket per
 * netdev queue, pre-fills the fill rings (map/unmap), puts the sockets in an XSKMAP and attaches
 * the steering program through a BPF link; stop undoes all of it, frees every mbuf the kernel
 * still held and returns the queues. The fast path (fastpath.ts) runs the rings.
 */
import {
  openAfXdp, refuseNetdevRival, xskAttachment, type XdpFlowSteering, type XdpSteering, type XskQueue, type XskRings, type XskUmem,
} from '@dpkit/bifurc';
import { DpkitError, mbufFreeBulk, type Mempool, type Xstat } from '@dpkit/eal';
import { DrvFlags, PCI_ANY_ID, defineDriver, defineParams, removePorts, type Device, type DriverPort, type EthDevOps, type ProbeContext } from '@dpkit/eal/driver';
import {
  BpfMap, linux, xskMapClear, xskMapSet, MapType, netdevModes, netdevModesApply, netdevModesRestore, netdevPortOps,
} from '@dpkit/eal/linux';
import * as fastPath from './fastpath.js';
import { XDP_HEADROOM, type XdpQueueData, XQ_COPIES, XQ_SLOTS } from './fastpath.js';

export const params = defineParams({
  iface: { type: 'string', syntax: '<netdev>', help: 'the Linux netdev' },
  start_queue: { type: 'int', default: 0, min: 0, max: 1023, help: 'first netdev queue' },
  queue_count: { type: 'int', default: 1, min: 1, max: 64, help: 'number of queues' },
  shared_umem: { type: 'bool', default: true, help: 'queues with the same rx pool share one UMEM registration' },
  force_copy: { type: 'bool', default: false, help: 'copy mode even where zero-copy exists' },
  mode: { type: 'string', default: 'drv', choices: ['drv', 'skb'], help: 'XDP attach mode' },
  fix_csum: { type: 'bool', default: true, help: 'complete partial TCP/UDP checksums of received frames' },
  busy_budget: { type: 'int', default: 0, min: 0, max: 65535, help: 'preferred busy polling with this NAPI budget (0: off)' },
});

/** SO_BUSY_POLL: how long (µs) a busy-polling recvfrom may spin in the kernel (as DPDK) */
const BUSY_POLL_USECS = 20;

/** Buffer sizes the UMEM can use as aligned chunks (a power of two, 2048 to the page size). */
export const UMEM_BUF_SIZES = [2048, 4096] as const;
/** what a frame carries beyond the MTU: the Ethernet header and one VLAN tag */
const FRAME_OVERHEAD = 18;
/**
 * UMEM addresses are kept below 4 GiB (the fast path writes the low word of each 64-bit
 * address and reads only the low word back): a larger pool would wrap silently.
 */
const UMEM_MAX_BYTES = 2 ** 32;
const MIN_DESC = 64;
const MAX_DESC = 4096;
const NAME_MAX = 10;

export type { XdpSteering } from '@dpkit/bifurc';

export interface AfXdpConfig {
  /** the netdev, opened by a direct-ring-access provider */
  rings: XskRings;
  /** the port opened `rings` itself (vdev mode) and closes it with the port */
  ownsRings: boolean;
  iface: string;
  /** port queue q serves netdev queues queueMap[q] (one AF_XDP socket each) */
  queueMap: number[][];
  sharedUmem: boolean;
  forceCopy: boolean;
  mode: 'drv' | 'skb';
  steering: XdpSteering;
  fixCsum: boolean;
  /** SO_BUSY_POLL_BUDGET for preferred busy polling; 0: off */
  busyBudget: number;
}

interface Socket {
  bq: XskQueue;
  fd: number;
  pool: Mempool;
  /** port queue and netdev queue */
  q: number;
  kq: number;
  rx: XdpQueueData | undefined;
  tx: XdpQueueData | undefined;
}

const KSTATS = ['rxDropped', 'rxInvalidDescs', 'rxRingFull', 'rxFillRingEmptyDescs', 'txInvalidDescs', 'txRingEmptyDescs'] as const;
type KStat = (typeof KSTATS)[number];
const KSTAT_NAMES: Record<KStat, string> = {
  rxDropped: 'rx_q%_xsk_rx_dropped', rxInvalidDescs: 'rx_q%_xsk_rx_invalid_descs', rxRingFull: 'rx_q%_xsk_rx_ring_full',
  rxFillRingEmptyDescs: 'rx_q%_xsk_rx_fill_ring_empty_descs', txInvalidDescs: 'tx_q%_xsk_tx_invalid_descs',
  txRingEmptyDescs: 'tx_q%_xsk_tx_ring_empty_descs',
};

/** Every kernel XSK counter at 0 (the compiler checks that each KStat is here). */
const zeroKstats = (): Record<KStat, number> => ({
  rxDropped: 0, rxInvalidDescs: 0, rxRingFull: 0, rxFillRingEmptyDescs: 0, txInvalidDescs: 0, txRingEmptyDescs: 0,
});

interface AfXdpPrivate {
  cfg: AfXdpConfig;
  ifindex: number;
  label: string;
  rxq: (XdpQueueData | undefined)[];
  txq: (XdpQueueData | undefined)[];
  rxPools: (Mempool | undefined)[];
  sockets: Socket[];
  xskMap: BpfMap | undefined;
  steeringHandle: { detach(): void } | undefined;
  /** kernel XSK counters of sockets closed at earlier stops, per queue, minus the reset base */
  kstats: Record<KStat, number>[];
  /** netdev queues split off at start (returned at stop) */
  split: number[];
  zeroCopy: boolean;
  flowOps: XdpFlowSteering | undefined;
  warn: (message: string) => void;
  /** a netdev MTU found too large while started, already warned about (0: none) */
  warnedMtu: number;
}

/**
 * The started ports of this process by netdev (ifindex): each attaches its own XDP program to
 * the whole netdev, so a second one there cannot work. It is refused at once instead of after
 * a second of EBUSY retries on its sockets (which are for queues another process released).
 */
const splitNetdevs = new Map<number, string>();

/**
 * The largest frame a UMEM buffer of `eltSize` bytes receives: the kernel writes a frame
 * XDP_PACKET_HEADROOM bytes into its chunk, and drops (rx_dropped) one that does not fit.
 */
export const maxFrameFor = (eltSize: number) => eltSize - XDP_HEADROOM;
/** The largest netdev MTU whose frames (with a VLAN tag) fit a buffer of `eltSize` bytes. */
export const maxMtuFor = (eltSize: number) => maxFrameFor(eltSize) - FRAME_OVERHEAD;
const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

function priv(dev: DriverPort<AfXdpPrivate>): AfXdpPrivate {
  return dev.priv;
}

function queueData(dev: DriverPort<AfXdpPrivate>, kind: 'rx' | 'tx', q: number, nbDesc: number, conf: { freeThresh?: number }, pool?: Mempool): XdpQueueData {
  const p = priv(dev);
  if (!isPow2(nbDesc)) {
    throw new DpkitError(`${p.label}: ${nbDesc} ${kind} descriptors asked; AF_XDP rings need a power of two from ${MIN_DESC} to ${MAX_DESC}`);
  }
  return {
    iface: p.cfg.iface, kernelQueues: p.cfg.queueMap[q]!, fds: [], nbDesc, umemPool: pool?.id ?? -1,
    shift: pool ? Math.log2(pool.eltSize) : 0, owned: pool ? new SharedArrayBuffer(pool.size) : new SharedArrayBuffer(0),
    counters: new SharedArrayBuffer(XQ_SLOTS * 8), freeThresh: Math.max(1, Math.min(conf.freeThresh || 32, nbDesc)),
    fixCsum: p.cfg.fixCsum, busyPoll: false,
  };
}

/** Frees every mbuf that the kernel held for a queue (its ownership bytes), then clears them. */
function reclaim(d: XdpQueueData, pool: Mempool): number {
  const owned = new Uint8Array(d.owned);
  const batch = new Uint32Array(256);
  const idBits = (pool.id << 24) >>> 0;
  let k = 0;
  let total = 0;
  for (let i = 0; i < owned.length; i++) {
    for (let c = owned[i]!; c > 0; c--) {
      batch[k++] = (idBits | i) >>> 0;
      if (k === batch.length) {
        mbufFreeBulk(batch, 0, k);
        total += k;
        k = 0;
      }
    }
    owned[i] = 0;
  }
  if (k) mbufFreeBulk(batch, 0, k);
  return total + k;
}

/**
 * Turns preferred busy polling on for a socket (SO_PREFER_BUSY_POLL, SO_BUSY_POLL,
 * SO_BUSY_POLL_BUDGET). Where the kernel refuses, one warning and the queue polls without it,
 * as DPDK's af_xdp does.
 */
function busyPoll(p: AfXdpPrivate, fd: number, kq: number): boolean {
  if (p.cfg.busyBudget === 0) return false;
  try {
    const got = linux().sockBusyPoll(fd, BUSY_POLL_USECS, p.cfg.busyBudget);
    return got.prefer && got.usecs === BUSY_POLL_USECS;
  } catch (err) {
    p.warn(`${p.label}: busy polling is off for netdev queue ${kq}: ${(err as Error).message} (it needs kernel 5.11 and CAP_NET_ADMIN)`);
    return false;
  }
}

/** Binds a socket on split netdev queue `kq` (its rings sized for the port queue's rx/tx). */
function bindSocket(p: AfXdpPrivate, kq: number, umem: XskUmem, rx: XdpQueueData | undefined, tx: XdpQueueData | undefined, shareWith: XskQueue | undefined): Promise<XskQueue> {
  const rxDesc = rx?.nbDesc ?? 0;
  const txDesc = tx?.nbDesc ?? 0;
  const sizes = { fill: Math.max(2 * rxDesc, MIN_DESC), completion: Math.max(txDesc, MIN_DESC), rx: rxDesc, tx: txDesc };
  return p.cfg.rings.bind(kq, umem, sizes, { copy: p.cfg.forceCopy, owner: p.label, ...(shareWith ? { shareWith } : {}) });
}

/** Puts `d.nbDesc` mbufs on a fresh socket's fill ring (control path, main thread). */
function prefill(rings: XskRings, bq: XskQueue, d: XdpQueueData, pool: Mempool): void {
  const mapped = rings.map(bq, ['fill']);
  const fill = mapped.fill!;
  const kq = bq.queue;
  try {
    const n = d.nbDesc;
    const mbufs = new Uint32Array(n);
    if (!pool.getBulk(mbufs, 0, n)) {
      throw new DpkitError(`net_af_xdp: mempool '${pool.name}' has ${pool.availCount()} free mbufs, netdev queue ${kq} needs ${n} for its fill ring; create a larger pool`, 'ENOMEM');
    }
    const owned = new Uint8Array(d.owned);
    const w = fill.w;
    const prod = w[fill.prod]!;
    for (let k = 0; k < n; k++) {
      const idx = mbufs[k]! & 0xffffff;
      const e = fill.desc + 2 * ((prod + k) & fill.mask);
      w[e] = idx * pool.eltSize;
      w[e + 1] = 0;
      owned[idx] = 1;
    }
    Atomics.store(w, fill.prod, (prod + n) >>> 0);
  } finally {
    rings.unmap(mapped);
  }
}

function kstatsNow(p: AfXdpPrivate, q: number): Record<KStat, number> {
  const out = { ...p.kstats[q]! };
  for (const s of p.sockets) {
    if (s.q !== q || s.fd < 0) continue;
    const live = p.cfg.rings.statistics(s.bq);
    for (const k of KSTATS) out[k] += live[k];
  }
  return out;
}

/**
 * Refuses a netdev whose frames would not fit the rx pools' buffers: the kernel would drop
 * each longer steered frame, counted only in rx_q<i>_xsk_rx_dropped. (No multi-buffer.)
 */
function checkMtu(p: AfXdpPrivate, mtu: number): void {
  const pools = p.rxPools.filter((m): m is Mempool => m !== undefined);
  if (pools.length === 0) return;
  const pool = pools.reduce((a, b) => (b.eltSize < a.eltSize ? b : a));
  const most = maxMtuFor(pool.eltSize);
  if (mtu <= most) return;
  const big = UMEM_BUF_SIZES[UMEM_BUF_SIZES.length - 1];
  const alt = pool.eltSize < big && mtu <= maxMtuFor(big) ? ` or use an rx pool of ${big}-byte buffers` : '';
  throw new DpkitError(`${p.label}: ${p.cfg.iface} has MTU ${mtu}, but rx pool '${pool.name}' (${pool.eltSize}-byte buffers) takes frames up to ${maxFrameFor(pool.eltSize)} bytes, MTU ${most} at most: lower it (ip link set ${p.cfg.iface} mtu ${most})${alt}`, 'EINVAL');
}

/** Attaches the steering program; the kernel's refusals get their cause and fix. */
function attachSteering(p: AfXdpPrivate): { detach(): void } {
  try {
    return p.cfg.steering.attach(p.xskMap!, p.ifindex, p.cfg.mode);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (p.cfg.mode === 'drv' && code === 'EOPNOTSUPP') {
      throw new DpkitError(`${p.label}: ${p.cfg.iface} has no native XDP (its driver does not run XDP programs); use mode=skb`, code);
    }
    if (p.cfg.mode === 'drv' && code === 'ERANGE') {
      throw new DpkitError(`${p.label}: ${p.cfg.iface}'s driver refuses native XDP at this MTU (its own, or its veth peer's, is too large for XDP without multi-buffer): lower the MTU or use mode=skb`, code);
    }
    if (code === 'EBUSY') {
      // the queue locks are ours (splitQueues): the program is another process's on other queues, or not dpkit's
      throw new DpkitError(`${p.label}: ${p.cfg.iface} has an XDP program attached already (one per netdev: a started port of another process, on other queues of it, or another program; see 'ip link show ${p.cfg.iface}'): stop that port, or serve every queue from one port`, code);
    }
    throw err;
  }
}

/**
 * Stops the port, each step best-effort: a step that throws does not keep the later ones (the
 * queue locks returned last of all) from running; the first error is thrown at the end.
 */
async function stopPort(dev: DriverPort<AfXdpPrivate>): Promise<void> {
  const p = priv(dev);
  let first: { err: unknown } | undefined;
  const step = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      first ??= { err };
    }
  };
  const map = p.xskMap;
  if (map) for (const s of p.sockets) step(() => xskMapClear(map, s.kq));
  step(() => p.steeringHandle?.detach());
  p.steeringHandle = undefined;
  if (splitNetdevs.get(p.ifindex) === p.label) splitNetdevs.delete(p.ifindex);
  step(() => netdevModesRestore(dev, p.cfg.iface));
  for (const s of p.sockets) {
    step(() => {
      const live = p.cfg.rings.statistics(s.bq);
      for (const k of KSTATS) p.kstats[s.q]![k] += live[k];
    });
    step(() => p.cfg.rings.unbind(s.bq));
    s.fd = -1;
  }
  // the sockets are gone (every lcore released its rings before stop): the kernel holds nothing
  const done = new Set<XdpQueueData>();
  for (const s of p.sockets) {
    for (const d of [s.rx, s.tx]) {
      if (!d || done.has(d)) continue;
      done.add(d);
      step(() => reclaim(d, s.pool));
      d.fds = [];
    }
  }
  p.sockets = [];
  step(() => p.xskMap?.close());
  p.xskMap = undefined;
  try {
    await p.cfg.rings.returnQueuePairs(p.split);
  } catch (err) {
    first ??= { err };
  }
  p.split = [];
  if (first) throw first.err;
}

/** Splits netdev queues `kqs` off the kernel, in contiguous runs; all or none. */
async function splitQueues(p: AfXdpPrivate, kqs: readonly number[]): Promise<void> {
  const sorted = [...new Set(kqs)].sort((x, y) => x - y);
  try {
    for (let i = 0; i < sorted.length;) {
      let j = i + 1;
      while (j < sorted.length && sorted[j] === sorted[j - 1]! + 1) j++;
      p.split.push(...await p.cfg.rings.splitQueuePairs(j - i, sorted[i]!, p.label));
      i = j;
    }
  } catch (err) {
    await p.cfg.rings.returnQueuePairs(p.split);
    p.split = [];
    throw err;
  }
}

const netdevOps = netdevPortOps<AfXdpPrivate>((dev) => priv(dev).cfg.iface);

/**
 * An MTU raised on the netdev while the port runs cannot be refused: each link query (start,
 * `show port info`, link status) checks it and warns once per value, naming the counter that
 * shows the drops.
 */
function watchMtu(dev: DriverPort<AfXdpPrivate>): void {
  const p = priv(dev);
  let mtu: number;
  try {
    mtu = linux().ifInfo(p.cfg.iface).mtu;
  } catch {
    return; // the netdev has gone: the link reads down
  }
  try {
    checkMtu(p, mtu);
    p.warnedMtu = 0;
  } catch (err) {
    if (p.warnedMtu === mtu) return;
    p.warnedMtu = mtu;
    const counters = Array.from({ length: dev.nbRxQueues }, (_, q) => `rx_q${q}_xsk_rx_dropped`).join(', ');
    p.warn(`${(err as Error).message.replace(' has MTU ', ' now has MTU ')}; until then every longer frame steered to it is dropped, counted in ${counters}`);
  }
}

const ops: EthDevOps<AfXdpPrivate, XdpQueueData, XdpQueueData> = {
  ...netdevOps,
  linkUpdate(dev, wait) {
    if (dev.started) watchMtu(dev);
    return netdevOps.linkUpdate(dev, wait);
  },
  infoGet(dev) {
    const p = priv(dev);
    // the smallest buffer of the rx pools set up so far, else the largest the UMEM takes
    const sizes = p.rxPools.filter((m): m is Mempool => m !== undefined).map((m) => m.eltSize);
    const maxRxPktLen = maxFrameFor(sizes.length ? Math.min(...sizes) : UMEM_BUF_SIZES[UMEM_BUF_SIZES.length - 1]);
    return {
      ifName: p.cfg.iface, maxRxQueues: p.cfg.queueMap.length, maxTxQueues: p.cfg.queueMap.length, maxMacAddrs: 1,
      minMtu: 68, maxMtu: maxRxPktLen - FRAME_OVERHEAD, maxRxPktLen, minRxBufSize: 2048,
      rxDescLimits: { min: MIN_DESC, max: MAX_DESC, align: MIN_DESC }, txDescLimits: { min: MIN_DESC, max: MAX_DESC, align: MIN_DESC },
      rxPoolNeeds: { memory: 'memfd', bufSizes: UMEM_BUF_SIZES, why: 'AF_XDP registers the pool as UMEM, one buffer per aligned chunk' },
    };
  },
  configure(dev) {
    const p = priv(dev);
    const split = p.cfg.queueMap.length;
    if (p.flowOps && dev.nbRxQueues < split) {
      // the flow classifier sends to user space on every netdev queue: a queue nobody polls loses its flows to the kernel
      throw new DpkitError(`${p.label}: qpairs=${split} splits ${split} queue pairs off '${p.cfg.iface}' but the port has ${dev.nbRxQueues} rx queue${dev.nbRxQueues === 1 ? '' : 's'}: configure ${split} (testpmd --rxq=${split} --txq=${split}) or lower qpairs`, 'EINVAL');
    }
    if (dev.nbTxQueues > dev.nbRxQueues) {
      throw new DpkitError(`${priv(dev).label}: ${dev.nbTxQueues} tx queues and ${dev.nbRxQueues} rx queues: tx queue q shares the AF_XDP socket of rx queue q, configure at least as many rx queues as tx queues`);
    }
  },
  rxQueueSetup(dev, q, nbDesc, _socket, conf, pool) {
    const p = priv(dev);
    const umemBytes = pool.dataArea().length;
    if (umemBytes > UMEM_MAX_BYTES) {
      const most = Math.floor(UMEM_MAX_BYTES / pool.eltSize);
      throw new DpkitError(`${p.label}: rx pool '${pool.name}' has ${pool.size} mbufs of ${pool.eltSize} bytes, ${umemBytes} bytes of UMEM; net_af_xdp addresses at most 4 GiB (${UMEM_MAX_BYTES} bytes): create the pool with at most ${most} mbufs`, 'EINVAL');
    }
    const d = queueData(dev, 'rx', q, nbDesc, conf, pool);
    p.rxq[q] = d;
    p.rxPools[q] = pool;
    return d;
  },
  txQueueSetup(dev, q, nbDesc, _socket, conf) {
    const d = queueData(dev, 'tx', q, nbDesc, conf);
    priv(dev).txq[q] = d;
    return d;
  },
  rxQueueRelease(dev, q) {
    priv(dev).rxq[q] = undefined;
    priv(dev).rxPools[q] = undefined;
  },
  txQueueRelease(dev, q) {
    priv(dev).txq[q] = undefined;
  },
  async start(dev) {
    const p = priv(dev);
    const n = dev.nbRxQueues;
    const holder = splitNetdevs.get(p.ifindex);
    if (holder !== undefined && holder !== p.label) {
      throw new DpkitError(`${p.label}: ${p.cfg.iface} is already split off the kernel by port ${holder} of this process (one XDP program per netdev): stop that port, or use one port with more queues`, 'EBUSY');
    }
    checkMtu(p, p.cfg.rings.getIfinfo().mtu);
    // one line at once if another process (or port) has any of these queues split
    await splitQueues(p, p.cfg.queueMap.slice(0, n).flat());
    const slots = Math.max(p.cfg.steering.mapSize ?? 0, ...p.cfg.queueMap.flat().map((k) => k + 1));
    try {
      p.xskMap = new BpfMap(MapType.XSKMAP, 4, 4, slots, `${p.label.replace(/[^A-Za-z0-9_]/g, "").slice(0, NAME_MAX)}_xsk`);
      const umems = new Map<Mempool, XskUmem>();
      for (let q = 0; q < n; q++) {
        const pool = p.rxPools[q]!;
        const rx = p.rxq[q]!;
        const tx = q < dev.nbTxQueues ? p.txq[q] : undefined;
        if (tx) {
          // tx shares the rx pool's UMEM: mbufs of other pools are copied into it
          tx.umemPool = pool.id;
          tx.shift = rx.shift;
          if (tx.owned.byteLength !== pool.size) tx.owned = new SharedArrayBuffer(pool.size);
        }
        rx.fds = [];
        if (tx) tx.fds = [];
        for (const [i, kq] of p.cfg.queueMap[q]!.entries()) {
          // tx goes out through the first socket of the group
          const txHere = i === 0 ? tx : undefined;
          const share = p.cfg.sharedUmem ? p.sockets.find((s) => s.pool === pool)?.bq : undefined;
          let umem = umems.get(pool);
          if (!umem) umems.set(pool, umem = p.cfg.rings.mapUmem(pool));
          const bq = await bindSocket(p, kq, umem, rx, txHere, share);
          const fd = bq.fd;
          p.sockets.push({ bq, fd, pool, q, kq, rx, tx: txHere });
          const busy = busyPoll(p, fd, kq);
          if (i === 0) rx.busyPoll = busy;
          else rx.busyPoll &&= busy;
          if (txHere) txHere.busyPoll = busy;
          rx.fds.push(fd);
          if (txHere) txHere.fds.push(fd);
          prefill(p.cfg.rings, bq, rx, pool);
          xskMapSet(p.xskMap, kq, fd);
        }
      }
      p.zeroCopy = p.sockets.length > 0 && p.cfg.rings.zeroCopy(p.sockets[0]!.bq);
      p.steeringHandle = attachSteering(p);
      splitNetdevs.set(p.ifindex, p.label);
      netdevModesApply(dev, p.cfg.iface);
    } catch (err) {
      await stopPort(dev);
      throw err;
    }
  },
  stop: (dev) => stopPort(dev),
  async close(dev) {
    const p = priv(dev);
    p.rxq = [];
    p.txq = [];
    p.rxPools = [];
    if (p.cfg.ownsRings) await p.cfg.rings.close();
  },
  extraStats(dev) {
    const p = priv(dev);
    let imissed = 0;
    let oerrors = 0;
    for (let q = 0; q < dev.nbRxQueues; q++) {
      const k = kstatsNow(p, q);
      imissed += k.rxDropped + k.rxRingFull;
      oerrors += k.txInvalidDescs;
    }
    return { imissed, oerrors };
  },
  statsReset(dev) {
    const p = priv(dev);
    for (let q = 0; q < p.kstats.length; q++) {
      const now = kstatsNow(p, q);
      for (const k of KSTATS) p.kstats[q]![k] -= now[k];
    }
    for (const d of [...p.rxq, ...p.txq]) if (d) new Float64Array(d.counters).fill(0);
  },
  xstatsGet(dev): Xstat[] {
    const p = priv(dev);
    const out: Xstat[] = [];
    for (let q = 0; q < dev.nbRxQueues; q++) {
      const k = kstatsNow(p, q);
      for (const key of KSTATS) out.push({ name: KSTAT_NAMES[key].replace('%', String(q)), value: k[key] });
    }
    for (let q = 0; q < dev.nbTxQueues; q++) {
      const d = p.txq[q];
      out.push({ name: `tx_q${q}_copies`, value: d ? new Float64Array(d.counters)[XQ_COPIES]! : 0 });
    }
    out.push(...(p.cfg.steering.xstats?.() ?? []));
    return out;
  },
  xstatsReset(dev) {
    ops.statsReset!(dev);
    priv(dev).cfg.steering.xstatsReset?.();
  },
  flowOps: (dev) => priv(dev).flowOps,
  rxQueueIntrFds: (dev, q) => [...(priv(dev).rxq[q]?.fds ?? [])],
  describe(dev) {
    const p = priv(dev);
    const groups = p.cfg.queueMap.map((g, q) => `rxq ${q} <- netdev queue${g.length > 1 ? 's' : ''} ${g.join(', ')}`).join('; ');
    const busy = dev.started && p.rxq.some((d) => d?.busyPoll) ? `, busy polling (budget ${p.cfg.busyBudget})` : '';
    const state = dev.started ? `split off the kernel (${p.zeroCopy ? 'zero-copy' : 'copy'} mode${busy})` : 'with the kernel (port stopped)';
    return [
      `Kernel netdev: ${p.cfg.iface} (ifindex ${p.ifindex}), XDP ${p.cfg.mode} mode`,
      `Split queues: ${groups}; ${state}`,
      ...(p.flowOps ? [`Flow rules: ${p.flowOps.list().length}; unmatched traffic ${p.flowOps.isolated ? 'stays with the kernel' : 'goes to user space (flow isolate off)'}`] : []),
    ];
  },
};

/**
 * Creates an AF_XDP port for `device` on a netdev: what both net_af_xdp (vdev) and the bifurc
 * bus's generic driver call from their probe.
 */
export function createAfXdpPort(device: Device, ctx: Pick<ProbeContext, 'ethdev' | 'log'>, cfg: AfXdpConfig): DriverPort<AfXdpPrivate> {
  const label = device.name;
  const info = cfg.rings.getIfinfo();
  const have = info.rxQueues;
  const top = Math.max(...cfg.queueMap.flat());
  if (have > 0 && top >= have) {
    throw new DpkitError(`${label}: netdev queue ${top} asked, '${cfg.iface}' has ${have} rx queues (0..${have - 1}); lower start_queue/queue_count or add channels with ethtool -L`, 'EINVAL');
  }
  const p: AfXdpPrivate = {
    cfg, ifindex: info.ifindex, label, rxq: [], txq: [], rxPools: [], sockets: [], xskMap: undefined, steeringHandle: undefined,
    kstats: Array.from({ length: cfg.queueMap.length }, zeroKstats),
    split: [], zeroCopy: false, flowOps: undefined, warn: (m) => ctx.log.warn(m), warnedMtu: 0,
  };
  const dev = ctx.ethdev.allocate({
    name: device.name, device, driver: 'net_af_xdp', ops,
    fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
    mac: Uint8Array.from(info.mac), mtu: info.mtu, priv: p,
  });
  netdevModes(dev, { ifindex: info.ifindex, mac: [...info.mac], mtu: info.mtu, flags: info.flags });
  ctx.log.info(`${label}: ${cfg.iface} (ifindex ${info.ifindex}) netdev queues ${cfg.queueMap.map((g) => g.join('+')).join(', ')}, XDP ${cfg.mode} mode`);
  return dev;
}

export const driver = defineDriver({
  name: 'net_af_xdp',
  aliases: ['eth_af_xdp'],
  bus: 'vdev',
  drvFlags: 0,
  params,
  probe(device, ctx) {
    const v = ctx.params;
    if (!v.iface) throw new DpkitError(`${device.name}: devarg iface=<netdev> is required, e.g. --vdev=${device.name},iface=eth0`);
    refuseNetdevRival(device, v.iface);
    const rings = openAfXdp(v.iface, `${device.name} (AF_XDP)`);
    createAfXdpPort(device, ctx, {
      rings, ownsRings: true, iface: v.iface, queueMap: Array.from({ length: v.queue_count }, (_, q) => [v.start_queue + q]), sharedUmem: v.shared_umem,
      forceCopy: v.force_copy, mode: v.mode, steering: rings.redirectSteering(), fixCsum: v.fix_csum,
      busyBudget: v.busy_budget,
    });
  },
  remove: removePorts,
});

/**
 * The same PMD as the bifurc bus's generic driver: any netdev (any id) that an AF_XDP provider
 * opened, flagged BIFURC. The device's attachment (@dpkit/bifurc's XskAttachment) carries the
 * provider's handle, the queue map and the provider's steering (its flow classifier).
 */
export const bifurcDriver = defineDriver({
  name: 'net_af_xdp_bifurc',
  bus: 'bifurc',
  drvFlags: DrvFlags.BIFURC,
  idTable: [{ vendor: PCI_ANY_ID, device: PCI_ANY_ID }],
  params: {},
  probe(device, ctx) {
    const b = xskAttachment(device, 'net_af_xdp_bifurc');
    const dev = createAfXdpPort(device, ctx, {
      rings: b.rings, ownsRings: false, iface: b.iface, queueMap: b.queueMap, sharedUmem: true, forceCopy: false, mode: b.mode, steering: b.steering, fixCsum: true,
      busyBudget: 0,
    });
    priv(dev).flowOps = b.steering;
  },
  remove: removePorts,
});

export const drivers = [driver, bifurcDriver];
export default driver;
