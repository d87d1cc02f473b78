/**
 * csum: the checksum forwarding engine (DPDK's csumonly.c). For each packet received:
 *
 * 1. the MACs are set as the mac engine sets them (destination: the tx port's peer, source: its
 *    MAC), as DPDK's csum does by default;
 * 2. Ethernet, any VLAN/QinQ tags (0x8100, 0x88a8), then IPv4 or IPv6 and TCP, UDP or SCTP are
 *    parsed (DPDK's parse_ethernet; IPv6 extension headers and tunnels are not parsed);
 * 3. the received checksums are counted as DPDK counts them, into the stream's Bad-ipcsum,
 *    Bad-l4csum, Bad-outer-l4csum and Bad-outer-ipcsum: from the rx offload flags the driver
 *    set, and, where the driver left the IP or L4 checksum state unknown (dpkit's PMDs check
 *    none), by checking the IPv4 header checksum and the TCP/UDP (pseudo-header) or SCTP
 *    (CRC32c) checksum in software (a UDP checksum of 0 over IPv4 is "none", not bad);
 * 4. the checksums are written again, each in software or left to the tx port's hardware as
 *    `csum set ip|udp|tcp|sctp hw|sw` configured it (the port's tx offloads): the IPv4 header
 *    checksum always, the UDP checksum unless it was 0, TCP's, and SCTP's CRC32c (DPDK's sw
 *    path writes 0 there); ol_flags gets RTE_MBUF_F_TX_IPV4/IPV6 and the hw checksum flags, and
 *    l2_len/l3_len/l4_len the parsed lengths, as DPDK's;
 * 5. the burst is sent (what the tx queue refuses is freed and counted as dropped).
 *
 * The L4 checksums are checked and written only for a packet whose whole L4 segment (by the IP
 * length) is in its first mbuf, and not for IPv4 fragments (their L4 checksum covers the whole
 * datagram); such packets keep their L4 bytes. The variant that honours hw offloads is chosen
 * at stream init, only when the tx port has one configured: the common all-software path has
 * no branch on it. Nothing here allocates (the parse results go in a module-level Int32Array).
 */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M16_DATA_OFF, M_OL_FLAGS, M_OL_FLAGS_HI, M_TX_OFFLOAD, M_TX_OFFLOAD_HI } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { ipv4HeaderChecksum } from './common.js';
import { ipv4HeaderOk, l4ChecksumOk, pseudoSum, sctpChecksumOk, writeL4Checksum, writeSctpChecksum } from './checksum.js';

/** RTE_ETH_TX_OFFLOAD_* bits `csum set` turns on for hw */
export const TX_OFFLOAD = { IPV4_CKSUM: 0x2, UDP_CKSUM: 0x4, TCP_CKSUM: 0x8, SCTP_CKSUM: 0x10, OUTER_IPV4_CKSUM: 0x80, OUTER_UDP_CKSUM: 0x100000 } as const;
const CSUM_OFFLOADS = TX_OFFLOAD.IPV4_CKSUM | TX_OFFLOAD.UDP_CKSUM | TX_OFFLOAD.TCP_CKSUM | TX_OFFLOAD.SCTP_CKSUM;

// RTE_MBUF_F_RX_* checksum bits (low word of ol_flags)
const RX_IP_MASK = (1 << 4) | (1 << 7);
const RX_IP_BAD = 1 << 4;
const RX_L4_MASK = (1 << 3) | (1 << 8);
const RX_L4_BAD = 1 << 3;
const RX_OUTER_IP_BAD = 1 << 5;
const RX_OUTER_L4_BAD = 1 << 21;
// RTE_MBUF_F_TX_* bits 52..56 as bits of the high word of ol_flags
export const TX_FLAGS_HI = { TCP_CKSUM: 1 << 20, SCTP_CKSUM: 2 << 20, UDP_CKSUM: 3 << 20, IP_CKSUM: 1 << 22, IPV4: 1 << 23, IPV6: 1 << 24 } as const;
/** RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL (bits 62, 61): kept, as DPDK keeps them */
const KEEP_HI = (1 << 30) | (1 << 29);

const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const DATA_LEN = M16_DATA_LEN;
const DATA_OFF = M16_DATA_OFF;
const OL_FLAGS = M_OL_FLAGS;
const OL_FLAGS_HI = M_OL_FLAGS_HI;
const TX_OFFLOAD_LO = M_TX_OFFLOAD;
const TX_OFFLOAD_HI = M_TX_OFFLOAD_HI;
const RX = FwdStat.RX;
const BAD_IP = FwdStat.BAD_IP_CSUM;
const BAD_L4 = FwdStat.BAD_L4_CSUM;
const BAD_OUTER_L4 = FwdStat.BAD_OUTER_L4_CSUM;
const BAD_OUTER_IP = FwdStat.BAD_OUTER_IP_CSUM;

const IPV4 = 0x0800;
const IPV6 = 0x86dd;
const TCP = 6;
const UDP = 17;
const SCTP = 132;

/** The parsed packet (DPDK's testpmd_offload_info): one per lcore thread, rewritten for each packet */
const info = new Int32Array(6);
const L2 = 0; // l2_len
const ETHERTYPE = 1; // IPV4, IPV6 or 0 (not parsed further)
const L3 = 2; // l3_len
const PROTO = 3; // l4_proto
const L4 = 4; // l4_len (TCP's data offset, 8 for UDP)
const SEG = 5; // bytes of the L4 segment when all of it is in the first mbuf and not a fragment, else -1

/** Fills `info` for the frame at b[off..end). */
function parse(b: Uint8Array, off: number, end: number): void {
  const r = info;
  r[L3] = 0; r[PROTO] = 0; r[L4] = 0; r[SEG] = -1; r[ETHERTYPE] = 0;
  let l2 = 14;
  if (off + l2 > end) { r[L2] = 0; return; }
  let type = (b[off + 12]! << 8) | b[off + 13]!;
  while ((type === 0x8100 || type === 0x88a8) && off + l2 + 4 <= end) {
    type = (b[off + l2 + 2]! << 8) | b[off + l2 + 3]!;
    l2 += 4;
  }
  r[L2] = l2;
  const ip = off + l2;
  let l3: number;
  let proto: number;
  let seg: number;
  if (type === IPV4) {
    if (ip + 20 > end) return;
    l3 = (b[ip]! & 0x0f) * 4;
    if (l3 < 20 || ip + l3 > end) return;
    proto = b[ip + 9]!;
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    const fragment = ((b[ip + 6]! & 0x3f) | b[ip + 7]!) !== 0; // MF or an offset
    seg = !fragment && total >= l3 && ip + total <= end ? total - l3 : -1;
  } else if (type === IPV6) {
    if (ip + 40 > end) return;
    l3 = 40;
    proto = b[ip + 6]!;
    const payload = (b[ip + 4]! << 8) | b[ip + 5]!;
    seg = ip + 40 + payload <= end ? payload : -1;
  } else {
    return;
  }
  r[ETHERTYPE] = type;
  r[L3] = l3;
  r[PROTO] = proto;
  const l4 = ip + l3;
  if (proto === TCP) {
    const hl = ip + l3 + 13 <= end ? (b[l4 + 12]! & 0xf0) >> 2 : 0;
    r[L4] = hl;
    r[SEG] = hl >= 20 && seg >= hl ? seg : -1;
  } else if (proto === UDP) {
    r[L4] = 8;
    r[SEG] = seg >= 8 ? seg : -1;
  } else if (proto === SCTP) {
    r[SEG] = seg >= 12 ? seg : -1;
  }
}

/** Software check of what the driver left unknown: bit 0 a bad IPv4 header checksum, bit 1 a bad L4 checksum. */
function check(b: Uint8Array, off: number, rxFlags: number): number {
  const r = info;
  const type = r[ETHERTYPE]!;
  if (type === 0) return 0;
  const ip = off + r[L2]!;
  let bad = 0;
  if (type === IPV4 && (rxFlags & RX_IP_MASK) === 0 && !ipv4HeaderOk(b, ip, r[L3]!)) bad = 1;
  const seg = r[SEG]!;
  if (seg < 0 || (rxFlags & RX_L4_MASK) !== 0) return bad;
  const l4 = ip + r[L3]!;
  const proto = r[PROTO]!;
  if (proto === SCTP) return sctpChecksumOk(b, l4, seg) ? bad : bad | 2;
  // UDP over IPv4 with checksum 0: the sender computed none
  if (proto === UDP && type === IPV4 && b[l4 + 6] === 0 && b[l4 + 7] === 0) return bad;
  return l4ChecksumOk(b, l4, seg, pseudoSum(b, ip, type === IPV6, proto, seg)) ? bad : bad | 2;
}

/** Writes every checksum in software (process_inner_cksums with no hw offload); returns the TX_IPV4/IPV6 flag. */
function fixSoftware(b: Uint8Array, off: number): number {
  const r = info;
  const type = r[ETHERTYPE]!;
  if (type === 0) return 0;
  const ip = off + r[L2]!;
  if (type === IPV4) ipv4HeaderChecksum(b, ip);
  const flag = type === IPV4 ? TX_FLAGS_HI.IPV4 : TX_FLAGS_HI.IPV6;
  const seg = r[SEG]!;
  if (seg < 0) return flag;
  const l4 = ip + r[L3]!;
  const proto = r[PROTO]!;
  if (proto === UDP) {
    // as DPDK: a UDP checksum of 0 stays 0
    if (b[l4 + 6] !== 0 || b[l4 + 7] !== 0) writeL4Checksum(b, l4, seg, pseudoSum(b, ip, type === IPV6, UDP, seg), 6, true);
  } else if (proto === TCP) {
    writeL4Checksum(b, l4, seg, pseudoSum(b, ip, type === IPV6, TCP, seg), 16, false);
  } else if (proto === SCTP) {
    writeSctpChecksum(b, l4, seg);
  }
  return flag;
}

/**
 * The same with some checksums left to the tx port (`csum set ... hw`): those get their
 * RTE_MBUF_F_TX_* flag instead; returns the high word of the flags.
 */
function fixOffload(b: Uint8Array, off: number, tx: number): number {
  const r = info;
  const type = r[ETHERTYPE]!;
  if (type === 0) return 0;
  const ip = off + r[L2]!;
  let flags: number;
  if (type === IPV4) {
    flags = TX_FLAGS_HI.IPV4;
    if (tx & TX_OFFLOAD.IPV4_CKSUM) flags |= TX_FLAGS_HI.IP_CKSUM;
    else ipv4HeaderChecksum(b, ip);
  } else {
    flags = TX_FLAGS_HI.IPV6;
  }
  const seg = r[SEG]!;
  if (seg < 0) return flags;
  const l4 = ip + r[L3]!;
  const proto = r[PROTO]!;
  if (proto === UDP) {
    if (b[l4 + 6] !== 0 || b[l4 + 7] !== 0) {
      if (tx & TX_OFFLOAD.UDP_CKSUM) flags |= TX_FLAGS_HI.UDP_CKSUM;
      else writeL4Checksum(b, l4, seg, pseudoSum(b, ip, type === IPV6, UDP, seg), 6, true);
    }
  } else if (proto === TCP) {
    if (tx & TX_OFFLOAD.TCP_CKSUM) flags |= TX_FLAGS_HI.TCP_CKSUM;
    else writeL4Checksum(b, l4, seg, pseudoSum(b, ip, type === IPV6, TCP, seg), 16, false);
  } else if (proto === SCTP) {
    // as DPDK: hardware SCTP checksums only for a payload that is a multiple of 4 bytes
    if ((tx & TX_OFFLOAD.SCTP_CKSUM) && (seg & 3) === 0) flags |= TX_FLAGS_HI.SCTP_CKSUM;
    else writeSctpChecksum(b, l4, seg);
  }
  return flags;
}

interface CsumState {
  /** the 12 MAC bytes: the tx port's peer, then its MAC */
  macs: Uint8Array;
  /** the tx port's checksum offloads */
  tx: number;
  /** the burst function, chosen at init: all software when `tx` is 0 */
  run: (s: FwdStream) => void;
}

/** One burst; `offload` is a constant per stream (the two exported packetFwd variants below). */
function forward(s: FwdStream, offload: boolean): void {
  const pkts = s.pkts;
  const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
  if (nbRx === 0) return;
  const stats = s.stats;
  stats[RX] += nbRx;
  const st = s.state as CsumState;
  const macs = st.macs;
  const tx = st.tx;
  let badIp = 0, badL4 = 0, badOuterL4 = 0, badOuterIp = 0;
  for (let i = 0; i < nbRx; i++) {
    const m = pkts[i]!;
    const pool = mempools[m >>> POOL_SHIFT]!;
    const idx = m & INDEX_MASK;
    const hb = idx << 4;
    const h32 = pool.h32;
    const len = pool.h16[(hb << 1) + DATA_LEN]!;
    const off = pool.dataOffset + idx * pool.eltSize + pool.h16[(hb << 1) + DATA_OFF]!;
    const b = pool.bytes;
    const rxFlags = h32[hb + OL_FLAGS]!;
    // the driver's verdicts, counted as DPDK counts them
    if ((rxFlags & RX_IP_MASK) === RX_IP_BAD) badIp++;
    if ((rxFlags & RX_L4_MASK) === RX_L4_BAD) badL4++;
    if (rxFlags & RX_OUTER_L4_BAD) badOuterL4++;
    if (rxFlags & RX_OUTER_IP_BAD) badOuterIp++;
    if (len < 14) continue; // too short for Ethernet: sent as it came
    b.set(macs, off);
    parse(b, off, off + len);
    // what the driver did not check, checked here
    const bad = check(b, off, rxFlags);
    badIp += bad & 1;
    badL4 += bad >>> 1;
    const txFlags = offload ? fixOffload(b, off, tx) : fixSoftware(b, off);
    h32[hb + OL_FLAGS] = 0;
    h32[hb + OL_FLAGS_HI] = ((h32[hb + OL_FLAGS_HI]! & KEEP_HI) | txFlags) >>> 0;
    h32[hb + TX_OFFLOAD_LO] = (info[L2]! | (info[L3]! << 16)) >>> 0;
    h32[hb + TX_OFFLOAD_HI] = info[L4]!;
  }
  stats[BAD_IP] += badIp;
  stats[BAD_L4] += badL4;
  stats[BAD_OUTER_L4] += badOuterL4;
  stats[BAD_OUTER_IP] += badOuterIp;
  transmit(s, nbRx);
}

function forwardSoftware(s: FwdStream): void {
  forward(s, false);
}

function forwardOffload(s: FwdStream): void {
  forward(s, true);
}

export const engine: ForwardEngine = {
  name: 'csum',
  streamInit(s: FwdStream): void {
    const macs = new Uint8Array(12);
    macs.set(s.peerMac, 0);
    macs.set(s.txMac, 6);
    const tx = s.cfg.txOffloads & CSUM_OFFLOADS;
    s.state = { macs, tx, run: tx === 0 ? forwardSoftware : forwardOffload } satisfies CsumState;
  },
  packetFwd(s: FwdStream): void {
    (s.state as CsumState).run(s);
  },
};
