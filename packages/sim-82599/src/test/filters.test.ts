// Receive queue selection in loopback, each frame sent alone through tx queue 0 and found on
// the rx ring whose head moved: EtherType filter, 5-tuple filters by priority, the SYN filter
// after or (SYNQF.SYNQFP) before the 5-tuple filters, RSS over RETA with the hash in the
// descriptor, queue 0 otherwise. The RSS cases use the 82599 datasheet's RSS verification
// suite (§7.1.2.8.3) as DPDK's app/test/test_thash.c quotes it: Microsoft's key and hashes.
import test from 'ava';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import { RSS_KEY } from '../kernel.js';
import * as r from '@dpkit/ixgbe-defs/regs';
import { addr, ipv4, rig, until } from './rig.js';

const QUEUES = [0, 1, 2, 3, 32, 40, 41, 42, 43, 70];
const TX = 0xC0000, TXBUF = 0xD0000;
const ring = (i: number) => i * 0x200;
const buffers = (i: number) => 0x10000 + i * 0x10000;

const le32 = (b: number[]) => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
const le16port = (p: number) => ((p >> 8) | ((p & 0xFF) << 8)) & 0xFFFF; // a port in wire order, loaded little-endian

type Rig = ReturnType<typeof rig>;

/** A 5-tuple filter i comparing the protocol and the given fields (the rest masked). */
function fiveTuple(x: Rig, i: number, protocol: number, priority: number, queue: number, o: { src?: string; dport?: number }) {
  let mask = r.FTQF_MASK_SOURCE_PORT | r.FTQF_MASK_DEST_ADDR;
  if (o.src) x.setReg(r.SAQF(i), le32(addr(o.src))); else mask |= r.FTQF_MASK_SOURCE_ADDR;
  if (o.dport !== undefined) x.setReg(r.SDPQF(i), le16port(o.dport) << 16); else mask |= r.FTQF_MASK_DEST_PORT;
  x.setReg(r.L34T_IMIR(i), r.L34T_IMIR_RESERVE | (queue << r.L34T_IMIR_RX_QUEUE_SHIFT));
  x.setReg(r.FTQF(i), (r.FTQF_QUEUE_ENABLE | r.FTQF_POOL_MASK_EN | mask | (priority << r.FTQF_PRIORITY_SHIFT) | protocol) >>> 0);
}

/** RSS on IPv4, TCP/IPv4, UDP/IPv4 with Microsoft's key, RETA entry j -> queue 1 + j % 3, the hash in the descriptor. */
function rss(x: Rig) {
  for (let i = 0; i < r.RSSRK_WORDS; i++) x.setReg(r.RSSRK(i), le32(RSS_KEY.slice(4 * i, 4 * i + 4)));
  for (let i = 0; i < r.RETA_WORDS; i++) x.setReg(r.RETA(i), le32([0, 1, 2, 3].map((k) => 1 + ((4 * i + k) % 3)))); // entry j -> queue 1 + j % 3
  x.setReg(r.MRQC, r.MRQC_RSSEN | r.MRQC_RSS_FIELD_IPV4 | r.MRQC_RSS_FIELD_IPV4_TCP | r.MRQC_RSS_FIELD_IPV4_UDP);
  x.setReg(r.RXCSUM, r.RXCSUM_PCSD);
}

/** A device in loopback with rx rings on QUEUES and tx queue 0; `send` transmits one frame and
 * reports the one rx queue whose head moved (or the list of those that did) and its write-back. */
async function setup(t: { teardown(fn: () => void): void }) {
  const x = rig();
  t.teardown(x.close);
  x.nic.start();
  for (const [i, q] of QUEUES.entries()) await x.rxQueue(q, ring(i), buffers(i));
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  await x.txQueue(0, TX);
  let sent = 0;
  const send = async (f: Uint8Array) => {
    const heads = QUEUES.map((q) => x.reg(r.RDH(q)));
    const dropped = x.nic.counters().rxNotStarted;
    x.bytes.set(f, TXBUF + sent * 0x800);
    x.txDescriptor(TX, sent, TXBUF + sent * 0x800, f.length, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, f.length);
    x.setReg(r.TDT(0), ++sent);
    await until(() => QUEUES.some((q, i) => x.reg(r.RDH(q)) !== heads[i]) || x.nic.counters().rxNotStarted !== dropped);
    const moved = QUEUES.filter((q, i) => x.reg(r.RDH(q)) !== heads[i]);
    if (moved.length !== 1) return { queue: moved, pktInfo: 0, hash: 0, status: 0 };
    const q = moved[0]!;
    const w = (ring(QUEUES.indexOf(q)) >> 2) + heads[QUEUES.indexOf(q)]! * 4;
    return { queue: q, pktInfo: x.words[w]! & 0xFFFF, hash: x.words[w + 1]!, status: x.words[w + 2]! };
  };
  return { x, send };
}

test('filters pick the queue in the 82599 order: EtherType, 5-tuple by priority, SYN, RSS, queue 0', async (t) => {
  const { x, send } = await setup(t);
  x.setReg(r.ETQF(0), r.ETQF_FILTER_EN | 0x88B5);
  x.setReg(r.ETQS(0), r.ETQS_QUEUE_EN | (70 << r.ETQS_RX_QUEUE_SHIFT));
  fiveTuple(x, 0, r.FTQF_PROTOCOL_UDP, 1, 40, { dport: 2000 });
  fiveTuple(x, 1, r.FTQF_PROTOCOL_TCP, 1, 42, { dport: 3000 });
  fiveTuple(x, 2, r.FTQF_PROTOCOL_UDP, 5, 43, { src: '10.0.0.9', dport: 2000 });
  x.setReg(r.SYNQF, r.SYNQF_QUEUE_EN | (41 << r.SYNQF_RX_QUEUE_SHIFT));
  rss(x);
  const queueOf = async (f: Uint8Array) => (await send(f)).queue;
  const sendQ = async (f: Uint8Array) => { const { queue, pktInfo, hash } = await send(f); return { queue, pktInfo, hash }; };
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
  t.deepEqual(await sendQ(ipv4(6, '66.9.149.187', '161.142.100.80', 2794, 1766, ACK)), { queue: 1, pktInfo: tcp4 | d.RXD_RSSTYPE_IPV4_TCP, hash: 0x51ccc178 }, 'RSS, TCP/IPv4 4-tuple hash');
  t.deepEqual(await sendQ(ipv4(6, '199.92.111.2', '65.69.140.83', 14230, 4739, ACK)), { queue: 2, pktInfo: tcp4 | d.RXD_RSSTYPE_IPV4_TCP, hash: 0xc626b0ea });
  t.deepEqual(await sendQ(ipv4(17, '24.19.198.95', '12.22.207.184', 12898, 38024)), { queue: 3, pktInfo: d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_UDP | d.RXD_RSSTYPE_IPV4_UDP, hash: 0x5c2b394a }, 'RSS, UDP/IPv4 (same input as TCP)');
  t.deepEqual(await sendQ(ipv4(1, '199.92.111.2', '65.69.140.83')), { queue: 1, pktInfo: d.RXD_PKTTYPE_IPV4 | d.RXD_RSSTYPE_IPV4, hash: 0xd718262a }, 'RSS, IPv4 2-tuple hash');
  const ipv6 = new Uint8Array(60);
  ipv6.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xDD, 0x60, 0, 0, 0, 0, 0, 59, 64]);
  t.deepEqual(await sendQ(ipv6), { queue: 0, pktInfo: d.RXD_PKTTYPE_IPV6, hash: 0 }, 'IPv6 (no filter, no IPv6 hashing enabled): queue 0');
  t.is(x.nic.counters().rxNotStarted, 0);
});

test('flow director perfect filters, programmed as Linux\'s ixgbe does for ethtool -N udp4 src-ip 1.1.1.1 action 32: after 5-tuple and SYN, before RSS', async (t) => {
  const { x, send } = await setup(t);
  rss(x);
  fiveTuple(x, 0, r.FTQF_PROTOCOL_UDP, 1, 40, { dport: 2000 });
  const poll = (done: () => boolean) => until(done);
  // init: keys, then FDIRCTRL = PBALLOC 64K | PERFECT_MATCH | REPORT_STATUS | drop queue 127 | flex 6 | max length 0xA | full 4
  x.setReg(r.FDIRHKEY, 0x3DAD14E2);
  x.setReg(r.FDIRSKEY, 0x174D3614);
  x.setReg(r.FDIRCTRL, 0x4A067F31);
  await poll(() => (x.reg(r.FDIRCTRL) & r.FDIRCTRL_INIT_DONE) !== 0);
  t.is(x.reg(r.FDIRCTRL) & r.FDIRCTRL_INIT_DONE, r.FDIRCTRL_INIT_DONE, 'INIT_DONE');
  t.is(x.reg(r.FDIRFREE), 2046, '(1024 << 1) - 2 free perfect filters');
  // the port's one input mask: source address compared, destination and ports ignored
  x.setReg(r.FDIRM, 0x37);
  x.setReg(r.FDIRTCPM, 0xFFFFFFFF);
  x.setReg(r.FDIRUDPM, 0xFFFFFFFF);
  x.setReg(r.FDIRSIP4M, 0);
  x.setReg(r.FDIRDIP4M, 0xFFFFFFFF);
  const add = async (src: string, hash: number, cmd: number) => {
    x.setReg(r.FDIRIPSA, le32(addr(src)));
    x.setReg(r.FDIRIPDA, 0);
    x.setReg(r.FDIRPORT, 0);
    x.setReg(r.FDIRVLAN, 0);
    x.setReg(r.FDIRHASH, hash);
    x.setReg(r.FDIRCMD, cmd);
    await poll(() => (x.reg(r.FDIRCMD) & r.FDIRCMD_CMD_MASK) === 0);
  };
  await add('1.1.1.1', 0x07FD09E5, 0x00208829); // loc 2045, bucket 0x09E5; ADD | UPDATE | UDPV4 | LAST | QUEUE_EN | queue 32
  const drop = (r.FDIRCMD_CMD_ADD_FLOW | r.FDIRCMD_FILTER_UPDATE | (r.ATR_FLOW_TYPE_UDPV4 << r.FDIRCMD_FLOW_TYPE_SHIFT) | r.FDIRCMD_LAST | r.FDIRCMD_QUEUE_EN | r.FDIRCMD_DROP | (127 << r.FDIRCMD_RX_QUEUE_SHIFT)) >>> 0;
  await add('1.1.1.3', 0x07FC0123, drop); // loc 2044: action -1
  t.is(x.reg(r.FDIRFREE), 2044);

  const udp4 = d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_UDP;
  const done = d.RXD_STAT_DD | d.RXD_STAT_EOP;
  t.deepEqual(await send(ipv4(17, '1.1.1.1', '10.0.0.2', 5000, 6000)), { queue: 32, pktInfo: udp4, hash: (0x09E5 << 16 | 2045) >>> 0, status: done | d.RXD_STAT_FLM }, 'matched: queue 32, FLM, the filter id where the hash would be');
  const other = await send(ipv4(17, '1.1.1.2', '10.0.0.2', 5000, 6000));
  t.deepEqual([other.status, other.pktInfo & d.RXD_RSSTYPE_MASK], [done, d.RXD_RSSTYPE_IPV4_UDP], 'another source: RSS');
  t.not(other.queue, 32);
  const tcp = await send(ipv4(6, '1.1.1.1', '10.0.0.2', 5000, 6000, 0x10));
  t.deepEqual([tcp.status, tcp.pktInfo & d.RXD_RSSTYPE_MASK], [done, d.RXD_RSSTYPE_IPV4_TCP], 'TCP from 1.1.1.1 is not the udp4 rule: RSS');
  t.is((await send(ipv4(17, '1.1.1.1', '10.0.0.2', 5000, 2000))).queue, 40, 'a 5-tuple filter goes before the flow director');
  t.deepEqual((await send(ipv4(17, '1.1.1.3', '10.0.0.2', 5000, 6000))).queue, [], 'action -1: to the drop queue 127, which is not started');
  t.is(x.nic.counters().rxNotStarted, 1, 'the dropped frame is counted');

  // erase loc 2045 as the base code does: query, then remove
  x.setReg(r.FDIRHASH, 0x07FD09E5);
  x.setReg(r.FDIRCMD, r.FDIRCMD_CMD_QUERY_REM_FILT);
  await poll(() => (x.reg(r.FDIRCMD) & r.FDIRCMD_CMD_MASK) === 0);
  t.is(x.reg(r.FDIRCMD) & r.FDIRCMD_FILTER_VALID, r.FDIRCMD_FILTER_VALID, 'query finds the filter');
  x.setReg(r.FDIRHASH, 0x07FD09E5);
  x.setReg(r.FDIRCMD, r.FDIRCMD_CMD_REMOVE_FLOW);
  await poll(() => (x.reg(r.FDIRCMD) & r.FDIRCMD_CMD_MASK) === 0);
  t.is(x.reg(r.FDIRFREE), 2045);
  const after = await send(ipv4(17, '1.1.1.1', '10.0.0.2', 5000, 6000));
  t.deepEqual([after.status, after.pktInfo & d.RXD_RSSTYPE_MASK], [done, d.RXD_RSSTYPE_IPV4_UDP], 'removed: RSS again');
  t.deepEqual([x.reg(r.FDIRMATCH), x.reg(r.FDIRMISS)], [2, 3], 'FDIRMATCH: 1.1.1.1 and 1.1.1.3; FDIRMISS: the other three that reached the flow director');
});

test('flow director port masks are bit-reversed (FDIRUDPM bit 15 masks port bit 0): a rule on the high byte of the destination port', async (t) => {
  const { x, send } = await setup(t);
  x.setReg(r.FDIRCTRL, 0x4A067F31);
  await until(() => (x.reg(r.FDIRCTRL) & r.FDIRCTRL_INIT_DONE) !== 0);
  const bitrev16 = (v: number) => { let o = 0; for (let i = 0; i < 16; i++) o |= ((v >> i) & 1) << (15 - i); return o; };
  // compare destination port bits 15:8 only: FDIRUDPM = ~(bitrev(match mask) << 16), source port ignored
  x.setReg(r.FDIRM, 0x37);
  x.setReg(r.FDIRUDPM, ~(bitrev16(0xFF00) << 16) >>> 0);
  x.setReg(r.FDIRSIP4M, 0xFFFFFFFF);
  x.setReg(r.FDIRDIP4M, 0xFFFFFFFF);
  x.setReg(r.FDIRPORT, 0x1200 << r.FDIRPORT_DESTINATION_SHIFT);
  x.setReg(r.FDIRHASH, 7 << r.FDIRHASH_SIG_SW_INDEX_SHIFT);
  x.setReg(r.FDIRCMD, (r.FDIRCMD_CMD_ADD_FLOW | (r.ATR_FLOW_TYPE_UDPV4 << r.FDIRCMD_FLOW_TYPE_SHIFT) | r.FDIRCMD_QUEUE_EN | (32 << r.FDIRCMD_RX_QUEUE_SHIFT)) >>> 0);
  await until(() => (x.reg(r.FDIRCMD) & r.FDIRCMD_CMD_MASK) === 0);
  t.is((await send(ipv4(17, '10.0.0.1', '10.0.0.2', 5000, 0x12AB))).queue, 32, 'port 0x12AB: high byte 0x12 matches');
  t.is((await send(ipv4(17, '10.0.0.1', '10.0.0.2', 5000, 0x13AB))).queue, 0, 'port 0x13AB: no match (no RSS set up: queue 0)');
});
