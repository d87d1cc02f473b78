/**
 * net_af_packet — a PMD for any Linux netdev through AF_PACKET sockets with TPACKET_V3 rings
 * (see README.md): the fallback datapath where AF_XDP is not available. It does not split
 * the netdev: the kernel stack gets every frame too.
 *
 * Control path: probe reads the netdev; start opens one socket per queue pair (a fanout group
 * when there are several) with its rx and tx rings; stop closes them after every lcore has
 * released its mapping. The fast path (fastpath.ts) runs the rings.
 */
import { DpkitError, type Xstat } from '@dpkit/eal';
import { defineDriver, defineParams, removePorts, type DriverPort, type EthDevOps } from '@dpkit/eal/driver';
import { kernelError, linux, netdevModes, netdevModesApply, netdevModesRestore, netdevOpen, netdevPortOps } from '@dpkit/eal/linux';
import * as fastPath from './fastpath.js';
import { PC_RX_TOO_LONG, PC_SLOTS, PC_TX_RING_FULL, PC_TX_TOO_LONG, PS_SLOTS, TX_DATA_OFFSET, type PacketQueueData } from './fastpath.js';

const PAGE = 4096;

export const params = defineParams({
  iface: { type: 'string', syntax: '<netdev>', help: 'the Linux netdev' },
  qpairs: { type: 'int', default: 1, min: 1, max: 16, help: 'queue pairs (one socket each, in a fanout group)' },
  blocksz: { type: 'int', default: PAGE, min: PAGE, max: 1 << 24, help: 'rx ring block size, a multiple of the page size' },
  framesz: { type: 'int', default: 2048, min: 128, max: 65536, help: 'tx frame size, a multiple of 16' },
  framecnt: { type: 'int', default: 512, min: 8, max: 1 << 20, help: 'frames per ring' },
  qdisc_bypass: { type: 'bool', default: false, help: "tx skips the netdev's queueing discipline" },
  retire_tov: { type: 'int', default: 1, min: 1, max: 1000, help: 'ms before a partly filled rx block is handed over' },
});

/** PACKET_FANOUT_HASH with PACKET_FANOUT_FLAG_DEFRAG: one flow, one socket */
const FANOUT_HASH_DEFRAG = 0 | 0x8000;

interface Geometry {
  blockSize: number;
  blockCount: number;
  frameSize: number;
  txFrames: number;
  retireMs: number;
  qdiscBypass: boolean;
}

interface KernelCounts {
  drops: number;
  freezeCount: number;
}

interface PacketPrivate {
  iface: string;
  ifindex: number;
  label: string;
  qpairs: number;
  geo: Geometry;
  queues: PacketQueueData[];
  /** kernel counters per queue pair, accumulated (the kernel zeroes them at each read) */
  kernel: KernelCounts[];
  fanoutId: number;
}

let fanoutSeq = 0;

/** The port as this driver's ops see it; rx and tx queue q share the queue pair's data. */
type PacketPort = DriverPort<PacketPrivate>;

/** Checks the devargs' ring geometry the way the kernel will, with a fix in the message. */
function geometry(label: string, v: { blocksz: number; framesz: number; framecnt: number; retire_tov: number; qdisc_bypass: boolean }): Geometry {
  const fail = (what: string) => { throw new DpkitError(`${label}: ${what}`, 'EINVAL'); };
  if (v.blocksz % PAGE !== 0) fail(`blocksz=${v.blocksz} must be a multiple of the page size (${PAGE})`);
  if (v.framesz % 16 !== 0) fail(`framesz=${v.framesz} must be a multiple of 16`);
  if (v.framesz > v.blocksz) fail(`framesz=${v.framesz} is larger than blocksz=${v.blocksz}; raise blocksz`);
  const bytes = v.framesz * v.framecnt;
  const blockCount = Math.ceil(bytes / v.blocksz);
  if (blockCount < 2) fail(`framesz × framecnt = ${bytes} bytes makes fewer than 2 blocks of ${v.blocksz}; raise framecnt`);
  return { blockSize: v.blocksz, blockCount, frameSize: v.framesz, txFrames: v.framecnt, retireMs: v.retire_tov, qdiscBypass: v.qdisc_bypass };
}

function readKernel(fd: number, into: KernelCounts): void {
  const k = linux().packetStatistics(fd);
  into.drops += k.drops;
  into.freezeCount += k.freezeCount;
}

function kernelNow(p: PacketPrivate): KernelCounts[] {
  p.queues.forEach((d, q) => { if (d.fd >= 0) readKernel(d.fd, p.kernel[q]!); });
  return p.kernel;
}

function closeSockets(p: PacketPrivate): void {
  p.queues.forEach((d, q) => {
    if (d.fd < 0) return;
    readKernel(d.fd, p.kernel[q]!);
    linux().close(d.fd);
    d.fd = -1;
  });
}

const ops: EthDevOps<PacketPrivate, PacketQueueData, PacketQueueData> = {
  ...netdevPortOps((dev: PacketPort) => dev.priv.iface),
  infoGet(dev) {
    const p = dev.priv;
    const maxRxPktLen = p.geo.frameSize - TX_DATA_OFFSET;
    return {
      ifName: p.iface, maxRxQueues: p.qpairs, maxTxQueues: p.qpairs, maxMacAddrs: 1,
      minMtu: 68, maxMtu: maxRxPktLen - 18, maxRxPktLen, minRxBufSize: 256,
      // the rings are sized by blocksz/framesz/framecnt; descriptor counts are not used
      rxDescLimits: { min: 1, max: 65535, align: 1 }, txDescLimits: { min: 1, max: 65535, align: 1 },
    };
  },
  configure() {
    // queue counts are checked by ethdev against maxRxQueues/maxTxQueues (qpairs)
  },
  rxQueueSetup(dev, q, _nbDesc, _socket, _conf, pool) {
    const room = pool.eltSize - pool.headroom;
    if (room < dev.mtu + 18) {
      throw new DpkitError(`${dev.priv.label}: rx pool '${pool.name}' holds ${room} bytes per mbuf; frames of MTU ${dev.mtu} need ${dev.mtu + 18}: use a pool with a larger data room or lower the MTU`, 'EINVAL');
    }
    return queueData(dev, q);
  },
  txQueueSetup: (dev, q) => queueData(dev, q),
  async start(dev) {
    const p = dev.priv;
    const l = linux(p.label);
    const n = Math.max(dev.nbRxQueues, dev.nbTxQueues);
    const mtu = l.ifInfo(p.iface).mtu;
    if (p.geo.frameSize - TX_DATA_OFFSET < mtu + 18) {
      throw new DpkitError(`${p.label}: framesz=${p.geo.frameSize} holds frames of ${p.geo.frameSize - TX_DATA_OFFSET} bytes; ${p.iface}'s MTU ${mtu} needs ${mtu + 18}: raise framesz to ${Math.ceil((mtu + 18 + TX_DATA_OFFSET) / 16) * 16} or lower the MTU`, 'EINVAL');
    }
    try {
      for (let q = 0; q < n; q++) {
        const d = p.queues[q]!;
        const fanout = n > 1 ? (p.fanoutId | (FANOUT_HASH_DEFRAG << 16)) >>> 0 : 0;
        const o = l.packetOpen(p.ifindex, {
          blockSize: p.geo.blockSize, blockCount: p.geo.blockCount, frameSize: p.geo.frameSize, txFrames: p.geo.txFrames,
          retireMs: p.geo.retireMs, qdiscBypass: p.geo.qdiscBypass ? 1 : 0, fanout,
        });
        d.fd = o.fd;
        d.rxBytes = o.rxBytes;
        d.txBytes = o.txBytes;
        d.txFrames = o.txFrames;
        new Int32Array(d.state).fill(0);
      }
      netdevModesApply(dev, p.iface);
    } catch (err) {
      closeSockets(p);
      netdevModesRestore(dev, p.iface);
      const code = (err as { code?: string }).code;
      const hint = code === 'EPERM' ? 'run as root or with CAP_NET_RAW'
        : code === 'ENOMEM' ? 'the rings need locked memory: lower framecnt or raise RLIMIT_MEMLOCK' : '';
      throw kernelError(err, `${p.label}: cannot open an AF_PACKET socket on ${p.iface}`, hint);
    }
  },
  stop(dev) {
    // every lcore released its ring mappings before stop; the sockets go now
    closeSockets(dev.priv);
    netdevModesRestore(dev, dev.priv.iface);
  },
  close(dev) {
    dev.priv.queues = [];
  },
  extraStats(dev) {
    const k = kernelNow(dev.priv);
    return { imissed: k.reduce((a, c) => a + c.drops, 0), oerrors: 0 };
  },
  statsReset(dev) {
    const p = dev.priv;
    kernelNow(p);
    for (const k of p.kernel) {
      k.drops = 0;
      k.freezeCount = 0;
    }
    for (const d of p.queues) if (d) new Float64Array(d.counters).fill(0);
  },
  xstatsGet(dev): Xstat[] {
    const p = dev.priv;
    const k = kernelNow(p);
    const out: Xstat[] = [];
    for (let q = 0; q < dev.nbRxQueues; q++) {
      const c = p.queues[q] ? new Float64Array(p.queues[q]!.counters) : new Float64Array(PC_SLOTS);
      out.push({ name: `rx_q${q}_kernel_drops`, value: k[q]?.drops ?? 0 });
      out.push({ name: `rx_q${q}_freeze_count`, value: k[q]?.freezeCount ?? 0 });
      out.push({ name: `rx_q${q}_truncated`, value: c[PC_RX_TOO_LONG]! });
    }
    for (let q = 0; q < dev.nbTxQueues; q++) {
      const c = p.queues[q] ? new Float64Array(p.queues[q]!.counters) : new Float64Array(PC_SLOTS);
      out.push({ name: `tx_q${q}_ring_full`, value: c[PC_TX_RING_FULL]! });
      out.push({ name: `tx_q${q}_too_long`, value: c[PC_TX_TOO_LONG]! });
    }
    return out;
  },
  xstatsReset(dev) {
    ops.statsReset!(dev);
  },
  rxQueueIntrFds: (dev, q) => {
    const d = dev.priv.queues[q];
    return d && d.fd >= 0 ? [d.fd] : [];
  },
  describe(dev) {
    const p = dev.priv;
    const g = p.geo;
    return [
      `Kernel netdev: ${p.iface} (ifindex ${p.ifindex}), AF_PACKET TPACKET_V3; not split: the kernel also receives every frame`,
      `Rings per queue pair: rx ${g.blockCount} blocks of ${g.blockSize} (retire ${g.retireMs} ms), tx ${g.txFrames} frames of ${g.frameSize}${p.qpairs > 1 ? `; fanout hash over ${p.qpairs} sockets` : ''}`,
    ];
  },
};

/** Queue pair q's shared data (rx and tx queue q share one socket). */
function queueData(dev: PacketPort, q: number): PacketQueueData {
  const p = dev.priv;
  let d = p.queues[q];
  if (!d) {
    d = {
      fd: -1, rxBytes: 0, txBytes: 0, blockSize: p.geo.blockSize, blockCount: p.geo.blockCount, frameSize: p.geo.frameSize,
      txFrames: p.geo.txFrames, state: new SharedArrayBuffer(PS_SLOTS * 4), counters: new SharedArrayBuffer(PC_SLOTS * 8),
    };
    p.queues[q] = d;
  }
  return d;
}

export const driver = defineDriver({
  name: 'net_af_packet',
  aliases: ['eth_af_packet'],
  bus: 'vdev',
  drvFlags: 0,
  params,
  probe(device, ctx) {
    const v = ctx.params;
    const label = device.name;
    if (!v.iface) throw new DpkitError(`${label}: devarg iface=<netdev> is required, e.g. --vdev=${label},iface=eth0`);
    const geo = geometry(label, v);
    const id = netdevOpen(v.iface, `${label} (AF_PACKET)`);
    const p: PacketPrivate = {
      iface: v.iface, ifindex: id.ifindex, label, qpairs: v.qpairs, geo, queues: [],
      kernel: Array.from({ length: v.qpairs }, () => ({ drops: 0, freezeCount: 0 })),
      fanoutId: ((process.pid * 31 + id.ifindex * 7 + fanoutSeq++) & 0xffff) >>> 0,
    };
    const dev = ctx.ethdev.allocate({
      name: device.name, device, driver: 'net_af_packet', ops,
      fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
      mac: Uint8Array.from(id.mac), mtu: id.mtu, priv: p,
    });
    netdevModes(dev, id);
    ctx.log.info(`${label}: ${v.iface} (ifindex ${id.ifindex}), ${v.qpairs} queue pair(s), TPACKET_V3 rx ${geo.blockCount}×${geo.blockSize} B, tx ${geo.txFrames}×${geo.frameSize} B`);
  },
  remove: removePorts,
});

export const drivers = [driver];
export default driver;
