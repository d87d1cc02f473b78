/**
 * net_ixgbe — the direct-ring ixgbe PMD of the bifurcated driver (see README.md).
 *
 * The kernel side owns the NIC: it reset it, brought the link up, programmed the MAC, RSS, the
 * filters and the packet buffers, and set RXCTRL.RXEN and DMATXCTL.TE. This PMD touches only
 * the queue pairs the kernel splits off to it, through @dpkit/bifurc's direct-ring-access API
 * (NicRings): at start it splits them (at the bus's queue offset), registers its DMA memory
 * (mapUmem), maps each queue's register block (map) and runs the datasheet's queue enable
 * sequences; at stop it runs the disable sequences, returns the queues and frees every mbuf.
 * The bursts (fastpath.ts) run the descriptor rings. Registers and descriptors are the shared
 * definitions of @dpkit/ixgbe-defs (regs, descriptors), section numbers those of the 82599
 * datasheet 322429.
 */
import { nicAttachment, type NicAttachment, type QueueRegisters } from '@dpkit/bifurc';
import { DpkitError, Mempool, MemoryManager, type Xstat } from '@dpkit/eal';
import type { MemoryRegion } from '@dpkit/eal/driver';
import { DrvFlags, defineDriver, mbufFreeBulk, removePorts, type DriverPort, type EthDevOps } from '@dpkit/eal/driver';
import { netdevModes, netdevModesApply, netdevModesRestore, netdevPortOps } from '@dpkit/eal/linux';
import { DESC_SIZE } from '@dpkit/ixgbe-defs/descriptors';
import {
  INTEL_VENDOR_ID, RXDCTL_ENABLE, SRRCTL_BSIZEPKT_SHIFT, SRRCTL_DESCTYPE_ADV_ONEBUF, SRRCTL_DROP_EN, TXDCTL_ENABLE,
} from '@dpkit/ixgbe-defs/regs';
import * as fastPath from './fastpath.js';
import {
  NONE, RDBAH_W, RDBAL_W, RDH_W, RDLEN_W, RDT_W, RXDCTL_W, RX_FIRST, RX_SLOTS, SRRCTL_W, TDBAH_W, TDBAL_W, TDH_W, TDLEN_W, TDT_W,
  TDWBAH_W, TDWBAL_W, TXC_COPIES, TXC_SLOTS, TXDCTL_W, TX_CLEAN, TX_FREE, TX_SLOTS, type IxgbeRxData, type IxgbeTxData,
} from './fastpath.js';

export type { IxgbeRxData, IxgbeTxData } from './fastpath.js';

/**
 * PF device ids of the 82599, X540 and X550 (IXGBE_DEV_ID_* in the shared base code's
 * ixgbe_type.h). VFs are not here: they have other queue registers.
 */
export const IXGBE_DEVICE_IDS = [
  // 82599
  0x10F7, 0x1514, 0x1517, 0x10F8, 0x10F9, 0x10FB, 0x10FC, 0x151C, 0x1529, 0x152A, 0x1507, 0x154D, 0x154A, 0x1558, 0x1557, 0x154F,
  // X540
  0x1528, 0x1560,
  // X550
  0x1563, 0x15D1,
] as const;

/** Descriptor counts (IXGBE_MIN_RING_DESC/MAX_RING_DESC; RDLEN/TDLEN are multiples of 128 bytes). */
export const MIN_RING_DESC = 64;
export const MAX_RING_DESC = 4096;
export const RING_DESC_ALIGN = 128 / DESC_SIZE;
/** 0 or absent: DPDK's defaults (DEFAULT_RX_FREE_THRESH, DEFAULT_TX_FREE_THRESH, DEFAULT_TX_RS_THRESH) */
export const DEFAULT_THRESH = 32;
/** TXDCTL.PTHRESH as DPDK programs it by default (HTHRESH and WTHRESH 0) */
const TX_PTHRESH = 32;
/** Ring memory per ring: room for the largest ring. */
const RING_BYTES = MAX_RING_DESC * DESC_SIZE;
/** Each DMA region gets a 4 GiB slot of IOVA space: IOVA = slot << 32, so a bus address is (slot, offset). */
const SLOT = 2 ** 32;
/** An enable bit is polled at most this many times, 1 ms apart (DPDK and Linux: 10 x 1 ms). */
const POLLS = 10;

interface IxgbePrivate {
  at: NicAttachment;
  label: string;
  memory: MemoryManager;
  rxq: (IxgbeRxData | undefined)[];
  txq: (IxgbeTxData | undefined)[];
  rxPools: (Mempool | undefined)[];
  /** descriptor-ring memory: a memfd region of the port's own, two rings per queue pair, and its 32-bit view */
  rings: MemoryRegion | undefined;
  ringWords: Uint32Array;
  /** IOVA slot of each pool or region registered with the NIC (they stay registered: no unmap_umem) */
  slots: Map<Mempool | MemoryRegion, number>;
  nextSlot: number;
  /** per pool id: its IOVA slot, shared with the tx fast paths */
  dmaHi: SharedArrayBuffer;
  /** netdev queues split off at start */
  split: number[];
  regs: QueueRegisters[];
  /** the register window's fd, for the fast path of every lcore */
  windowFd: number;
  /** per user queue, NIC_COUNTS words: what the NIC counted for it in earlier splits (see nicCounts) */
  nicDone: Float64Array;
  /** nicCounts at the last stats reset */
  nicBase: Float64Array;
  /** user queues the NIC keeps no counters of its own for (in this split) */
  nicMissing: number[];
  /** the driver's log (ctx.log at probe) */
  log: { warn(msg: string): void };
}

/** The NIC's per-queue counters (NicQueueStats), in this order, per user queue. */
const NIC_COUNTS = ['rxPackets', 'rxBytes', 'rxDropped', 'txPackets', 'txBytes'] as const;
const NIC_RX_DROPPED = 2;
/** A port has at most this many queue pairs (the NIC's 128). */
const MAX_QUEUES = 128;

/**
 * What the NIC counted for each user queue since the port was created: its per-queue statistics
 * registers (QPRC, QBRC, QPRDC, QPTC, QBTC), which only the kernel side can read, asked of the
 * provider (NicRings.queueStats, a control-channel request: stats ops only, never a burst).
 */
function nicCounts(p: IxgbePrivate): Float64Array {
  const out = p.nicDone.slice();
  if (!p.split.length || !p.at.rings.queueStats) return out;
  p.at.rings.queueStats(p.split).forEach((st, q) => {
    if (st) NIC_COUNTS.forEach((k, i) => { out[q * NIC_COUNTS.length + i]! += st[k]; });
  });
  return out;
}

/** Why a split queue has no NIC counters: the provider cannot read any, or the NIC had no stat index left. */
function nicMissingWhy(p: IxgbePrivate): string {
  return p.at.rings.queueStats ? `all of ${p.at.iface}'s stat indexes are in use` : `provider ${p.at.provider} cannot read them`;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Polls `bit` of register word `w` until it reads `set`; false after POLLS ms. */
async function poll(regs: Uint32Array, w: number, bit: number, set: boolean): Promise<boolean> {
  for (let i = 0; ; i++) {
    if (((Atomics.load(regs, w) & bit) !== 0) === set) return true;
    if (i === POLLS) return false;
    await sleep(1);
  }
}

/**
 * The fd of the register window that the provider's `map` mapped (QueueRegisters.fd, owned by
 * the provider's handle), which each lcore maps to reach the queue's registers.
 */
function windowFd(p: IxgbePrivate, r: QueueRegisters): number {
  if (r.fd < 0) throw new DpkitError(`${p.label}: provider ${p.at.provider} gives no fd of ${p.at.iface}'s register window, so worker lcores cannot reach the registers: net_ixgbe needs a provider that shares it (QueueRegisters.fd)`, 'ENOTSUP');
  return r.fd;
}

/** The IOVA slot of a pool's region or of a plain region, registering it with the NIC the first time. */
async function dmaSlot(p: IxgbePrivate, memory: Mempool | MemoryRegion): Promise<number> {
  let slot = p.slots.get(memory);
  if (slot === undefined) {
    // (the ring region is 2 x 64 KiB per queue pair, at most 16 MiB)
    if ('region' in memory && memory.region.size >= SLOT) throw new DpkitError(`${p.label}: mempool '${memory.name}' has ${memory.region.size} bytes; net_ixgbe registers pools of less than 4 GiB: create a smaller one`, 'EINVAL');
    slot = p.nextSlot++;
    p.slots.set(memory, slot);
  }
  await p.at.rings.mapUmem(memory, slot * SLOT);
  return slot;
}

/** Two rings per queue pair: rx queue q's at ring 2q, tx queue q's at 2q + 1 (the first word of each in the ring region). */
function ringWord(ring: number): number {
  return (ring * RING_BYTES) >> 2;
}

function dpdkTxCheck(p: IxgbePrivate, port: number, q: number, nbDesc: number, rs: number, free: number): void {
  // ixgbe_dev_tx_queue_setup's rules in its order, with its messages (DPDK v1.8)
  const fail = (why: string) => {
    throw new DpkitError(`${p.label}: ${why}`, 'EINVAL');
  };
  if (rs >= nbDesc - 2) fail(`tx_rs_thresh must be less than the number of TX descriptors minus 2. (tx_rs_thresh=${rs} port=${port} queue=${q})`);
  if (free >= nbDesc - 3) fail(`tx_rs_thresh must be less than the tx_free_thresh must be less than the number of TX descriptors minus 3. (tx_free_thresh=${free} port=${port} queue=${q})`);
  if (rs > free) fail(`tx_rs_thresh must be less than or equal to tx_free_thresh. (tx_free_thresh=${free} tx_rs_thresh=${rs} port=${port} queue=${q})`);
  if (nbDesc % rs !== 0) fail(`tx_rs_thresh must be a divisor of the number of TX descriptors. (tx_rs_thresh=${rs} port=${port} queue=${q})`);
}

function checkDesc(p: IxgbePrivate, kind: 'rx' | 'tx', nbDesc: number): void {
  if (!Number.isInteger(nbDesc) || nbDesc < MIN_RING_DESC || nbDesc > MAX_RING_DESC || nbDesc % RING_DESC_ALIGN !== 0) {
    throw new DpkitError(`${p.label}: ${nbDesc} ${kind} descriptors asked; the 82599 takes ${MIN_RING_DESC} to ${MAX_RING_DESC}, a multiple of ${RING_DESC_ALIGN}`, 'EINVAL');
  }
}

/** §4.6.7 receive initialization of one split queue (its block in `qr`), with `d`'s ring filled from `pool`. */
async function enableRx(p: IxgbePrivate, q: number, d: IxgbeRxData, pool: Mempool, qr: QueueRegisters, poolSlot: number): Promise<void> {
  const R = qr.regs, w = qr.rx;
  const words = p.ringWords, base = d.ringWord, n = d.nbDesc;
  const sw = new Uint32Array(d.sw);
  const mbufs = new Uint32Array(n);
  if (!pool.getBulk(mbufs, 0, n)) {
    throw new DpkitError(`${p.label}: mempool '${pool.name}' has ${pool.availCount()} free mbufs, rx queue ${q} needs ${n} for its ring; create a larger pool`, 'ENOMEM');
  }
  // 1. every descriptor in read format (§7.1.6.1): buffer address, header address 0 (DD clear)
  for (let i = 0; i < n; i++) {
    const m = mbufs[i]!;
    sw[i] = m;
    words[base + 4 * i] = pool.bufOffset(m) + pool.headroom;
    words[base + 4 * i + 1] = poolSlot;
    words[base + 4 * i + 2] = 0;
    words[base + 4 * i + 3] = 0;
  }
  new Uint32Array(d.state).fill(0).fill(NONE, RX_FIRST, RX_SLOTS);
  // 2. ring base and length (§8.2.3.8.1-3)
  R[w + RDBAL_W] = (base << 2) >>> 0;
  R[w + RDBAH_W] = p.slots.get(p.rings!)!;
  R[w + RDLEN_W] = n * DESC_SIZE;
  // 3. SRRCTL (§8.2.3.8.7), in the queue's block: advanced one-buffer, drop when no descriptor, buffer size in KB
  R[w + SRRCTL_W] = (SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | ((pool.eltSize - pool.headroom) >> SRRCTL_BSIZEPKT_SHIFT)) >>> 0;
  // 4. head and tail 0, then enable and wait until the enable bit reads 1
  R[w + RDH_W] = 0;
  R[w + RDT_W] = 0;
  Atomics.store(R, w + RXDCTL_W, (R[w + RXDCTL_W]! | RXDCTL_ENABLE) >>> 0);
  if (!await poll(R, w + RXDCTL_W, RXDCTL_ENABLE, true)) {
    throw new DpkitError(`${p.label}: ${p.at.iface} rx queue ${qr.queue} did not come up (RXDCTL.ENABLE still 0 after ${POLLS} ms)`, 'EIO');
  }
  // 5. only now the tail: all descriptors but one are the hardware's
  Atomics.store(R, w + RDT_W, n - 1);
}

/** §4.6.8 transmit initialization of one split queue. */
async function enableTx(p: IxgbePrivate, d: IxgbeTxData, qr: QueueRegisters): Promise<void> {
  const R = qr.regs, t = qr.tx;
  p.ringWords.fill(0, d.ringWord, d.ringWord + 4 * d.nbDesc);
  new Uint32Array(d.sw).fill(NONE);
  const st = new Uint32Array(d.state).fill(0);
  // one descriptor stays unused, so the tail never catches up with the head (DPDK's nb_tx_free = N - 1)
  st[TX_FREE] = d.nbDesc - 1;
  st[TX_CLEAN] = d.nbDesc - 1;
  R[t + TDBAL_W] = (d.ringWord << 2) >>> 0;
  R[t + TDBAH_W] = p.slots.get(p.rings!)!;
  R[t + TDLEN_W] = d.nbDesc * DESC_SIZE;
  R[t + TDH_W] = 0; // the head is writable only while the queue is disabled
  R[t + TDT_W] = 0;
  R[t + TDWBAL_W] = 0; // no head write-back: completion is DD in RS descriptors
  R[t + TDWBAH_W] = 0;
  Atomics.store(R, t + TXDCTL_W, (TXDCTL_ENABLE | TX_PTHRESH) >>> 0);
  if (!await poll(R, t + TXDCTL_W, TXDCTL_ENABLE, true)) {
    throw new DpkitError(`${p.label}: ${p.at.iface} tx queue ${qr.queue} did not come up (TXDCTL.ENABLE still 0 after ${POLLS} ms)`, 'EIO');
  }
}

/** Frees the mbufs a ring holds (handles in `sw`, NONE elsewhere) and the extra ones given. */
function freeHeld(sw: Uint32Array, extra: number[]): void {
  const out = new Uint32Array(sw.length + extra.length);
  let k = 0;
  for (let i = 0; i < sw.length; i++) {
    if (sw[i] !== NONE) out[k++] = sw[i]!;
    sw[i] = NONE;
  }
  for (const m of extra) if (m !== NONE) out[k++] = m;
  if (k) mbufFreeBulk(out, 0, k);
}

/**
 * Stops the queues and gives everything back, each step best-effort (the first error is thrown
 * at the end): tx waits until TDH = TDT and is disabled, rx is disabled (DPDK's queue stop),
 * the queue pairs go back to the kernel (the device stops them before it answers), then every
 * mbuf the rings held is freed.
 */
async function stopPort(dev: DriverPort<IxgbePrivate>): Promise<void> {
  const p = dev.priv;
  let first: { err: unknown } | undefined;
  for (const qr of p.regs) {
    const R = qr.regs;
    for (let i = 0; i < POLLS && Atomics.load(R, qr.tx + TDH_W) !== Atomics.load(R, qr.tx + TDT_W); i++) await sleep(1);
    Atomics.store(R, qr.tx + TXDCTL_W, (R[qr.tx + TXDCTL_W]! & ~TXDCTL_ENABLE) >>> 0);
    Atomics.store(R, qr.rx + RXDCTL_W, (R[qr.rx + RXDCTL_W]! & ~RXDCTL_ENABLE) >>> 0);
    if (!await poll(R, qr.tx + TXDCTL_W, TXDCTL_ENABLE, false) || !await poll(R, qr.rx + RXDCTL_W, RXDCTL_ENABLE, false)) {
      first ??= { err: new DpkitError(`${p.label}: ${p.at.iface} queue ${qr.queue} did not stop`, 'EIO') };
    }
  }
  p.regs = [];
  try {
    // the NIC's counters of these queues go with the split: keep what they counted
    p.nicDone = nicCounts(p);
  } catch (err) {
    first ??= { err };
  }
  try {
    await p.at.rings.returnQueuePairs(p.split);
  } catch (err) {
    first ??= { err };
  }
  p.split = [];
  netdevModesRestore(dev, p.at.iface);
  for (const d of p.rxq) {
    if (!d) continue;
    const st = new Uint32Array(d.state);
    freeHeld(new Uint32Array(d.sw), [st[RX_FIRST]!]);
    st.fill(0).fill(NONE, RX_FIRST, RX_SLOTS);
  }
  for (const d of p.txq) if (d) freeHeld(new Uint32Array(d.sw), []);
  if (first) throw first.err;
}

const netdevOps = netdevPortOps<IxgbePrivate>((dev) => dev.priv.at.iface);

const ops: EthDevOps<IxgbePrivate, IxgbeRxData, IxgbeTxData> = {
  ...netdevOps,
  infoGet(dev) {
    const p = dev.priv;
    return {
      ifName: p.at.iface, maxRxQueues: p.at.qpairs, maxTxQueues: p.at.qpairs, maxMacAddrs: 1, minMtu: 68, maxMtu: 9710, maxRxPktLen: 9728,
      minRxBufSize: 1024 + 128, rxDescLimits: { min: MIN_RING_DESC, max: MAX_RING_DESC, align: RING_DESC_ALIGN },
      txDescLimits: { min: MIN_RING_DESC, max: MAX_RING_DESC, align: RING_DESC_ALIGN },
      rxPoolNeeds: { memory: 'memfd', why: 'the NIC DMAs into the pool: it is registered with it (map_umem) by its memfd' },
    };
  },
  configure: () => undefined,
  rxQueueSetup(dev, q, nbDesc, _socket, conf, pool) {
    const p = dev.priv;
    checkDesc(p, 'rx', nbDesc);
    const thresh = conf.freeThresh || DEFAULT_THRESH;
    // the batched refill's needs (DPDK's bulk-allocation preconditions; DPDK's shared Intel message for the first)
    if (thresh >= nbDesc) throw new DpkitError(`${p.label}: rx_free_thresh (${thresh}) must be less than ${nbDesc}`, 'EINVAL');
    if (nbDesc % thresh !== 0) throw new DpkitError(`${p.label}: rx_free_thresh (${thresh}) must be a divisor of the number of RX descriptors (${nbDesc})`, 'EINVAL');
    if (pool.region.kind !== 'memfd') throw new DpkitError(`${p.label}: rx pool '${pool.name}' is not in memfd memory; the NIC can reach only memfd pools: create it with memory: 'memfd'`, 'EINVAL');
    if (pool.eltSize - pool.headroom < 1024) throw new DpkitError(`${p.label}: rx pool '${pool.name}' has ${pool.eltSize - pool.headroom}-byte buffers; SRRCTL.BSIZEPACKET counts 1 KB units: give buffers of at least 1024 bytes after the headroom`, 'EINVAL');
    const d: IxgbeRxData = {
      nbDesc, freeThresh: thresh, sw: new SharedArrayBuffer(4 * nbDesc), state: new SharedArrayBuffer(4 * RX_SLOTS),
      regsFd: -1, block: 0, ring: undefined, ringWord: 0, poolHi: 0,
    };
    new Uint32Array(d.sw).fill(NONE);
    new Uint32Array(d.state).fill(NONE, RX_FIRST, RX_SLOTS);
    p.rxq[q] = d;
    p.rxPools[q] = pool;
    return d;
  },
  txQueueSetup(dev, q, nbDesc, _socket, conf) {
    const p = dev.priv;
    checkDesc(p, 'tx', nbDesc);
    const rs = conf.rsThresh || DEFAULT_THRESH;
    const free = conf.freeThresh || DEFAULT_THRESH;
    dpdkTxCheck(p, dev.portId, q, nbDesc, rs, free);
    const d: IxgbeTxData = {
      nbDesc, rsThresh: rs, freeThresh: free, sw: new SharedArrayBuffer(4 * nbDesc), rs: new SharedArrayBuffer(4 * nbDesc),
      state: new SharedArrayBuffer(4 * TX_SLOTS), counters: new SharedArrayBuffer(8 * TXC_SLOTS), regsFd: -1, block: 0, ring: undefined,
      ringWord: 0, dmaHi: p.dmaHi, bounce: undefined,
    };
    new Uint32Array(d.sw).fill(NONE);
    p.txq[q] = d;
    return d;
  },
  rxQueueRelease(dev, q) {
    dev.priv.rxq[q] = undefined;
    dev.priv.rxPools[q] = undefined;
  },
  txQueueRelease(dev, q) {
    dev.priv.txq[q] = undefined;
  },
  async start(dev) {
    const p = dev.priv;
    const n = Math.max(dev.nbRxQueues, dev.nbTxQueues);
    // one line at once if another process (or port) holds any of these queues
    p.split = await p.at.rings.splitQueuePairs(n, p.at.qoff, p.label);
    try {
      const nic = p.at.rings.queueStats?.(p.split) ?? p.split.map(() => undefined);
      p.nicMissing = nic.flatMap((st, q) => (st ? [] : [q]));
      for (const q of p.nicMissing) {
        p.log.warn(`${p.label}: ${p.at.iface} keeps no statistics counters of its own for queue ${p.split[q]} (${nicMissingWhy(p)}): what the NIC drops for it is not in imissed; dpkit-ethtool -S ${p.at.iface} counts it (rx_no_descriptors)`);
      }
      if (!p.rings || p.rings.size < 2 * n * RING_BYTES) {
        // a larger port: new ring memory (the smaller region stays registered with the NIC: no unmap_umem)
        p.rings = p.memory.reserve(`${p.label}_rings${p.nextSlot}`, 2 * n * RING_BYTES, 0, 'memfd');
        p.ringWords = new Uint32Array(p.rings.buffer);
      }
      const ring = p.rings.descriptor();
      await dmaSlot(p, p.rings);
      const dmaHi = new Uint32Array(p.dmaHi).fill(0);
      for (const pool of new Set(p.rxPools.filter((x): x is Mempool => x !== undefined))) dmaHi[pool.id] = await dmaSlot(p, pool);
      for (let q = 0; q < n; q++) p.regs.push(await p.at.rings.map(p.split[q]!));
      p.windowFd = windowFd(p, p.regs[0]!);
      for (let q = 0; q < dev.nbTxQueues; q++) {
        const d = p.txq[q]!;
        Object.assign(d, { regsFd: p.windowFd, block: p.regs[q]!.tx, ring, ringWord: ringWord(2 * q + 1) });
        d.bounce = (p.rxPools[q] ?? p.rxPools[0])?.descriptor();
        await enableTx(p, d, p.regs[q]!);
      }
      for (let q = 0; q < dev.nbRxQueues; q++) {
        const d = p.rxq[q]!, pool = p.rxPools[q]!;
        Object.assign(d, { regsFd: p.windowFd, block: p.regs[q]!.rx, ring, ringWord: ringWord(2 * q), poolHi: dmaHi[pool.id]! });
        await enableRx(p, q, d, pool, p.regs[q]!, dmaHi[pool.id]!);
      }
      // the port's promiscuous/all-multicast modes on the kernel interface (what it changes is undone at stop)
      netdevModesApply(dev, p.at.iface);
    } catch (err) {
      await stopPort(dev).catch(() => undefined);
      throw err;
    }
  },
  stop: (dev) => stopPort(dev),
  close(dev) {
    const p = dev.priv;
    p.windowFd = -1; // the provider's handle owns the fd
    // the NIC keeps its mapping of the ring memory until the provider's handle closes (no unmap_umem)
    if (p.rings) p.memory.free(p.rings);
    p.rings = undefined;
    p.ringWords = new Uint32Array(0);
    p.rxq = [];
    p.txq = [];
    p.rxPools = [];
  },
  extraStats(dev) {
    // frames the NIC dropped for want of a free descriptor on this port's rx queues (QPRDC, DROP_EN)
    const p = dev.priv, now = nicCounts(p);
    let imissed = 0;
    for (let q = 0; q < dev.nbRxQueues; q++) imissed += now[q * NIC_COUNTS.length + NIC_RX_DROPPED]! - p.nicBase[q * NIC_COUNTS.length + NIC_RX_DROPPED]!;
    return { imissed };
  },
  statsReset(dev) {
    dev.priv.nicBase = nicCounts(dev.priv);
  },
  xstatsGet(dev): Xstat[] {
    const p = dev.priv, now = nicCounts(p);
    const nic = (dir: 'rx' | 'tx', q: number, names: string[], first: number) => names.map((name, i) => ({
      name: `${dir}_q${q}_nic_${name}`, value: now[q * NIC_COUNTS.length + first + i]! - p.nicBase[q * NIC_COUNTS.length + first + i]!,
    }));
    return [
      ...p.txq.slice(0, dev.nbTxQueues).map((d, q) => ({ name: `tx_q${q}_copies`, value: d ? new Float64Array(d.counters)[TXC_COPIES]! : 0 })),
      // none for a queue the NIC keeps no counters of its own for (not a 0 that counts nothing)
      ...Array.from({ length: dev.nbRxQueues }, (_, q) => (p.nicMissing.includes(q) ? [] : nic('rx', q, ['packets', 'bytes', 'dropped'], 0))).flat(),
      ...Array.from({ length: dev.nbTxQueues }, (_, q) => (p.nicMissing.includes(q) ? [] : nic('tx', q, ['packets', 'bytes'], 3))).flat(),
    ];
  },
  xstatsReset(dev) {
    // ethdev's xstats reset runs statsReset first: the NIC's counters have their base already
    for (const d of dev.priv.txq) if (d) new Float64Array(d.counters).fill(0);
  },
  flowOps: (dev) => dev.priv.at.steering,
  // DPDK's ixgbe_dev_tx_queue_setup rules and lines (dpdkTxCheck), not ethdev's own rsThresh > freeThresh check
  checksTxThresholds: true,
  describe(dev) {
    const p = dev.priv;
    const queues = Array.from({ length: p.at.qpairs }, (_, q) => `queue ${q} <- ${p.at.iface} queue ${p.at.qoff + q}`).join('; ');
    return [
      `Kernel netdev: ${p.at.iface} (ifindex ${p.at.ifinfo.ifindex}), provider ${p.at.provider}`,
      `Split queues: ${queues}; ${dev.started ? 'split off the kernel, driven on their descriptor rings' : 'with the kernel (port stopped)'}`,
      ...(p.at.steering ? [`Flow rules: ${p.at.steering.list().length}; unmatched traffic stays with the kernel`] : []),
      ...(p.at.steering?.describe ? [`NIC filters of ${p.at.iface}:`, ...p.at.steering.describe().map((l) => `  ${l}`)] : []),
      ...(p.nicMissing.length ? [`NIC counters: none for queue${p.nicMissing.length > 1 ? 's' : ''} ${p.nicMissing.join(',')} (${nicMissingWhy(p)}): what the NIC drops for ${p.nicMissing.length > 1 ? 'them' : 'it'} is not in imissed`] : []),
    ];
  },
};

export const driver = defineDriver({
  name: 'net_ixgbe',
  bus: 'bifurc',
  drvFlags: DrvFlags.BIFURC,
  idTable: IXGBE_DEVICE_IDS.map((device) => ({ vendor: INTEL_VENDOR_ID, device })),
  params: {},
  probe(device, ctx) {
    const at = nicAttachment(device, 'net_ixgbe');
    const info = at.rings.getIfinfo();
    const dev = ctx.ethdev.allocate({
      name: device.name, device, driver: 'net_ixgbe', ops,
      fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
      mac: Uint8Array.from(info.mac), mtu: info.mtu,
      priv: {
        at, label: device.name, memory: ctx.memory, rxq: [], txq: [], rxPools: [], rings: undefined, ringWords: new Uint32Array(0), slots: new Map(), nextSlot: 1,
        dmaHi: new SharedArrayBuffer(4 * 256), split: [], regs: [], windowFd: -1,
        nicDone: new Float64Array(MAX_QUEUES * NIC_COUNTS.length), nicBase: new Float64Array(MAX_QUEUES * NIC_COUNTS.length), nicMissing: [], log: ctx.log,
      },
    });
    netdevModes(dev, { ifindex: info.ifindex, mac: [...info.mac], mtu: info.mtu, flags: info.flags });
    ctx.log.info(`${device.name}: ${at.iface} queues ${at.qoff}..${at.qoff + at.qpairs - 1} (provider ${at.provider})`);
  },
  remove: removePorts,
});

export const drivers = [driver];
export default driver;
