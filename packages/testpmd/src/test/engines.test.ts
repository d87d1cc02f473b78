/**
 * What each forwarding engine does to packet bytes and counts, against DPDK testpmd's
 * engines (iofwd.c, macfwd.c, macswap.c, 5tswap.h, icmpecho.c, flowgen.c, txonly.c,
 * rxonly.c). Two net_ring ports in this process, each looping back what it sends; the
 * engine's burst function runs here on the main thread, one burst at a time: frames are put
 * in a port's ring, the engine forwards one burst, and what comes out of the tx port's ring is
 * compared byte for byte, with the stream's RX/TX/DROPPED counters and the pool's count.
 */
import test from 'ava';
import {
  Eal, mbufDataLen, mbufDataOffset, mbufFreeBulk, mbufNbSegs, mbufPktLen, mbufPool, type FastPathModule,
  type Mempool, type RxQueue, type TxQueue,
} from '@dpkit/eal';
import { defineDriver } from '@dpkit/eal/driver';
import { driver as net_ring } from '@dpkit/pmd-ring';
import { FwdStat, type ForwardEngine, type FwdStream } from '../fwd/engine.js';
import { buildStreams, releaseStreams } from '../fwd/lcore.js';
import { engineTarget } from '../fwd/registry.js';
import { parseTestpmdArgs } from '../params.js';
import { Testpmd } from '../testpmd.js';

let eal: Eal;
let app: Testpmd;
let pool: Mempool;
const rxq = new Map<number, RxQueue>();
const txq = new Map<number, TxQueue>();

// net_ring ports have the all-zero MAC (as DPDK's, and no macAddrSet): this one probes as
// net_ring, then gives each port a distinct MAC as a driver may, so that which port's MAC an
// engine writes shows in the bytes
const ringDriver = defineDriver({
  ...net_ring,
  async probe(device, ctx) {
    await net_ring.probe(device, ctx);
    for (const id of device.ports) ctx.ethdev.get(id).mac = Uint8Array.of(0x02, 0, 0, 0, 0x01, 0x10 + id);
  },
});

test.before(async () => {
  eal = (await Eal.init(['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', `--file-prefix=engines-${process.pid}`], { drivers: [ringDriver] }))!;
  app = new Testpmd(eal, parseTestpmdArgs(['--port-topology=paired', '--eth-peer=1,02:00:00:00:00:0b']), () => undefined);
  await app.init();
  for (const port of [0, 1]) {
    const dev = eal.ethdevs.get(port);
    const rd = dev.queueDescriptor('rx', 0);
    const td = dev.queueDescriptor('tx', 0);
    rxq.set(port, ((await import(rd.module)) as FastPathModule).createRxQueue(rd));
    txq.set(port, ((await import(td.module)) as FastPathModule).createTxQueue(td));
  }
  pool = eal.mempoolLookup('mb_pool_0')!;
});

test.after.always(async () => {
  await app.shutdown();
  await eal.cleanup();
});

// ---- frames -------------------------------------------------------------------------------

const hex = (s: string) => Uint8Array.from(s.replace(/[\s:]/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => [...Array.from(p)]));
const be16 = (n: number) => [n >>> 8, n & 0xff];
const ip4 = (s: string) => s.split('.').map(Number);
const mac = (s: string) => [...hex(s)];

function sum(b: ArrayLike<number>, from: number, to: number, s = 0): number {
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function ipv4(src: string, dst: string, proto: number, payload: ArrayLike<number>, fragOff = 0): Uint8Array {
  const h = [0x45, 0, ...be16(20 + payload.length), 0x12, 0x34, ...be16(fragOff), 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  const c = ~sum(h, 0, 20) & 0xffff;
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return cat(h, payload);
}

/** UDP or TCP segment with a valid checksum over the IPv4 or IPv6 pseudo-header */
function l4(proto: 6 | 17, src: ArrayLike<number>, dst: ArrayLike<number>, sport: number, dport: number, data: ArrayLike<number>): Uint8Array {
  const hdr = proto === 17 ? [...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0]
    : [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0x01, 0x00, 0, 0, 0, 0];
  const seg = cat(hdr, data);
  const pseudo = sum(cat(src, dst), 0, src.length * 2, proto + seg.length);
  const c = ~sum(seg, 0, seg.length, pseudo) & 0xffff;
  const at = proto === 17 ? 6 : 16;
  seg[at] = c >>> 8;
  seg[at + 1] = c & 0xff;
  return seg;
}

function ipv6(src: ArrayLike<number>, dst: ArrayLike<number>, next: number, payload: ArrayLike<number>): Uint8Array {
  return cat([0x60, 0, 0, 0, ...be16(payload.length), next, 64], src, dst, payload);
}

const A = '02:aa:aa:aa:aa:01';
const B = '02:bb:bb:bb:bb:02';
const eth = (dst: string, src: string, type: number, ...rest: ArrayLike<number>[]) => cat(mac(dst), mac(src), be16(type), ...rest);
const udp4 = (src: string, dst: string, sport: number, dport: number, data: number[]) =>
  ipv4(src, dst, 17, l4(17, ip4(src), ip4(dst), sport, dport, data));
const tcp4 = (src: string, dst: string, sport: number, dport: number, data: number[]) =>
  ipv4(src, dst, 6, l4(6, ip4(src), ip4(dst), sport, dport, data));

// ---- running one burst ----------------------------------------------------------------------

/** Puts frames in `port`'s ring (offset by `shift` bytes from the usual data start), frame i in pools[i % pools.length]. */
function put(port: number, frames: Uint8Array[], shift = 0, pools: Mempool[] = [pool]): void {
  const pkts = new Uint32Array(frames.length);
  for (const [i, f] of frames.entries()) {
    const p = pools[i % pools.length]!;
    const m = p.alloc();
    if (m < 0) throw new Error('pool empty');
    const b = (m & 0xffffff) << 4;
    p.h16[(b << 1) + 5] = p.h16[(b << 1) + 5]! + shift; // data_off
    p.h16[(b << 1) + 4] = f.length;
    p.h32[b + 1] = f.length;
    p.bytes.set(f, mbufDataOffset(m));
    pkts[i] = m;
  }
  if (txq.get(port)!.txBurst(pkts, 0, pkts.length) !== pkts.length) throw new Error('ring full');
}

interface Out {
  bytes: Uint8Array;
  pktLen: number;
  dataLen: number;
  nbSegs: number;
}

/** Takes everything out of `port`'s ring (and frees it). */
function take(port: number): Out[] {
  const out: Out[] = [];
  const pkts = new Uint32Array(64);
  for (let n = rxq.get(port)!.rxBurst(pkts, 0, 64); n > 0; n = rxq.get(port)!.rxBurst(pkts, 0, 64)) {
    for (let i = 0; i < n; i++) {
      const m = pkts[i]!;
      const off = mbufDataOffset(m);
      out.push({ bytes: mbufPool(m).bytes.slice(off, off + mbufDataLen(m)), pktLen: mbufPktLen(m), dataLen: mbufDataLen(m), nbSegs: mbufNbSegs(m) });
    }
    mbufFreeBulk(pkts, 0, n);
  }
  return out;
}

/** Fills `port`'s tx ring from the pool, then takes `room` out of it (freed): the next tx burst fits only `room`. Returns how many the full ring held. */
function fillTxRing(port: number, room: number): number {
  let held = 0;
  for (;;) {
    const m = pool.alloc();
    if (txq.get(port)!.txBurst(Uint32Array.of(m), 0, 1) === 0) {
      pool.putBulk(Uint32Array.of(m), 0, 1);
      break;
    }
    held++;
  }
  const drain = new Uint32Array(room);
  if (rxq.get(port)!.rxBurst(drain, 0, room) !== room) throw new Error('tx ring emptier than filled');
  mbufFreeBulk(drain, 0, room);
  return held;
}

interface Setup {
  engine: ForwardEngine;
  streams: FwdStream[];
  /** the stream that receives from port 0 */
  s: FwdStream;
}

async function setup(mode: string): Promise<Setup> {
  app.setFwd(mode);
  const streams = await buildStreams(app.fwdConfig().streams);
  const engine = ((await import(engineTarget(mode).module)) as { engine: ForwardEngine }).engine;
  for (const st of streams) await engine.streamInit?.(st);
  return { engine, streams, s: streams.find((x) => x.cfg.rxPort === 0)! };
}

const counts = (s: FwdStream) => ({ rx: s.stats[FwdStat.RX]!, tx: s.stats[FwdStat.TX]!, dropped: s.stats[FwdStat.DROPPED]! });

/** One burst of `mode` on the stream from port 0: returns what came out of its tx port. */
/** `loaded` false: the burst runs right after a streamInit that is not awaited (before what it loads has arrived: macswap's generic loop) */
async function once(mode: string, frames: Uint8Array[], shift = 0, pools: Mempool[] = [pool], loaded = true): Promise<{ out: Out[]; s: FwdStream; txPort: number }> {
  const { engine, streams, s } = await setup(mode);
  try {
    const before = pool.availCount();
    put(0, frames, shift, pools);
    if (!loaded) void engine.streamInit?.(s);
    engine.packetFwd(s);
    const out = take(s.cfg.txPort);
    t0.ringsEmpty = take(0).length + take(1).length === 0;
    t0.poolWhole = pool.availCount() === before;
    return { out, s, txPort: s.cfg.txPort };
  } finally {
    releaseStreams(streams);
  }
}
const t0 = { ringsEmpty: true, poolWhole: true };

const bytes = (o: Out[]) => o.map((x) => [...x.bytes]);
const arr = (xs: Uint8Array[]) => xs.map((x) => [...x]);
const portMac = (p: number) => [...eal.ethdevs.get(p).mac];

// ---- io, mac, macswap, rxonly -------------------------------------------------------------------

const plain = [eth(B, A, 0x0800, udp4('10.0.0.1', '10.0.0.2', 1111, 2222, [1, 2, 3, 4])), eth(B, A, 0x88b5, [9, 9, 9, 9, 9, 9]), eth(A, B, 0x0806, new Array(28).fill(7))];

test.serial('io forwards every packet unchanged to the paired port and counts it', async (t) => {
  const r = await once('io', plain);
  t.is(r.txPort, 1);
  t.deepEqual(bytes(r.out), arr(plain));
  t.deepEqual(counts(r.s), { rx: 3, tx: 3, dropped: 0 });
  t.true(t0.poolWhole && t0.ringsEmpty);
});

for (const shift of [0, 1]) {
  test.serial(`mac writes the tx port's peer as destination and its MAC as source (data offset +${shift})`, async (t) => {
    const r = await once('mac', plain, shift);
    // tx port 1: its peer is --eth-peer=1,02:00:00:00:00:0b, its source the port's MAC
    const want = plain.map((f) => [...mac('02:00:00:00:00:0b'), ...portMac(1), ...f.slice(12)]);
    t.deepEqual(bytes(r.out), want);
    t.deepEqual(counts(r.s), { rx: 3, tx: 3, dropped: 0 });
    t.true(t0.poolWhole && t0.ringsEmpty);
  });

}

// macswap runs its pool's instance of its burst once streamInit has loaded it
// (macswap-pool.ts), and its generic loop before: both are checked. A frame under 14 bytes
// is sent unchanged.
const swapped = (f: Uint8Array) => (f.length < 14 ? [...f] : [...f.slice(6, 12), ...f.slice(0, 6), ...f.slice(12)]);
const short = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
let otherPool: Mempool | undefined;
for (const [how, loaded] of [['pool instance', true], ['generic loop', false]] as const) {
  for (const shift of [0, 1, 2]) {
    test.serial(`macswap (${how}) swaps source and destination MAC and nothing else, leaves a 13-byte frame (data offset +${shift})`, async (t) => {
      const frames = [...plain, short, ...plain];
      const r = await once('macswap', frames, shift, [pool], loaded);
      t.deepEqual(bytes(r.out), frames.map(swapped));
      t.deepEqual(counts(r.s), { rx: 7, tx: 7, dropped: 0 });
      t.true(t0.poolWhole && t0.ringsEmpty);
    });
  }

  test.serial(`macswap (${how}) over a burst alternating between two pools (other headroom and buffer size) swaps each packet in its own buffer`, async (t) => {
    otherPool ??= eal.mempoolCreate('engines-other', { size: 64, cacheSize: 8, headroom: 64, dataRoomSize: 64 + 512 });
    const frames = [...plain, ...plain, short];
    const r = await once('macswap', frames, 0, [pool, otherPool, otherPool], loaded);
    t.deepEqual(bytes(r.out), frames.map(swapped));
    t.deepEqual(counts(r.s), { rx: 7, tx: 7, dropped: 0 });
    t.true(t0.ringsEmpty);
    t.is(otherPool.availCount(), otherPool.size);
  });
}

test.serial('macswap (pool instance) sends what the tx queue takes, frees and counts as dropped what it refuses', async (t) => {
  const { engine, streams, s } = await setup('macswap');
  try {
    const whole = pool.availCount();
    fillTxRing(s.cfg.txPort, 2);
    const frames = [...plain, ...plain.slice(0, 2)];
    put(0, frames);
    engine.packetFwd(s);
    t.deepEqual(counts(s), { rx: 5, tx: 2, dropped: 3 });
    t.deepEqual(bytes(take(s.cfg.txPort).slice(-2)), frames.slice(0, 2).map(swapped));
    t.is(pool.availCount(), whole, 'the refused packets went back to the pool');
  } finally {
    take(0);
    take(1);
    releaseStreams(streams);
  }
});

test.serial('rxonly receives, counts and frees; nothing is sent', async (t) => {
  const r = await once('rxonly', plain);
  t.deepEqual(r.out, []);
  t.deepEqual(counts(r.s), { rx: 3, tx: 0, dropped: 0 });
  t.true(t0.poolWhole && t0.ringsEmpty);
});

// ---- 5tswap ---------------------------------------------------------------------------------

const V6A = hex('20010db8000000000000000000000001');
const V6B = hex('20010db8000000000000000000000002');

test.serial('5tswap swaps MACs, IPv4/IPv6 addresses and UDP/TCP ports (behind VLAN and QinQ tags), checksums stay valid', async (t) => {
  const frames = [
    eth(B, A, 0x0800, udp4('10.0.0.1', '10.0.0.2', 1111, 2222, [1, 2, 3, 4, 5])),
    eth(B, A, 0x0800, tcp4('10.0.0.1', '10.0.0.2', 3333, 4444, [6, 7, 8])),
    eth(B, A, 0x86dd, ipv6(V6A, V6B, 17, l4(17, V6A, V6B, 5555, 6666, [1, 2]))),
    eth(B, A, 0x86dd, ipv6(V6A, V6B, 6, l4(6, V6A, V6B, 7777, 8888, [3]))),
    eth(B, A, 0x8100, [0, 5, 0x08, 0x00], udp4('10.0.0.1', '10.0.0.2', 1111, 2222, [1])),
    eth(B, A, 0x88a8, [0, 5, 0x81, 0x00, 0, 6, 0x08, 0x00], tcp4('10.0.0.1', '10.0.0.2', 3333, 4444, [2])),
  ];
  const want = [
    eth(A, B, 0x0800, udp4('10.0.0.2', '10.0.0.1', 2222, 1111, [1, 2, 3, 4, 5])),
    eth(A, B, 0x0800, tcp4('10.0.0.2', '10.0.0.1', 4444, 3333, [6, 7, 8])),
    eth(A, B, 0x86dd, ipv6(V6B, V6A, 17, l4(17, V6B, V6A, 6666, 5555, [1, 2]))),
    eth(A, B, 0x86dd, ipv6(V6B, V6A, 6, l4(6, V6B, V6A, 8888, 7777, [3]))),
    eth(A, B, 0x8100, [0, 5, 0x08, 0x00], udp4('10.0.0.2', '10.0.0.1', 2222, 1111, [1])),
    eth(A, B, 0x88a8, [0, 5, 0x81, 0x00, 0, 6, 0x08, 0x00], tcp4('10.0.0.2', '10.0.0.1', 4444, 3333, [2])),
  ];
  const r = await once('5tswap', frames);
  // the swapped packets are what the peer would have built: the same bytes, checksums included
  t.deepEqual(bytes(r.out), arr(want));
  t.deepEqual(counts(r.s), { rx: 6, tx: 6, dropped: 0 });
});

test.serial('5tswap leaves what it does not parse: ARP swaps only MACs, SCTP keeps its ports, a non-first fragment its payload', async (t) => {
  const sctp = ipv4('10.0.0.1', '10.0.0.2', 132, [0x04, 0x57, 0x08, 0xae, 1, 2, 3, 4, 5, 6, 7, 8]);
  const frag = ipv4('10.0.0.1', '10.0.0.2', 17, [0x04, 0x57, 0x08, 0xae, 1, 2, 3, 4], 0x0010);
  const arp = new Array(28).fill(0).map((_, i) => i);
  const r = await once('5tswap', [eth(B, A, 0x0800, sctp), eth(B, A, 0x0800, frag), eth(B, A, 0x0806, arp)]);
  const swapIp = (p: Uint8Array) => cat(p.slice(0, 12), p.slice(16, 20), p.slice(12, 16), p.slice(20));
  t.deepEqual(bytes(r.out), arr([eth(A, B, 0x0800, swapIp(sctp)), eth(A, B, 0x0800, swapIp(frag)), eth(A, B, 0x0806, arp)]));
});

// ---- icmpecho -------------------------------------------------------------------------------

function icmp(type: number, id: number, seq: number, data: number[]): number[] {
  const h = [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
  const c = ~sum(h, 0, h.length) & 0xffff;
  h[2] = c >>> 8;
  h[3] = c & 0xff;
  return h;
}

const arpPkt = (op: number, sha: string, sip: string, tha: string, tip: string, hrd = 1, pro = 0x0800, hlen = 6, plen = 4) =>
  [...be16(hrd), ...be16(pro), hlen, plen, ...be16(op), ...mac(sha), ...ip4(sip), ...mac(tha), ...ip4(tip)];

test.serial('icmpecho answers an ARP request from the port it came in on, claiming the asked address', async (t) => {
  const req = eth('ff:ff:ff:ff:ff:ff', A, 0x0806, arpPkt(1, A, '10.0.0.1', '00:00:00:00:00:00', '10.0.0.9'));
  const r = await once('icmpecho', [req]);
  t.is(r.txPort, 0, 'replies leave by the port that received the request');
  const me = portMac(0).map((x) => x.toString(16).padStart(2, '0')).join(':');
  t.deepEqual(bytes(r.out), [[...eth(A, me, 0x0806, arpPkt(2, me, '10.0.0.9', A, '10.0.0.1'))]]);
  t.deepEqual(counts(r.s), { rx: 1, tx: 1, dropped: 0 });
});

test.serial('icmpecho answers an ICMP echo request (also behind a VLAN tag) with a valid echo reply', async (t) => {
  const data = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3];
  const reqs = [
    eth(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 1, icmp(8, 0x1234, 7, data))),
    eth(B, A, 0x8100, [0, 9, 0x08, 0x00], ipv4('10.0.0.1', '10.0.0.2', 1, icmp(8, 0x1234, 8, data))),
  ];
  const r = await once('icmpecho', reqs);
  t.deepEqual(bytes(r.out), arr([
    eth(A, B, 0x0800, ipv4('10.0.0.2', '10.0.0.1', 1, icmp(0, 0x1234, 7, data))),
    eth(A, B, 0x8100, [0, 9, 0x08, 0x00], ipv4('10.0.0.2', '10.0.0.1', 1, icmp(0, 0x1234, 8, data))),
  ]));
  t.deepEqual(counts(r.s), { rx: 2, tx: 2, dropped: 0 });
});

test.serial('icmpecho answers an echo to a multicast address from a unicast one next to the asker, IP checksum recomputed', async (t) => {
  const data = [1, 2, 3, 4];
  const r = await once('icmpecho', [
    eth(B, A, 0x0800, ipv4('10.0.0.5', '224.0.0.1', 1, icmp(8, 1, 1, data))), // low bits 01 -> 10
    eth(B, A, 0x0800, ipv4('10.0.0.6', '239.1.2.3', 1, icmp(8, 1, 2, data))), // low bits 10 -> 01
  ]);
  t.deepEqual(bytes(r.out), arr([
    eth(A, B, 0x0800, ipv4('10.0.0.6', '10.0.0.5', 1, icmp(0, 1, 1, data))),
    eth(A, B, 0x0800, ipv4('10.0.0.5', '10.0.0.6', 1, icmp(0, 1, 2, data))),
  ]));
});

test.serial('icmpecho frees, without counting them as dropped, everything that is not an ARP request or echo request', async (t) => {
  const me = A;
  const r = await once('icmpecho', [
    eth(B, A, 0x0806, arpPkt(2, me, '10.0.0.1', B, '10.0.0.2')), // ARP reply
    eth(B, A, 0x0806, arpPkt(1, me, '10.0.0.1', B, '10.0.0.2', 6)), // not Ethernet hardware
    eth(B, A, 0x0806, arpPkt(1, me, '10.0.0.1', B, '10.0.0.2', 1, 0x86dd)), // not IPv4
    eth(B, A, 0x0806, arpPkt(0x101, me, '10.0.0.1', B, '10.0.0.2')), // op 257
    eth(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 1, icmp(0, 1, 1, [1]))), // echo reply
    eth(B, A, 0x0800, ipv4('10.0.0.1', '10.0.0.2', 1, icmp(3, 1, 1, [1]))), // unreachable
    eth(B, A, 0x0800, udp4('10.0.0.1', '10.0.0.2', 7, 7, [1])),
    eth(B, A, 0x86dd, ipv6(V6A, V6B, 58, [128, 0, 0, 0, 0, 1, 0, 1])), // ICMPv6 echo: not answered, as DPDK
  ]);
  t.deepEqual(r.out, []);
  t.deepEqual(counts(r.s), { rx: 8, tx: 0, dropped: 0 });
  t.true(t0.poolWhole, 'every packet went back to the pool');
});

// ---- txonly ---------------------------------------------------------------------------------

function checkUdp(t: import('ava').ExecutionContext, o: Out, len: number, dstMac: number[], srcMac: number[], src: string, dst: string, sport: number, dport: number) {
  const b = o.bytes;
  t.deepEqual([...b.slice(0, 14)], [...dstMac, ...srcMac, 0x08, 0x00]);
  // version/IHL, TOS, total length, id, fragment, TTL 64, UDP, addresses; the header checksum valid
  t.deepEqual([...b.slice(14, 24)], [0x45, 0, ...be16(len - 14), 0, 0, 0, 0, 64, 17]);
  t.deepEqual([...b.slice(26, 34)], [...ip4(src), ...ip4(dst)]);
  t.is(sum(b, 14, 34), 0xffff, 'IPv4 header checksum');
  t.deepEqual([...b.slice(34, 42)], [...be16(sport), ...be16(dport), ...be16(len - 34), 0, 0]);
}

test.serial('txonly sends a burst of UDP/IPv4 198.18.0.1:9 -> 198.18.0.2:9 from the tx port to its peer, --txpkts long', async (t) => {
  app.params.txpkts = [64];
  const r = await once('txonly', []);
  t.is(r.out.length, 32);
  for (const o of r.out) {
    t.is(o.pktLen, 64);
    t.is(o.dataLen, 64);
    t.is(o.nbSegs, 1);
    checkUdp(t, o, 64, mac('02:00:00:00:00:0b'), portMac(1), '198.18.0.1', '198.18.0.2', 9, 9);
  }
  t.deepEqual(counts(r.s), { rx: 0, tx: 32, dropped: 0 });
  t.true(t0.poolWhole);
});

test.serial('txonly with --txpkts=64,36 sends two-segment packets of 100 bytes', async (t) => {
  app.params.txpkts = [64, 36];
  try {
    const r = await once('txonly', []);
    t.is(r.out.length, 32);
    for (const o of r.out) {
      t.deepEqual([o.pktLen, o.dataLen, o.nbSegs], [100, 64, 2]);
      checkUdp(t, o, 100, mac('02:00:00:00:00:0b'), portMac(1), '198.18.0.1', '198.18.0.2', 9, 9);
    }
    t.true(t0.poolWhole, 'every segment went back to the pool');
  } finally {
    app.params.txpkts = [64];
  }
});

test.serial('txonly with --tx-ip and --tx-udp sends from and to the addresses and ports given', async (t) => {
  const saved = { ...app.params };
  Object.assign(app.params, parseTestpmdArgs(['--tx-ip=10.0.0.1,192.168.7.9', '--tx-udp=1234,80']), { txpkts: [64], ethPeers: saved.ethPeers });
  try {
    const r = await once('txonly', []);
    t.is(r.out.length, 32);
    for (const o of r.out) checkUdp(t, o, 64, mac('02:00:00:00:00:0b'), portMac(1), '10.0.0.1', '192.168.7.9', 1234, 80);
  } finally {
    Object.assign(app.params, saved);
  }
});

test.serial('txonly --txonly-multi-flow: the IPv4 source of each packet is (destination | n << 8) + lcore, n counting per packet and wrapping at 256', async (t) => {
  const saved = { ...app.params };
  Object.assign(app.params, parseTestpmdArgs(['--txonly-multi-flow']), { txpkts: [64], ethPeers: saved.ethPeers });
  try {
    const { engine, streams, s } = await setup('txonly');
    try {
      const lcore = s.cfg.lcore;
      t.is(lcore, 1, 'the stream runs on lcore 1 (-l 0-1)');
      const srcs: string[] = [];
      for (let k = 0; k < 9; k++) {
        engine.packetFwd(s);
        for (const o of take(s.cfg.txPort)) {
          checkUdp(t, o, 64, mac('02:00:00:00:00:0b'), portMac(1), [...o.bytes.slice(26, 30)].join('.'), '198.18.0.2', 9, 9);
          srcs.push([...o.bytes.slice(26, 30)].join('.'));
        }
      }
      t.is(srcs.length, 288);
      const first = Number(srcs[0]!.split('.')[2]);
      t.deepEqual(srcs, srcs.map((_, i) => `198.18.${(first + i) % 256}.${2 + lcore}`));
    } finally {
      take(0);
      take(1);
      releaseStreams(streams);
    }
  } finally {
    Object.assign(app.params, saved);
  }
});

test.serial('txonly: when the segments of a packet cannot be allocated, the burst is sent short and every packet sent is whole', async (t) => {
  app.params.txpkts = [64, 36];
  const { engine, streams, s } = await setup('txonly');
  const held: number[] = [];
  try {
    // leave 40 mbufs free: 32 heads, then segments for 8 packets only
    while (pool.availCount() > 40) held.push(pool.alloc());
    engine.packetFwd(s);
    const out = take(s.cfg.txPort);
    t.is(out.length, 8);
    for (const o of out) t.deepEqual([o.pktLen, o.dataLen, o.nbSegs], [100, 64, 2]);
    t.deepEqual(counts(s), { rx: 0, tx: 8, dropped: 0 });
    t.is(pool.availCount(), 40, 'the heads that were not sent went back to the pool');
  } finally {
    pool.putBulk(Uint32Array.from(held), 0, held.length);
    releaseStreams(streams);
    app.params.txpkts = [64];
  }
});

// ---- flowgen --------------------------------------------------------------------------------

const flowOf = (o: Out) => (o.bytes[32]! << 8) | o.bytes[33]!;

test.serial('flowgen drains and counts what it receives, then sends 60-byte UDP packets over consecutive flows', async (t) => {
  app.params.txpkts = [64];
  const r = await once('flowgen', plain);
  t.deepEqual(counts(r.s), { rx: 3, tx: 32, dropped: 0 });
  t.true(t0.poolWhole, 'the received packets were freed');
  t.is(r.out.length, 32);
  const first = flowOf(r.out[0]!);
  for (const [i, o] of r.out.entries()) {
    t.deepEqual([o.pktLen, o.dataLen, o.nbSegs], [60, 60, 1]);
    const flow = (first + i) % 1024;
    checkUdp(t, o, 60, mac('00:01:02:03:04:01'), mac('00:01:02:03:04:00'), '10.254.0.0', `10.253.${flow >>> 8}.${flow & 0xff}`, 1000, 1001);
  }
});

test.serial('flowgen with --flowgen-flows=5 cycles through 5 flows', async (t) => {
  const saved = app.params.flowgenFlows;
  app.params.flowgenFlows = parseTestpmdArgs(['--flowgen-flows=5']).flowgenFlows;
  try {
    const { engine, streams, s } = await setup('flowgen');
    try {
      engine.packetFwd(s);
      const seen = take(s.cfg.txPort).map(flowOf);
      t.is(seen.length, 32);
      t.deepEqual(seen, seen.map((_, i) => (seen[0]! + i) % 5));
    } finally {
      take(0);
      take(1);
      releaseStreams(streams);
    }
  } finally {
    app.params.flowgenFlows = saved;
  }
});

test.serial('flowgen cycles through 1024 flows and sends again the flows of packets the tx queue refused', async (t) => {
  const { engine, streams, s } = await setup('flowgen');
  try {
    const seen: number[] = [];
    for (let k = 0; k < 33; k++) {
      engine.packetFwd(s);
      seen.push(...take(s.cfg.txPort).map(flowOf));
    }
    const start = seen[0]!;
    t.deepEqual(seen, seen.map((_, i) => (start + i) % 1024), 'consecutive flows, wrapping at 1024');
    // fill the tx ring but for 10 slots: 22 of the next burst are refused, counted as dropped
    const next = (start + seen.length) % 1024;
    t.true(fillTxRing(s.cfg.txPort, 10) > 100);
    const before = counts(s);
    engine.packetFwd(s);
    t.deepEqual(counts(s), { rx: 0, tx: before.tx + 10, dropped: 22 });
    const out = take(s.cfg.txPort).slice(-10).map(flowOf);
    t.deepEqual(out, out.map((_, i) => (next + i) % 1024));
    engine.packetFwd(s);
    t.is(flowOf(take(s.cfg.txPort)[0]!), (next + 10) % 1024, 'the refused flows come next');
  } finally {
    take(0);
    take(1);
    releaseStreams(streams);
  }
});

test.serial('io frees what the tx queue refuses and counts it as dropped: the refused mbuf is back in the pool at once', async (t) => {
  const { engine, streams, s } = await setup('io');
  try {
    // fill the paired port's tx ring but for 2 slots: 1 of the next 3 is refused
    for (;;) {
      const m = pool.alloc();
      if (txq.get(s.cfg.txPort)!.txBurst(Uint32Array.of(m), 0, 1) === 0) {
        pool.putBulk(Uint32Array.of(m), 0, 1);
        break;
      }
    }
    const drain = new Uint32Array(2);
    t.is(rxq.get(s.cfg.txPort)!.rxBurst(drain, 0, 2), 2);
    mbufFreeBulk(drain, 0, 2);
    const before = pool.availCount();
    put(0, plain);
    engine.packetFwd(s);
    t.deepEqual(counts(s), { rx: 3, tx: 2, dropped: 1 });
    t.is(pool.availCount(), before - 2, 'the 2 sent are in the ring, the refused one is free');
    t.deepEqual(bytes(take(s.cfg.txPort).slice(-2)), arr(plain.slice(0, 2)));
  } finally {
    take(0);
    take(1);
    releaseStreams(streams);
  }
});

// ---- streams over lcores --------------------------------------------------------------------

test.serial('icmpecho streams answer on their own port whatever the topology', async (t) => {
  app.setFwd('icmpecho');
  t.deepEqual(app.fwdConfig().streams.map((s) => [s.rxPort, s.txPort]), [[0, 0], [1, 1]]);
  app.setFwd('io');
  t.deepEqual(app.fwdConfig().streams.map((s) => [s.rxPort, s.txPort]), [[0, 1], [1, 0]]);
});

