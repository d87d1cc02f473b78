/**
 * set verbose's packet lines for the packet types rte_net_get_ptype tells apart: the
 * expected lines are dpdk-testpmd 22.11's for the same frames (rxonly, `set verbose 1`, read
 * from a pcap by net_pcap; its ` - timestamp 0 ` field, which net_pcap adds, left out), and,
 * for the RSS and VLAN fields no DPDK PMD here sets, what dump_pkt_burst's format gives.
 */
import test from 'ava';
import { M16_VLAN_TCI, M_OL_FLAGS, M_OL_FLAGS_HI, M_RSS_HASH, MemoryManager, Mempool, OlFlags, mbufHeader, mbufSetRx, mbufWrite } from '@dpkit/eal';
import { dumpPacket } from '../fwd/dump.js';

const pool = Mempool.create(new MemoryManager(), 'mb_pool_0', { size: 64, cacheSize: 0 });

function mbuf(hex: string): number {
  const bytes = Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
  const pkts = new Uint32Array(1);
  if (!pool.allocBulk(pkts, 0, 1)) throw new Error('pool empty');
  const m = pkts[0]!;
  mbufSetRx(m, bytes.length, 0);
  mbufWrite(m, 0, bytes.length, bytes, 0);
  return m;
}

const eth = (type: string, dst = '0200000000bb') => `${dst}0200000000aa${type}`;
const pad = (h: string, len = 60) => h.padEnd(len * 2, '0');
const ip4 = (proto: string, payloadLen: number, ihl = 5, frag = '0000') => `4${ihl}00${(20 + (ihl - 5) * 4 + payloadLen).toString(16).padStart(4, '0')}0001${frag}40${proto}00000a0000010a000002${'01'.repeat((ihl - 5) * 4)}`;
const ip6 = (nh: string, payloadLen: number) => `60000000${payloadLen.toString(16).padStart(4, '0')}${nh}40${'20'.padEnd(32, '0')}${'20'.padEnd(30, '0')}02`;
const tcp = '04d200500000000100000000' + '8002' + '03e800000000' + '00'.repeat(12);
const udp = '0035003500100000' + '78'.repeat(8);
const sctp = '0001000200000000' + '00000000' + '79'.repeat(8);
const icmp = '0800000000010001' + '7a'.repeat(8);
const RX_FLAGS = '  ol_flags: RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN \n';
const line = (rest: string) => `  src=02:00:00:00:00:AA - dst=02:00:00:00:00:BB - pool=mb_pool_0 - ${rest} - Receive queue=0x0\n${RX_FLAGS}`;

const cases: [string, string, string][] = [
  ['VLAN, IPv4, TCP', eth('8100') + '00640800' + ip4('06', 32) + tcp, line('type=0x8100 - length=70 - nb_segs=1 - sw ptype: L2_ETHER_VLAN L3_IPV4 L4_TCP  - l2_len=18 - l3_len=20 - l4_len=32')],
  ['IPv6, UDP', eth('86dd') + ip6('11', 16) + udp, line('type=0x86dd - length=70 - nb_segs=1 - sw ptype: L2_ETHER L3_IPV6 L4_UDP  - l2_len=14 - l3_len=40 - l4_len=8')],
  ['an IPv4 fragment', pad(eth('0800') + ip4('11', 16, 5, '2000') + udp), line('type=0x0800 - length=60 - nb_segs=1 - sw ptype: L2_ETHER L3_IPV4 L4_FRAG  - l2_len=14 - l3_len=20 - l4_len=0')],
  ['IPv4 with options, ICMP', pad(eth('0800') + ip4('01', 16, 6) + icmp), line('type=0x0800 - length=60 - nb_segs=1 - sw ptype: L2_ETHER L3_IPV4_EXT  - l2_len=14 - l3_len=24')],
  ['QinQ, IPv4, SCTP', pad(eth('88a8') + '00c881000064' + '0800' + ip4('84', 20) + sctp), line('type=0x88a8 - length=62 - nb_segs=1 - sw ptype: L2_ETHER_QINQ L3_IPV4 L4_SCTP  - l2_len=22 - l3_len=20 - l4_len=12')],
  ['ARP', pad(eth('0806', 'ffffffffffff') + '0001080006040001' + '00'.repeat(20)),
    `  src=02:00:00:00:00:AA - dst=FF:FF:FF:FF:FF:FF - pool=mb_pool_0 - type=0x0806 - length=60 - nb_segs=1 - sw ptype: L2_ETHER  - l2_len=14 - Receive queue=0x0\n${RX_FLAGS}`],
  ['IPv6 with a hop-by-hop header, UDP', eth('86dd') + ip6('00', 24) + '1100000000000000' + udp, line('type=0x86dd - length=78 - nb_segs=1 - sw ptype: L2_ETHER L3_IPV6_EXT L4_UDP  - l2_len=14 - l3_len=48 - l4_len=8')],
];

for (const [what, frame, expected] of cases) {
  test(`received ${what}: dpdk-testpmd's line`, (t) => {
    t.is(dumpPacket(mbuf(frame), 0, true), expected);
  });
}

test('RSS hash, VLAN tci and checksum flags as dump_pkt_burst prints them; sent packets list the tx flags', (t) => {
  const m = mbuf(pad(eth('0800') + ip4('11', 16) + udp));
  const b = mbufHeader(m);
  pool.h32[b + M_OL_FLAGS] = OlFlags.RX_RSS_HASH | OlFlags.RX_VLAN | OlFlags.RX_VLAN_STRIPPED | OlFlags.RX_IP_CKSUM_GOOD | OlFlags.RX_L4_CKSUM_BAD;
  pool.h32[b + M_RSS_HASH] = 0xdeadbeef;
  pool.h16[b * 2 + M16_VLAN_TCI] = 0x64;
  t.is(dumpPacket(m, 3, true), '  src=02:00:00:00:00:AA - dst=02:00:00:00:00:BB - pool=mb_pool_0 - type=0x0800 - length=60 - nb_segs=1'
    + ' - RSS hash=0xdeadbeef - RSS queue=0x3 - VLAN tci=0x64 - sw ptype: L2_ETHER L3_IPV4 L4_UDP  - l2_len=14 - l3_len=20 - l4_len=8 - Receive queue=0x3\n'
    + '  ol_flags: RTE_MBUF_F_RX_VLAN RTE_MBUF_F_RX_RSS_HASH RTE_MBUF_F_RX_L4_CKSUM_BAD RTE_MBUF_F_RX_IP_CKSUM_GOOD RTE_MBUF_F_RX_VLAN_STRIPPED RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN \n');
  // tx: RTE_MBUF_F_TX_IPV4 (bit 55), RTE_MBUF_F_TX_IP_CKSUM (54), RTE_MBUF_F_TX_UDP_CKSUM (3 << 52)
  pool.h32[b + M_OL_FLAGS] = 0;
  pool.h32[b + M_OL_FLAGS_HI] = (1 << 23) | (1 << 22) | (3 << 20);
  t.true(dumpPacket(m, 1, false).endsWith(' - Send queue=0x1\n  ol_flags: RTE_MBUF_F_TX_IP_CKSUM RTE_MBUF_F_TX_UDP_CKSUM RTE_MBUF_F_TX_IPV4 \n'));
});
