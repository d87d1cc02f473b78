/**
 * The csum and noisy engines and `set fwd MODE retry`, on packet bytes and counts (DPDK's
 * csumonly.c, noisy_vnf.c, and the engines' tx retry). Two net_ring ports in this process,
 * each receiving what it sends; the engine runs here, a burst at a time: frames go in port 0's
 * ring, the engine forwards, and what comes out of the tx port's ring is compared byte for byte.
 * The checksums the tests expect are computed here, independently of the engine's code.
 */
import test from 'ava';
import { Eal, mbufDataOffset, mbufFreeBulk, mbufPool, mbufDataLen, type FastPathModule, type Mempool, type RxQueue, type TxQueue } from '@dpkit/eal';
import { defineDriver } from '@dpkit/eal/driver';
import { driver as net_ring } from '@dpkit/pmd-ring';
import { FwdStat, type ForwardEngine, type FwdStream } from '../fwd/engine.js';
import { buildStreams, releaseStreams } from '../fwd/lcore.js';
import { engineBegin, engineTarget } from '../fwd/registry.js';
import { RetryTxQueue } from '../fwd/engines/retry.js';
import { parseTestpmdArgs } from '../params.js';
import { Testpmd } from '../testpmd.js';

let eal: Eal;
let app: Testpmd;
let pool: Mempool;
const rings = new Map<number, { rx: RxQueue; tx: TxQueue }>();

// each port gets its own MAC (net_ring's are all zero), so the bytes show which one was written
const ringDriver = defineDriver({
  ...net_ring,
  async probe(device, ctx) {
    await net_ring.probe(device, ctx);
    for (const id of device.ports) ctx.ethdev.get(id).mac = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x50 + id);
  },
});

test.before(async () => {
  eal = (await Eal.init(['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', `--file-prefix=csum-${process.pid}`], { drivers: [ringDriver] }))!;
  app = new Testpmd(eal, parseTestpmdArgs(['--eth-peer=1,02:00:00:00:00:0b']), () => undefined);
  await app.init();
  for (const port of [0, 1]) {
    const dev = eal.ethdevs.get(port);
    const rd = dev.queueDescriptor('rx', 0);
    const td = dev.queueDescriptor('tx', 0);
    rings.set(port, {
      rx: ((await import(rd.module)) as FastPathModule).createRxQueue(rd),
      tx: ((await import(td.module)) as FastPathModule).createTxQueue(td),
    });
  }
  pool = eal.mempoolLookup('mb_pool_0')!;
});

test.after.always(async () => {
  await app.shutdown();
  await eal.cleanup();
});

// ---- reference checksums, written for the tests ----------------------------------------------

/** ones'-complement sum of 16-bit big-endian words */
function onesSum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  while (s >= 0x10000) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}
const csum16 = (bytes: number[]) => 0xffff - onesSum(bytes);

/** CRC32c bit by bit (RFC 3720's definition) */
function crc32c(bytes: number[]): number {
  let crc = 0xffffffff;
  for (const x of bytes) {
    crc ^= x;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('the reference CRC32c gives the standard check value', (t) => {
  t.is(crc32c([...Buffer.from('123456789')]), 0xe3069283);
});

const w16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const macBytes = (s: string) => s.split(':').map((x) => parseInt(x, 16));
const ipBytes = (s: string) => s.split('.').map(Number);
const V6A = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
const V6B = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2];

interface L4Spec { proto: 6 | 17 | 132; sport: number; dport: number; data: number[]; zeroUdp?: boolean }

/** An L4 segment with its checksum right for the pseudo-header of `src`/`dst`. */
function segment(l: L4Spec, src: number[], dst: number[]): number[] {
  const ports = [...w16(l.sport), ...w16(l.dport)];
  if (l.proto === 132) {
    const seg = [...ports, 0, 0, 0, 1, 0, 0, 0, 0, ...l.data];
    const c = crc32c(seg);
    seg.splice(8, 4, c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24);
    return seg;
  }
  const seg = l.proto === 17 ? [...ports, ...w16(8 + l.data.length), 0, 0, ...l.data]
    : [...ports, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x10, 0x20, 0x00, 0, 0, 0, 0, ...l.data];
  if (l.zeroUdp) return seg;
  let c = csum16([...src, ...dst, 0, l.proto, ...w16(seg.length), ...seg]);
  if (c === 0 && l.proto === 17) c = 0xffff;
  seg.splice(l.proto === 17 ? 6 : 16, 2, ...w16(c));
  return seg;
}

function ipv4Packet(src: string, dst: string, l: L4Spec): number[] {
  const seg = segment(l, ipBytes(src), ipBytes(dst));
  const h = [0x45, 0, ...w16(20 + seg.length), 0xab, 0xcd, 0x40, 0, 64, l.proto, 0, 0, ...ipBytes(src), ...ipBytes(dst)];
  h.splice(10, 2, ...w16(csum16(h)));
  return [...h, ...seg];
}

const ipv6Packet = (l: L4Spec) => {
  const seg = segment(l, V6A, V6B);
  return [0x60, 0, 0, 0, ...w16(seg.length), l.proto, 64, ...V6A, ...V6B, ...seg];
};

const SRC = '02:aa:aa:aa:aa:01';
const DST = '02:bb:bb:bb:bb:02';
const frame = (type: number[], payload: number[], dst = DST, src = SRC) => [...macBytes(dst), ...macBytes(src), ...type, ...payload];
/** what the csum engine's tx port 1 writes: its peer, then its MAC */
const fwdMacs = (f: number[]) => [...macBytes('02:00:00:00:00:0b'), 0x02, 0x11, 0x22, 0x33, 0x44, 0x51, ...f.slice(12)];
/** the frame with byte `at` changed (a checksum spoiled) */
const spoil = (f: number[], at: number) => f.map((x, i) => (i === at ? x ^ 0x5a : x));

// ---- running one burst ----------------------------------------------------------------------

/** Puts frames in port 0's ring with rx flags `flags[i]` in ol_flags (what a driver would have set). */
function put(frames: number[][], flags: number[] = []): void {
  const pkts = new Uint32Array(frames.length);
  frames.forEach((f, i) => {
    const m = pool.alloc();
    if (m < 0) throw new Error('pool empty');
    const b = (m & 0xffffff) << 4;
    pool.h16[(b << 1) + 4] = f.length;
    pool.h32[b + 1] = f.length;
    pool.h32[b + 6] = flags[i] ?? 0;
    pool.bytes.set(f, mbufDataOffset(m));
    pkts[i] = m;
  });
  if (rings.get(0)!.tx.txBurst(pkts, 0, pkts.length) !== pkts.length) throw new Error('ring full');
}

interface Sent { bytes: number[]; olFlagsHi: number; l2l3: number; l4: number }

/** Everything in `port`'s ring, taken out and freed. */
function take(port: number): Sent[] {
  const out: Sent[] = [];
  const pkts = new Uint32Array(64);
  for (let n = rings.get(port)!.rx.rxBurst(pkts, 0, 64); n > 0; n = rings.get(port)!.rx.rxBurst(pkts, 0, 64)) {
    for (let i = 0; i < n; i++) {
      const m = pkts[i]!;
      const p = mbufPool(m);
      const b = (m & 0xffffff) << 4;
      const off = mbufDataOffset(m);
      out.push({ bytes: [...p.bytes.slice(off, off + mbufDataLen(m))], olFlagsHi: p.h32[b + 7]!, l2l3: p.h32[b + 10]!, l4: p.h32[b + 11]! });
    }
    mbufFreeBulk(pkts, 0, n);
  }
  return out;
}

/** Streams of `mode` as the lcores build them (`edit` may change their configuration first); the one from port 0. */
async function streamsOf(mode: string, edit: (cfg: FwdStream['cfg']) => void = () => undefined) {
  app.setFwd(mode);
  const cfgs = app.fwdConfig().streams;
  cfgs.forEach(edit);
  const streams = await buildStreams(cfgs);
  const engine = ((await import(engineTarget(mode).module)) as { engine: ForwardEngine }).engine;
  for (const st of streams) engine.streamInit?.(st);
  return { engine, streams, s: streams.find((x) => x.cfg.rxPort === 0)! };
}

const csumCounts = (s: FwdStream) => [FwdStat.BAD_IP_CSUM, FwdStat.BAD_L4_CSUM, FwdStat.BAD_OUTER_L4_CSUM, FwdStat.BAD_OUTER_IP_CSUM].map((k) => s.stats[k]);
const counts = (s: FwdStream) => ({ rx: s.stats[FwdStat.RX], tx: s.stats[FwdStat.TX], dropped: s.stats[FwdStat.DROPPED] });

// ---- csum ------------------------------------------------------------------------------------

const udp = (data: number[], extra: Partial<L4Spec> = {}): L4Spec => ({ proto: 17, sport: 1234, dport: 5678, data, ...extra });
const good = {
  udp4: frame([0x08, 0x00], ipv4Packet('10.0.0.1', '10.0.0.2', udp([1, 2, 3, 4, 5]))),
  tcp4: frame([0x08, 0x00], ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 6, sport: 80, dport: 4242, data: [9, 8, 7] })),
  sctp4: frame([0x08, 0x00], ipv4Packet('10.0.0.1', '10.0.0.2', { proto: 132, sport: 7, dport: 9, data: [1, 2, 3, 4, 5, 6, 7, 8] })),
  udp6vlan: frame([0x81, 0x00, 0x00, 0x07, 0x86, 0xdd], ipv6Packet(udp([0xaa, 0xbb, 0xcc]))),
  udp4zero: frame([0x08, 0x00], ipv4Packet('10.0.0.1', '10.0.0.2', udp([1, 2], { zeroUdp: true }))),
  arp: frame([0x08, 0x06], new Array<number>(28).fill(0x11)),
};

test.serial('csum counts a bad IPv4 header checksum and bad UDP (IPv4, and IPv6 behind a VLAN tag) and SCTP checksums, and forwards every frame with its checksums right', async (t) => {
  const { engine, streams, s } = await streamsOf('csum');
  try {
    const before = pool.availCount();
    const sent = [
      spoil(good.udp4, 14 + 11), // IPv4 header checksum
      spoil(good.udp4, 34 + 7), // UDP checksum
      good.tcp4,
      spoil(good.sctp4, 34 + 8), // SCTP CRC32c
      spoil(good.udp6vlan, 18 + 40 + 6), // UDP over IPv6 behind a VLAN tag
      good.udp4zero, // UDP without checksum: not bad, left 0
      good.arp,
    ];
    put(sent);
    engine.packetFwd(s);
    const out = take(1);
    t.deepEqual(out.map((o) => o.bytes), [good.udp4, good.udp4, good.tcp4, good.sctp4, good.udp6vlan, good.udp4zero, good.arp].map(fwdMacs));
    t.deepEqual(csumCounts(s), [1, 3, 0, 0], 'Bad-ipcsum 1, Bad-l4csum 3');
    t.deepEqual(counts(s), { rx: 7, tx: 7, dropped: 0 });
    // as DPDK's: TX_IPV4 (bit 55) or TX_IPV6 (bit 56) and the header lengths for the tx port
    t.deepEqual(out.map((o) => o.olFlagsHi), [1 << 23, 1 << 23, 1 << 23, 1 << 23, 1 << 24, 1 << 23, 0]);
    t.deepEqual(out.map((o) => [o.l2l3 & 0xffff, o.l2l3 >>> 16, o.l4]), [[14, 20, 8], [14, 20, 8], [14, 20, 20], [14, 20, 0], [18, 40, 8], [14, 20, 8], [14, 0, 0]]);
    t.is(pool.availCount(), before);
  } finally {
    releaseStreams(streams);
  }
});

test.serial("csum trusts the driver's rx checksum flags: BAD is counted, GOOD is not checked again", async (t) => {
  const { engine, streams, s } = await streamsOf('csum');
  try {
    const IP_BAD = 1 << 4, L4_BAD = 1 << 3, IP_GOOD = 1 << 7, L4_GOOD = 1 << 8, OUTER_IP_BAD = 1 << 5, OUTER_L4_BAD = 1 << 21;
    // the second's IP and UDP checksums are both wrong, but its driver said both were good
    put([good.udp4, spoil(spoil(good.udp4, 14 + 11), 34 + 7), good.udp4], [IP_BAD | L4_BAD, IP_GOOD | L4_GOOD, OUTER_IP_BAD | OUTER_L4_BAD | IP_GOOD | L4_GOOD]);
    engine.packetFwd(s);
    t.deepEqual(take(1).map((o) => o.bytes), [good.udp4, good.udp4, good.udp4].map(fwdMacs), 'the checksums are written again all the same');
    t.deepEqual(csumCounts(s), [1, 1, 1, 1]);
  } finally {
    releaseStreams(streams);
  }
});

test.serial('csum with hw checksums configured on the tx port leaves them to it: TX_IP_CKSUM/UDP_CKSUM flags instead of software', async (t) => {
  // no dpkit PMD offers checksum offloads yet (csum set ... hw refuses them): the stream configuration is set by hand
  const { engine, streams, s } = await streamsOf('csum', (cfg) => { cfg.txOffloads = 0x2 | 0x4; });
  try {
    const badIp = spoil(good.udp4, 14 + 11);
    put([badIp, good.tcp4]);
    engine.packetFwd(s);
    const out = take(1);
    t.deepEqual(out.map((o) => o.bytes), [fwdMacs(badIp), fwdMacs(good.tcp4)], 'the IP and UDP checksums are the hardware\'s to write');
    // TX_IPV4 | TX_IP_CKSUM | TX_UDP_CKSUM (3 << 52), then TX_IPV4 | TX_IP_CKSUM with TCP in software
    t.deepEqual(out.map((o) => o.olFlagsHi), [(1 << 23) | (1 << 22) | (3 << 20), (1 << 23) | (1 << 22)]);
    t.deepEqual(csumCounts(s), [1, 0, 0, 0]);
  } finally {
    releaseStreams(streams);
  }
});

test.serial('csum leaves the L4 bytes of IPv4 fragments and truncated packets, and sends frames shorter than Ethernet as they are', async (t) => {
  const { engine, streams, s } = await streamsOf('csum');
  try {
    const frag = good.udp4.map((x, i) => (i === 14 + 6 ? 0x20 : x)); // MF set: the header checksum is now wrong, the UDP one not checked
    const fragFixed = [...frag];
    fragFixed.splice(24, 2, 0, 0);
    fragFixed.splice(24, 2, ...w16(csum16(fragFixed.slice(14, 34))));
    const truncated = spoil(good.udp4, 34 + 7).slice(0, 40); // UDP length beyond the data
    const truncatedFixed = [...truncated];
    const short = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    put([frag, truncated, short]);
    engine.packetFwd(s);
    t.deepEqual(take(1).map((o) => o.bytes), [fwdMacs(fragFixed), fwdMacs(truncatedFixed), short]);
    t.deepEqual(csumCounts(s), [1, 0, 0, 0], 'the fragment\'s IP checksum was bad; no L4 checksum was checked');
  } finally {
    releaseStreams(streams);
  }
});

// ---- noisy -----------------------------------------------------------------------------------

/** The noisy stream from port 0 with these --noisy-* options. */
async function noisy(args: string[]) {
  const saved = { ...app.params };
  Object.assign(app.params, parseTestpmdArgs(args), { ethPeers: saved.ethPeers });
  try {
    return await streamsOf('noisy');
  } finally {
    Object.assign(app.params, saved);
  }
}

const numbered = (n: number, from = 0) => Array.from({ length: n }, (_, i) => frame([0x88, 0xb5], [from + i, 0, 0, 0]));

test.serial('noisy without a FIFO forwards as io', async (t) => {
  const { engine, streams, s } = await noisy([]);
  try {
    put(numbered(3));
    engine.packetFwd(s);
    t.deepEqual(take(1).map((o) => o.bytes), numbered(3));
    t.deepEqual(counts(s), { rx: 3, tx: 3, dropped: 0 });
  } finally {
    releaseStreams(streams);
  }
});

test.serial('noisy with --noisy-tx-sw-buffer-size holds packets in its FIFO, sends the oldest when a burst does not fit, counts what cannot be held, and sends the rest at the end', async (t) => {
  const { engine, streams, s } = await noisy(['--noisy-tx-sw-buffer-size=4']); // holds 3
  try {
    const before = pool.availCount();
    put(numbered(2));
    engine.packetFwd(s);
    t.deepEqual(take(1), [], 'held');
    put(numbered(3, 2));
    engine.packetFwd(s); // 1 free: the 2 oldest go, the 3 new are held
    t.deepEqual(take(1).map((o) => o.bytes), numbered(2));
    put(numbered(5, 5));
    engine.packetFwd(s); // full: 3 go, 3 of the 5 are held, 2 cannot be
    t.deepEqual(take(1).map((o) => o.bytes), numbered(3, 2));
    t.deepEqual(counts(s), { rx: 10, tx: 5, dropped: 2 });
    engine.streamEnd!(s);
    t.deepEqual(take(1).map((o) => o.bytes), numbered(3, 5), 'stop sends what the FIFO holds');
    t.deepEqual(counts(s), { rx: 10, tx: 8, dropped: 2 });
    t.is(pool.availCount(), before);
  } finally {
    releaseStreams(streams);
  }
});

test.serial('noisy with --noisy-tx-sw-buffer-flushtime sends the whole FIFO once that many ms passed since the last flush', async (t) => {
  const { engine, streams, s } = await noisy(['--noisy-tx-sw-buffer-size=64', '--noisy-tx-sw-buffer-flushtime=10']);
  try {
    const clock = new Float64Array(s.cfg.noisy!.clock);
    const t0 = 1000;
    clock[0] = t0;
    (s.state as { lastFlush: Float64Array }).lastFlush[0] = t0;
    put(numbered(4));
    engine.packetFwd(s);
    clock[0] = t0 + 9;
    engine.packetFwd(s);
    t.deepEqual(take(1), [], '9 ms: still held');
    clock[0] = t0 + 10;
    engine.packetFwd(s);
    t.deepEqual(take(1).map((o) => o.bytes), numbered(4));
    t.deepEqual(counts(s), { rx: 4, tx: 4, dropped: 0 });
  } finally {
    releaseStreams(streams);
  }
});

test.serial('noisy with --noisy-lkup-memory and lookups touches that memory and forwards', async (t) => {
  const { engine, streams, s } = await noisy(['--noisy-lkup-memory=1', '--noisy-lkup-num-writes=8', '--noisy-lkup-num-reads=2', '--noisy-lkup-num-reads-writes=2']);
  try {
    put(numbered(4));
    engine.packetFwd(s);
    t.deepEqual(take(1).map((o) => o.bytes), numbered(4));
    const mem = (s.state as { memory: Uint8Array }).memory;
    t.is(mem.length, 1024 * 1024);
    t.true(mem.some((x) => x !== 0), 'the writes landed in the lookup memory');
  } finally {
    releaseStreams(streams);
  }
});

test('noisy refuses at start a FIFO size that is not a power of 2, and lookups without memory, each in one line', (t) => {
  const p = parseTestpmdArgs(['--noisy-tx-sw-buffer-size=1000']);
  t.throws(() => engineBegin('noisy', p, [0]), { message: /--noisy-tx-sw-buffer-size=1000 is not a power of 2/ });
  t.throws(() => engineBegin('noisy', parseTestpmdArgs(['--noisy-lkup-num-reads=3']), [0]), { message: /^noisy: --noisy-lkup-memory-size must be > 0/ });
  t.notThrows(() => engineBegin('noisy', parseTestpmdArgs(['--noisy-tx-sw-buffer-size=1024']), [0]).end());
  t.throws(() => parseTestpmdArgs(['--noisy-lkup-memory=-1']), { message: /^noisy-lkup-memory must be >= 0/ });
});

test('flowgen begins with DPDK\'s number of flows line for each forwarding port', (t) => {
  t.deepEqual(engineBegin('flowgen', parseTestpmdArgs(['--flowgen-flows=7']), [0, 1]).lines, ['  number of flows for port 0: 7', '  number of flows for port 1: 7']);
});

// ---- retry -----------------------------------------------------------------------------------

/** A tx queue that takes at most `take` packets a call (and frees them). */
function stingyQueue(take: number): TxQueue & { calls: number } {
  const q = {
    calls: 0,
    txBurst(pkts: Uint32Array, start: number, n: number): number {
      q.calls++;
      const k = Math.min(take, n);
      mbufFreeBulk(pkts, start, k);
      return k;
    },
  };
  return q;
}

test('a retrying tx queue offers what was refused again, up to the retry number, and returns what went in all', (t) => {
  const pkts = new Uint32Array(32);
  const inner = stingyQueue(5);
  t.true(pool.allocBulk(pkts, 0, 32));
  t.is(new RetryTxQueue(inner, 3, 0).txBurst(pkts, 0, 32), 20, 'the first try and 3 retries of 5 each');
  t.is(inner.calls, 4);
  mbufFreeBulk(pkts, 20, 12);
  const all = stingyQueue(8);
  t.true(pool.allocBulk(pkts, 0, 32));
  t.is(new RetryTxQueue(all, 64, 1).txBurst(pkts, 0, 32), 32, 'no more tries than it takes');
  t.is(all.calls, 4);
});

/** whether a stream's tx queue retries: a RetryTxQueue, possibly inside other wrappers (burst recorders, the capture/verbose observer) */
function hasRetry(q: TxQueue): boolean {
  for (let w: unknown = q; w; w = (w as { inner?: unknown }).inner) if (w instanceof RetryTxQueue) return true;
  return false;
}

test.serial('set fwd io retry builds the streams with the retrying tx queue; set fwd io without', async (t) => {
  app.setFwd('io', true);
  const withRetry = await buildStreams(app.fwdConfig().streams);
  t.true(withRetry.length > 0 && withRetry.every((s) => hasRetry(s.txq)));
  releaseStreams(withRetry);
  app.setFwd('io');
  const without = await buildStreams(app.fwdConfig().streams);
  t.true(without.length > 0);
  t.false(without.some((s) => hasRetry(s.txq)));
  releaseStreams(without);
});
