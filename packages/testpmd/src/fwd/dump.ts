/**
 * `set verbose N`'s packet dump (DPDK 22.11 testpmd's dump_pkt_burst): the burst line
 * `port P/queue Q: received|sent N packets`, then per packet the addresses, pool, EtherType,
 * lengths, the RSS/VLAN fields that ol_flags says are valid, the hardware packet type when the
 * driver set one, the software packet type (rte_net_get_ptype) with its header lengths, the
 * queue, and the rx or tx ol_flags names. Runs on the forwarding lcore and only while verbose
 * is on (it builds strings); the text goes straight to the process's stdout, as DPDK's printf.
 *
 * The software packet type knows Ethernet, VLAN and QinQ, IPv4 (with options), IPv6 (with
 * hop-by-hop, routing, fragment and destination-options headers), TCP, UDP, SCTP and
 * fragments, as rte_net_get_ptype; MPLS and tunnels (GRE, IPIP, VXLAN...) are not decoded.
 */
import { writeSync } from 'node:fs';
import {
  M16_VLAN_TCI, M16_VLAN_TCI_OUTER, M_OL_FLAGS, M_OL_FLAGS_HI, M_PACKET_TYPE, M_RSS_HASH, OlFlags, formatMac,
  mbufHeader, mbufNbSegs, mbufPktLen, mbufPool, mbufRead,
} from '@dpkit/eal';

/** rte_get_rx_ol_flag_list: [flag, mask, name] over ol_flags' low word, in DPDK's order */
const RX_FLAGS: [number, number, string][] = [
  [1 << 0, 1 << 0, 'RTE_MBUF_F_RX_VLAN'],
  [1 << 1, 1 << 1, 'RTE_MBUF_F_RX_RSS_HASH'],
  [1 << 2, 1 << 2, 'RTE_MBUF_F_RX_FDIR'],
  [1 << 3, (1 << 3) | (1 << 8), 'RTE_MBUF_F_RX_L4_CKSUM_BAD'],
  [1 << 8, (1 << 3) | (1 << 8), 'RTE_MBUF_F_RX_L4_CKSUM_GOOD'],
  [(1 << 3) | (1 << 8), (1 << 3) | (1 << 8), 'RTE_MBUF_F_RX_L4_CKSUM_NONE'],
  [0, (1 << 3) | (1 << 8), 'RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN'],
  [1 << 4, (1 << 4) | (1 << 7), 'RTE_MBUF_F_RX_IP_CKSUM_BAD'],
  [1 << 7, (1 << 4) | (1 << 7), 'RTE_MBUF_F_RX_IP_CKSUM_GOOD'],
  [(1 << 4) | (1 << 7), (1 << 4) | (1 << 7), 'RTE_MBUF_F_RX_IP_CKSUM_NONE'],
  [0, (1 << 4) | (1 << 7), 'RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN'],
  [1 << 5, 1 << 5, 'RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD'],
  [1 << 6, 1 << 6, 'RTE_MBUF_F_RX_VLAN_STRIPPED'],
  [1 << 9, 1 << 9, 'RTE_MBUF_F_RX_IEEE1588_PTP'],
  [1 << 10, 1 << 10, 'RTE_MBUF_F_RX_IEEE1588_TMST'],
  [1 << 13, 1 << 13, 'RTE_MBUF_F_RX_FDIR_ID'],
  [1 << 14, 1 << 14, 'RTE_MBUF_F_RX_FDIR_FLX'],
  [1 << 15, 1 << 15, 'RTE_MBUF_F_RX_QINQ_STRIPPED'],
  [1 << 16, 1 << 16, 'RTE_MBUF_F_RX_LRO'],
  [1 << 18, 1 << 18, 'RTE_MBUF_F_RX_SEC_OFFLOAD'],
  [1 << 19, 1 << 19, 'RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED'],
  [1 << 20, 1 << 20, 'RTE_MBUF_F_RX_QINQ'],
  [1 << 21, (1 << 21) | (1 << 22), 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD'],
  [1 << 22, (1 << 21) | (1 << 22), 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD'],
  [(1 << 21) | (1 << 22), (1 << 21) | (1 << 22), 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_INVALID'],
  [0, (1 << 21) | (1 << 22), 'RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN'],
];

/** rte_get_tx_ol_flag_list over ol_flags' high word (bit n here is RTE_MBUF_F_TX bit 32 + n) */
const TUNNEL = 0xf << 13;
const L4 = 3 << 20;
const TX_FLAGS: [number, number, string][] = [
  [1 << 25, 1 << 25, 'RTE_MBUF_F_TX_VLAN'],
  [1 << 22, 1 << 22, 'RTE_MBUF_F_TX_IP_CKSUM'],
  [1 << 20, L4, 'RTE_MBUF_F_TX_TCP_CKSUM'],
  [2 << 20, L4, 'RTE_MBUF_F_TX_SCTP_CKSUM'],
  [3 << 20, L4, 'RTE_MBUF_F_TX_UDP_CKSUM'],
  [0, L4, 'RTE_MBUF_F_TX_L4_NO_CKSUM'],
  [1 << 19, 1 << 19, 'RTE_MBUF_F_TX_IEEE1588_TMST'],
  [1 << 18, 1 << 18, 'RTE_MBUF_F_TX_TCP_SEG'],
  [1 << 23, 1 << 23, 'RTE_MBUF_F_TX_IPV4'],
  [1 << 24, 1 << 24, 'RTE_MBUF_F_TX_IPV6'],
  [1 << 26, 1 << 26, 'RTE_MBUF_F_TX_OUTER_IP_CKSUM'],
  [1 << 27, 1 << 27, 'RTE_MBUF_F_TX_OUTER_IPV4'],
  [1 << 28, 1 << 28, 'RTE_MBUF_F_TX_OUTER_IPV6'],
  [1 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_VXLAN'],
  [7 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_GTP'],
  [2 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_GRE'],
  [3 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_IPIP'],
  [4 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_GENEVE'],
  [5 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_MPLSINUDP'],
  [6 << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_VXLAN_GPE'],
  [0xd << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_IP'],
  [0xe << 13, TUNNEL, 'RTE_MBUF_F_TX_TUNNEL_UDP'],
  [1 << 17, 1 << 17, 'RTE_MBUF_F_TX_QINQ'],
  [1 << 12, 1 << 12, 'RTE_MBUF_F_TX_MACSEC'],
  [1 << 11, 1 << 11, 'RTE_MBUF_F_TX_SEC_OFFLOAD'],
  [1 << 10, 1 << 10, 'RTE_MBUF_F_TX_UDP_SEG'],
  [1 << 9, 1 << 9, 'RTE_MBUF_F_TX_OUTER_UDP_CKSUM'],
];

function flagList(word: number, table: [number, number, string][]): string {
  let s = '';
  for (const [flag, mask, name] of table) if (((word & mask) >>> 0) === flag >>> 0) s += `${name} `;
  return s;
}

// RTE_PTYPE_* values and rte_get_ptype_name's names for the layers dpkit decodes
const L2_NAMES: Record<number, string> = {
  0x1: 'L2_ETHER', 0x2: 'L2_ETHER_TIMESYNC', 0x3: 'L2_ETHER_ARP', 0x4: 'L2_ETHER_LLDP', 0x5: 'L2_ETHER_NSH', 0x6: 'L2_ETHER_VLAN',
  0x7: 'L2_ETHER_QINQ', 0x8: 'L2_ETHER_PPPOE', 0x9: 'L2_ETHER_FCOE', 0xa: 'L2_ETHER_MPLS',
};
const L3_NAMES: Record<number, string> = { 0x10: 'L3_IPV4', 0x30: 'L3_IPV4_EXT', 0x40: 'L3_IPV6', 0x90: 'L3_IPV4_EXT_UNKNOWN', 0xc0: 'L3_IPV6_EXT', 0xe0: 'L3_IPV6_EXT_UNKNOWN' };
const L4_NAMES: Record<number, string> = { 0x100: 'L4_TCP', 0x200: 'L4_UDP', 0x300: 'L4_FRAG', 0x400: 'L4_SCTP', 0x500: 'L4_ICMP', 0x600: 'L4_NONFRAG', 0x700: 'L4_IGMP' };
const UNKNOWN = ['L2_UNKNOWN', 'L3_UNKNOWN', 'L4_UNKNOWN'];

/** rte_get_ptype_name for the L2/L3/L4 layers (each name followed by a space) */
function ptypeName(t: number): string {
  let s = '';
  ([[0xf, L2_NAMES], [0xf0, L3_NAMES], [0xf00, L4_NAMES]] as const).forEach(([mask, names], i) => {
    const v = t & mask;
    if (v !== 0) s += `${names[v] ?? UNKNOWN[i]} `;
  });
  return s;
}

/** rte_net_get_ptype over the packet's first bytes: the type and the l2/l3/l4 lengths */
export function swPtype(p: Uint8Array, len: number): { type: number; l2: number; l3: number; l4: number } {
  const out = { type: 0, l2: 0, l3: 0, l4: 0 };
  if (len < 14) return out;
  out.type = 0x1;
  out.l2 = 14;
  let proto = (p[12]! << 8) | p[13]!;
  let off = 14;
  if (proto === 0x8100 && len >= 18) {
    out.type = 0x6;
    proto = (p[16]! << 8) | p[17]!;
    off = out.l2 = 18;
  } else if (proto === 0x88a8 && len >= 22) {
    out.type = 0x7;
    proto = (p[20]! << 8) | p[21]!;
    off = out.l2 = 22;
  }
  let l4proto = -1;
  if (proto === 0x0800 && len >= off + 20) {
    const vi = p[off]!;
    if (vi === 0x45) out.type |= 0x10;
    else if (vi > 0x45 && vi <= 0x4f) out.type |= 0x30;
    out.l3 = (vi & 0xf) * 4;
    if ((((p[off + 6]! << 8) | p[off + 7]!) & 0x3fff) !== 0) {
      out.type |= 0x300;
      return out;
    }
    l4proto = p[off + 9]!;
    off += out.l3;
  } else if (proto === 0x86dd && len >= off + 40) {
    l4proto = p[off + 6]!;
    out.l3 = 40;
    off += 40;
    // extension headers (hop-by-hop, routing, fragment, ESP, AH, destination options) make it
    // L3_IPV6_EXT; hop-by-hop, routing, destination options and fragment are skipped (at most
    // 5), as rte_net_skip_ip6_ext
    if (![0, 43, 44, 50, 51, 60].includes(l4proto)) out.type |= 0x40;
    else {
      out.type |= 0xc0;
      let frag = false;
      for (let i = 0; i < 5 && [0, 43, 44, 60].includes(l4proto) && len >= off + 8; i++) {
        const next = p[off]!;
        if (l4proto === 44) {
          frag = true;
          off += 8;
        } else {
          off += (p[off + 1]! + 1) * 8;
        }
        l4proto = next;
      }
      out.l3 = off - out.l2;
      if (l4proto === 59) return out; // no next header
      if (frag) {
        out.type |= 0x300;
        return out;
      }
    }
  } else {
    return out;
  }
  if (l4proto === 17) {
    out.type |= 0x200;
    out.l4 = 8;
  } else if (l4proto === 6) {
    out.type |= 0x100;
    out.l4 = len >= off + 13 ? (p[off + 12]! & 0xf0) >> 2 : 0;
  } else if (l4proto === 132) {
    out.type |= 0x400;
    out.l4 = 12;
  }
  return out;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const head = new Uint8Array(128);

/** One packet's two lines (dump_pkt_burst's body). */
export function dumpPacket(m: number, queue: number, isRx: boolean): string {
  const pool = mbufPool(m);
  const b = mbufHeader(m);
  const pktLen = mbufPktLen(m);
  const n = mbufRead(m, 0, Math.min(pktLen, head.length), head, 0) < 0 ? 0 : Math.min(pktLen, head.length);
  const eth = head.subarray(0, 14);
  const type = n >= 14 ? (head[12]! << 8) | head[13]! : 0;
  const ol = pool.h32[b + M_OL_FLAGS]!;
  let s = `  src=${formatMac(eth.subarray(6, 12))} - dst=${formatMac(eth.subarray(0, 6))} - pool=${pool.name} - type=0x${type.toString(16).padStart(4, '0')} - length=${pktLen} - nb_segs=${mbufNbSegs(m)}`;
  if (ol & OlFlags.RX_RSS_HASH) s += ` - RSS hash=${hex(pool.h32[b + M_RSS_HASH]!)} - RSS queue=${hex(queue)}`;
  if (ol & OlFlags.RX_FDIR) s += ' - FDIR matched ';
  if (ol & (1 << 20)) s += ` - QinQ VLAN tci=${hex(pool.h16[b * 2 + M16_VLAN_TCI]!)}, VLAN tci outer=${hex(pool.h16[b * 2 + M16_VLAN_TCI_OUTER]!)}`;
  else if (ol & OlFlags.RX_VLAN) s += ` - VLAN tci=${hex(pool.h16[b * 2 + M16_VLAN_TCI]!)}`;
  const hw = pool.h32[b + M_PACKET_TYPE]!;
  if (hw !== 0) s += ` - hw ptype: ${ptypeName(hw)}`;
  const sw = swPtype(head, n);
  s += ` - sw ptype: ${ptypeName(sw.type)}`;
  if (sw.type & 0xf) s += ` - l2_len=${sw.l2}`;
  if (sw.type & 0xf0) s += ` - l3_len=${sw.l3}`;
  if (sw.type & 0xf00) s += ` - l4_len=${sw.l4}`;
  s += ` - ${isRx ? 'Receive' : 'Send'} queue=${hex(queue)}\n`;
  s += `  ol_flags: ${isRx ? flagList(ol, RX_FLAGS) : flagList(pool.h32[b + M_OL_FLAGS_HI]!, TX_FLAGS)}\n`;
  return s;
}

/** dump_pkt_burst: the burst's lines, written to stdout at once. */
export function dumpBurst(port: number, queue: number, pkts: Uint32Array, start: number, n: number, isRx: boolean): void {
  let s = `port ${port}/queue ${queue}: ${isRx ? 'received' : 'sent'} ${n} packets\n`;
  for (let i = start; i < start + n; i++) s += dumpPacket(pkts[i]!, queue, isRx);
  writeOut(s);
}

/** Writes all of `s` to fd 1 from this thread (a pipe may be non-blocking: EAGAIN is retried). */
function writeOut(s: string): void {
  const b = Buffer.from(s);
  for (let at = 0; at < b.length; ) {
    try {
      at += writeSync(1, b, at, b.length - at);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') return; // stdout gone: the main thread reports it
    }
  }
}
