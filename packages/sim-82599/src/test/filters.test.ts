// Receive queue selection in loopback, each frame sent alone through tx queue 0 and found on
// the rx ring whose head moved: EtherType filter, 5-tuple filters by priority, the SYN filter
// after or (SYNQF.SYNQFP) before the 5-tuple filters, RSS over RETA with the hash in the
// descriptor, queue 0 otherwise. The RSS cases use the 82599 datasheet's RSS verification
// suite (§7.1.2.8.3) as DPDK's app/test/test_thash.c quotes it: Microsoft's key and hashes.
import test from 'ava';
import * as d from '../descriptors.js';
import * as r from '../regs.js';
import { rig, until } from './rig.js';

const RSS_KEY = [0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa];
const QUEUES = [0, 1, 2, 3, 40, 41, 42, 43, 70];
const TX = 0x90000, TXBUF = 0xA0000;
const ring = (i: number) => i * 0x200;
const buffers = (i: number) => 0x10000 + i * 0x10000;

/** Wire-order bytes of a dotted address, as the filter registers hold them (loaded little-endian). */
const addr = (a: string) => a.split('.').map(Number);
const le32 = (b: number[]) => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
const le16port = (p: number) => ((p >> 8) | ((p & 0xFF) << 8)) & 0xFFFF; // a port in wire order, loaded little-endian

function ipv4(proto: number, src: string, dst: string, sport = 0, dport = 0, tcpFlags = 0): Uint8Array {
  const f = new Uint8Array(proto === 6 ? 54 : 42);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0, 0, f.length - 14, 0, 0, 0, 0, 64, proto, 0, 0, ...addr(src), ...addr(dst)]);
  f.set([sport >> 8, sport & 0xFF, dport >> 8, dport & 0xFF], 34);
  if (proto === 6) { f[46] = 0x50; f[47] = tcpFlags; }
  return f;
}

test('filters pick the queue in the 82599 order: EtherType, 5-tuple by priority, SYN, RSS, queue 0', async (t) => {
  const x = rig();
  t.teardown(x.close);
  x.nic.start();
  for (const [i, q] of QUEUES.entries()) await x.rxQueue(q, ring(i), buffers(i));
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  await x.txQueue(0, TX);

  x.setReg(r.ETQF(0), r.ETQF_FILTER_EN | 0x88B5);
  x.setReg(r.ETQS(0), r.ETQS_QUEUE_EN | (70 << r.ETQS_RX_QUEUE_SHIFT));
  const fiveTuple = (i: number, protocol: number, priority: number, queue: number, o: { src?: string; dport?: number }) => {
    let mask = r.FTQF_MASK_SOURCE_PORT | r.FTQF_MASK_DEST_ADDR;
    if (o.src) x.setReg(r.SAQF(i), le32(addr(o.src))); else mask |= r.FTQF_MASK_SOURCE_ADDR;
    if (o.dport !== undefined) x.setReg(r.SDPQF(i), le16port(o.dport) << 16); else mask |= r.FTQF_MASK_DEST_PORT;
    x.setReg(r.L34T_IMIR(i), r.L34T_IMIR_RESERVE | (queue << r.L34T_IMIR_RX_QUEUE_SHIFT));
    x.setReg(r.FTQF(i), (r.FTQF_QUEUE_ENABLE | r.FTQF_POOL_MASK_EN | mask | (priority << r.FTQF_PRIORITY_SHIFT) | protocol) >>> 0);
  };
  fiveTuple(0, r.FTQF_PROTOCOL_UDP, 1, 40, { dport: 2000 });
  fiveTuple(1, r.FTQF_PROTOCOL_TCP, 1, 42, { dport: 3000 });
  fiveTuple(2, r.FTQF_PROTOCOL_UDP, 5, 43, { src: '10.0.0.9', dport: 2000 });
  x.setReg(r.SYNQF, r.SYNQF_QUEUE_EN | (41 << r.SYNQF_RX_QUEUE_SHIFT));
  for (let i = 0; i < r.RSSRK_WORDS; i++) x.setReg(r.RSSRK(i), le32(RSS_KEY.slice(4 * i, 4 * i + 4)));
  for (let i = 0; i < r.RETA_WORDS; i++) x.setReg(r.RETA(i), le32([0, 1, 2, 3].map((k) => 1 + ((4 * i + k) % 3)))); // entry j -> queue 1 + j % 3
  x.setReg(r.MRQC, r.MRQC_RSSEN | r.MRQC_RSS_FIELD_IPV4 | r.MRQC_RSS_FIELD_IPV4_TCP | r.MRQC_RSS_FIELD_IPV4_UDP);
  x.setReg(r.RXCSUM, r.RXCSUM_PCSD);

  let sent = 0;
  const send = async (f: Uint8Array) => {
    const heads = QUEUES.map((q) => x.reg(r.RDH(q)));
    x.bytes.set(f, TXBUF + sent * 0x800);
    x.txDescriptor(TX, sent, TXBUF + sent * 0x800, f.length, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, f.length);
    x.setReg(r.TDT(0), ++sent);
    await until(() => QUEUES.some((q, i) => x.reg(r.RDH(q)) !== heads[i]));
    const moved = QUEUES.filter((q, i) => x.reg(r.RDH(q)) !== heads[i]);
    if (moved.length !== 1) return { queue: moved, pktInfo: 0, hash: 0 };
    const q = moved[0]!;
    const w = (ring(QUEUES.indexOf(q)) >> 2) + heads[QUEUES.indexOf(q)]! * 4;
    return { queue: q, pktInfo: x.words[w]! & 0xFFFF, hash: x.words[w + 1]! };
  };
  const queueOf = async (f: Uint8Array) => (await send(f)).queue;
  const SYN = 0x02, ACK = 0x10;
  const etype = new Uint8Array(60);
  etype.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xB5]);

  t.is(await queueOf(etype), 70, 'EtherType filter');
  t.is(await queueOf(ipv4(17, '10.0.0.1', '10.0.0.2', 1000, 2000)), 40, '5-tuple: UDP to port 2000');
  t.is(await queueOf(ipv4(17, '10.0.0.9', '10.0.0.2', 1000, 2000)), 43, 'of two matching 5-tuple filters, the one with priority 5 wins over priority 1');
  t.is(await queueOf(ipv4(6, '10.0.0.1', '10.0.0.2', 1000, 2000, SYN)), 41, 'SYN filter (no TCP 5-tuple filter for port 2000)');
  t.is(await queueOf(ipv4(6, '10.0.0.1', '10.0.0.2', 1000, 3000, SYN)), 42, 'the 5-tuple filter goes before the SYN filter while SYNQFP is clear');
  x.setReg(r.SYNQF, (r.SYNQF_QUEUE_EN | (41 << r.SYNQF_RX_QUEUE_SHIFT) | r.SYNQF_SYNQFP) >>> 0);
  t.is(await queueOf(ipv4(6, '10.0.0.1', '10.0.0.2', 1000, 3000, SYN)), 41, 'with SYNQFP the SYN filter goes first');
  t.is(await queueOf(ipv4(6, '10.0.0.1', '10.0.0.2', 1000, 3000, SYN | ACK)), 42, 'a SYN-ACK is not a SYN for the SYN filter');

  const tcp4 = d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_TCP;
  t.deepEqual(await send(ipv4(6, '66.9.149.187', '161.142.100.80', 2794, 1766, ACK)), { queue: 1, pktInfo: tcp4 | d.RXD_RSSTYPE_IPV4_TCP, hash: 0x51ccc178 }, 'RSS, TCP/IPv4 4-tuple hash');
  t.deepEqual(await send(ipv4(6, '199.92.111.2', '65.69.140.83', 14230, 4739, ACK)), { queue: 2, pktInfo: tcp4 | d.RXD_RSSTYPE_IPV4_TCP, hash: 0xc626b0ea });
  t.deepEqual(await send(ipv4(17, '24.19.198.95', '12.22.207.184', 12898, 38024)), { queue: 3, pktInfo: d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_UDP | d.RXD_RSSTYPE_IPV4_UDP, hash: 0x5c2b394a }, 'RSS, UDP/IPv4 (same input as TCP)');
  t.deepEqual(await send(ipv4(1, '199.92.111.2', '65.69.140.83')), { queue: 1, pktInfo: d.RXD_PKTTYPE_IPV4 | d.RXD_RSSTYPE_IPV4, hash: 0xd718262a }, 'RSS, IPv4 2-tuple hash');
  const ipv6 = new Uint8Array(60);
  ipv6.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xDD, 0x60, 0, 0, 0, 0, 0, 59, 64]);
  t.deepEqual(await send(ipv6), { queue: 0, pktInfo: d.RXD_PKTTYPE_IPV6, hash: 0 }, 'IPv6 (no filter, no IPv6 hashing enabled): queue 0');
  t.is(x.nic.counters().rxNotStarted, 0);
});
