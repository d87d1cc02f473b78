/**
 * A NIC's ntuple filters (what `ethtool -N/-n` drives) through the ethtool rxnfc ioctls:
 * ETHTOOL_GRXRINGS, ETHTOOL_GRXCLSRLCNT, ETHTOOL_GRXCLSRULE, ETHTOOL_GRXCLSRLALL,
 * ETHTOOL_SRXCLSRLINS, ETHTOOL_SRXCLSRLDEL. A rule is an `RxFlowSpec`, encoded here into the
 * bytes of `struct ethtool_rxnfc` (include/uapi/linux/ethtool.h) and decoded back.
 *
 * Masks have the kernel's meaning: a mask bit SET means "compare this bit" (the ethtool CLI's
 * `m` means the opposite, and ethtool inverts it before the ioctl). Addresses and ports are in
 * network order in the struct; `flow_type`, `ring_cookie` and `location` in host order.
 * Every offset used here is checked once against the addon's `offsetof` values (the addon is
 * compiled against the uapi header), so a layout mismatch is one error, never a wrong rule.
 */
import { DpkitError } from '../errors.js';
import { linux } from './native.js';

/** flow_type values (without FLOW_EXT) */
export const RxFlowType = {
  TCP_V4: 0x01, UDP_V4: 0x02, SCTP_V4: 0x03, TCP_V6: 0x05, UDP_V6: 0x06, SCTP_V6: 0x07, IPV4_USER: 0x0d, IPV6_USER: 0x0e,
} as const;
/** flow_type flag: h_ext/m_ext (VLAN) are valid */
export const FLOW_EXT = 0x80000000;
/** location: let the driver choose (only where GRXCLSRLCNT reports RX_CLS_LOC_SPECIAL) */
export const RX_CLS_LOC_ANY = 0xffffffff;
export const RX_CLS_LOC_SPECIAL = 0x80000000;
/** ETHTOOL_GFLAGS bit: ntuple filters enabled (`ethtool -K IF ntuple on`) */
export const ETH_FLAG_NTUPLE = 1 << 27;

/** Where a rule sends what it matches: an rx queue (of a VF if vf > 0), or nowhere. */
export type RxFlowAction = { queue: number; vf: number } | 'drop' | 'wake';

/** One classification rule (struct ethtool_rx_flow_spec). Absent fields match anything. */
export interface RxFlowSpec {
  /** one of RxFlowType */
  flowType: number;
  /** 4 bytes (v4 flow types) or 16 (v6), network order, with their masks (bits set compare) */
  src?: { addr: Uint8Array; mask: Uint8Array };
  dst?: { addr: Uint8Array; mask: Uint8Array };
  /** TCP/UDP/SCTP flow types only */
  srcPort?: { value: number; mask: number };
  dstPort?: { value: number; mask: number };
  /** IPv4 TOS / IPv6 traffic class */
  tos?: { value: number; mask: number };
  /** IP protocol: user flow types only */
  proto?: { value: number; mask: number };
  /** the first 4 bytes of the L4 header: user flow types only */
  l4Bytes?: { value: number; mask: number };
  /** VLAN TCI (sets FLOW_EXT) */
  vlanTci?: { value: number; mask: number };
  action: RxFlowAction;
  /** the rule's place in the table (lower first), or RX_CLS_LOC_ANY */
  location: number;
}

export const RXNFC = {
  SIZE: 192, CMD: 0, DATA: 8, RULE_CNT: 184, RULE_LOCS: 188,
  FS_FLOW_TYPE: 16, FS_H_U: 20, FS_H_EXT: 72, FS_M_U: 92, FS_M_EXT: 144, FS_RING_COOKIE: 168, FS_LOCATION: 176,
} as const;
/** offsets inside ethtool_flow_union (h_u, m_u) and ethtool_flow_ext (h_ext, m_ext) */
export const FLOW_UNION = {
  V4_SRC: 0, V4_DST: 4, V4_PSRC: 8, V4_PDST: 10, V4_TOS: 12, V4_L4_BYTES: 8, V4_IP_VER: 13, V4_PROTO: 14,
  V6_SRC: 0, V6_DST: 16, V6_PSRC: 32, V6_PDST: 34, V6_TCLASS: 36, V6_L4_BYTES: 32, V6_L4_PROTO: 37,
  EXT_VLAN_TCI: 10,
} as const;

const CMD = { GRXRINGS: 0x2d, GRXCLSRLCNT: 0x2e, GRXCLSRULE: 0x2f, GRXCLSRLALL: 0x30, SRXCLSRLDEL: 0x31, SRXCLSRLINS: 0x32 } as const;
const ETH_RX_NFC_IP4 = 1;

let layoutChecked = false;

/** The offsets above against the addon's offsetof values; throws once if any differs. */
export function checkRxnfcLayout(): void {
  if (layoutChecked) return;
  const c = linux('ethtool ntuple rules').ethtoolRxnfcLayout();
  const want: Record<string, number> = {
    sizeof: RXNFC.SIZE, cmd: RXNFC.CMD, data: RXNFC.DATA, rule_cnt: RXNFC.RULE_CNT, rule_locs: RXNFC.RULE_LOCS,
    'fs.flow_type': RXNFC.FS_FLOW_TYPE, 'fs.h_u': RXNFC.FS_H_U, 'fs.h_ext': RXNFC.FS_H_EXT, 'fs.m_u': RXNFC.FS_M_U,
    'fs.m_ext': RXNFC.FS_M_EXT, 'fs.ring_cookie': RXNFC.FS_RING_COOKIE, 'fs.location': RXNFC.FS_LOCATION,
    'tcp_ip4.ip4src': FLOW_UNION.V4_SRC, 'tcp_ip4.ip4dst': FLOW_UNION.V4_DST, 'tcp_ip4.psrc': FLOW_UNION.V4_PSRC,
    'tcp_ip4.pdst': FLOW_UNION.V4_PDST, 'tcp_ip4.tos': FLOW_UNION.V4_TOS, 'usr_ip4.l4_4_bytes': FLOW_UNION.V4_L4_BYTES,
    'usr_ip4.tos': FLOW_UNION.V4_TOS, 'usr_ip4.ip_ver': FLOW_UNION.V4_IP_VER, 'usr_ip4.proto': FLOW_UNION.V4_PROTO,
    'tcp_ip6.ip6src': FLOW_UNION.V6_SRC, 'tcp_ip6.ip6dst': FLOW_UNION.V6_DST, 'tcp_ip6.psrc': FLOW_UNION.V6_PSRC,
    'tcp_ip6.pdst': FLOW_UNION.V6_PDST, 'tcp_ip6.tclass': FLOW_UNION.V6_TCLASS, 'usr_ip6.l4_4_bytes': FLOW_UNION.V6_L4_BYTES,
    'usr_ip6.tclass': FLOW_UNION.V6_TCLASS, 'usr_ip6.l4_proto': FLOW_UNION.V6_L4_PROTO, 'ext.vlan_tci': FLOW_UNION.EXT_VLAN_TCI,
    TCP_V4_FLOW: RxFlowType.TCP_V4, UDP_V4_FLOW: RxFlowType.UDP_V4, SCTP_V4_FLOW: RxFlowType.SCTP_V4, IPV4_USER_FLOW: RxFlowType.IPV4_USER,
    TCP_V6_FLOW: RxFlowType.TCP_V6, UDP_V6_FLOW: RxFlowType.UDP_V6, SCTP_V6_FLOW: RxFlowType.SCTP_V6, IPV6_USER_FLOW: RxFlowType.IPV6_USER,
    FLOW_EXT, ETH_RX_NFC_IP4, RX_CLS_LOC_ANY, RX_CLS_LOC_SPECIAL, ETH_FLAG_NTUPLE,
    ETHTOOL_GRXRINGS: CMD.GRXRINGS, ETHTOOL_GRXCLSRLCNT: CMD.GRXCLSRLCNT, ETHTOOL_GRXCLSRULE: CMD.GRXCLSRULE,
    ETHTOOL_GRXCLSRLALL: CMD.GRXCLSRLALL, ETHTOOL_SRXCLSRLDEL: CMD.SRXCLSRLDEL, ETHTOOL_SRXCLSRLINS: CMD.SRXCLSRLINS,
  };
  const off = Object.entries(want).filter(([k, v]) => c[k] !== v).map(([k, v]) => `${k} ${v} (addon: ${c[k]})`);
  if (off.length) throw new DpkitError(`ethtool rxnfc layout differs from the addon's uapi header: ${off.join(', ')}`, 'EPROTO');
  layoutChecked = true;
}

const V6_TYPES: readonly number[] = [RxFlowType.TCP_V6, RxFlowType.UDP_V6, RxFlowType.SCTP_V6, RxFlowType.IPV6_USER];
const USER_TYPES: readonly number[] = [RxFlowType.IPV4_USER, RxFlowType.IPV6_USER];
const KNOWN_TYPES: readonly number[] = Object.values(RxFlowType);

/** Is `flowType` one this module encodes (TCP/UDP/SCTP/user flows, v4 and v6)? */
export const rxFlowTypeKnown = (flowType: number): boolean => KNOWN_TYPES.includes(flowType);

function fieldOffsets(flowType: number) {
  const v6 = V6_TYPES.includes(flowType);
  const user = USER_TYPES.includes(flowType);
  return {
    v6, user, addrLen: v6 ? 16 : 4,
    src: v6 ? FLOW_UNION.V6_SRC : FLOW_UNION.V4_SRC, dst: v6 ? FLOW_UNION.V6_DST : FLOW_UNION.V4_DST,
    psrc: v6 ? FLOW_UNION.V6_PSRC : FLOW_UNION.V4_PSRC, pdst: v6 ? FLOW_UNION.V6_PDST : FLOW_UNION.V4_PDST,
    tos: v6 ? FLOW_UNION.V6_TCLASS : FLOW_UNION.V4_TOS, l4: v6 ? FLOW_UNION.V6_L4_BYTES : FLOW_UNION.V4_L4_BYTES,
    proto: v6 ? FLOW_UNION.V6_L4_PROTO : FLOW_UNION.V4_PROTO,
  };
}

const bad = (what: string): never => {
  throw new DpkitError(`ethtool rule: ${what}`, 'EINVAL');
};

/** Encodes `spec` as the `fs` of a struct ethtool_rxnfc for command `cmd` (a new 192-byte buffer). */
export function encodeRxnfc(cmd: number, spec: RxFlowSpec): Uint8Array {
  if (!rxFlowTypeKnown(spec.flowType)) bad(`flow_type 0x${spec.flowType.toString(16)} is not one of TCP/UDP/SCTP/IP user flows (v4, v6)`);
  const f = fieldOffsets(spec.flowType);
  const buf = new Uint8Array(RXNFC.SIZE);
  const v = new DataView(buf.buffer);
  v.setUint32(RXNFC.CMD, cmd, true);
  v.setUint32(RXNFC.FS_FLOW_TYPE, (spec.flowType | (spec.vlanTci ? FLOW_EXT : 0)) >>> 0, true);
  const h = RXNFC.FS_H_U;
  const m = RXNFC.FS_M_U;
  const addr = (at: number, a: { addr: Uint8Array; mask: Uint8Array } | undefined, what: string) => {
    if (!a) return;
    if (a.addr.length !== f.addrLen || a.mask.length !== f.addrLen) bad(`${what} must have ${f.addrLen} bytes for this flow type`);
    buf.set(a.addr.map((b, i) => b & a.mask[i]!), h + at);
    buf.set(a.mask, m + at);
  };
  addr(f.src, spec.src, 'src');
  addr(f.dst, spec.dst, 'dst');
  const be16 = (at: number, x: { value: number; mask: number } | undefined) => {
    if (!x) return;
    v.setUint16(h + at, x.value & x.mask, false);
    v.setUint16(m + at, x.mask, false);
  };
  const u8 = (at: number, x: { value: number; mask: number } | undefined) => {
    if (!x) return;
    buf[h + at] = x.value & x.mask;
    buf[m + at] = x.mask;
  };
  if (f.user) {
    if (spec.srcPort || spec.dstPort) bad('ports need a TCP, UDP or SCTP flow type (a user flow matches l4Bytes)');
    if (spec.l4Bytes) {
      v.setUint32(h + f.l4, (spec.l4Bytes.value & spec.l4Bytes.mask) >>> 0, false);
      v.setUint32(m + f.l4, spec.l4Bytes.mask >>> 0, false);
    }
    u8(f.proto, spec.proto);
    // IPv4 user flows name their IP version; its mask stays 0 (include/uapi/linux/ethtool.h)
    if (!f.v6) buf[h + FLOW_UNION.V4_IP_VER] = ETH_RX_NFC_IP4;
  } else {
    if (spec.proto || spec.l4Bytes) bad('proto and l4Bytes are for the IP user flow types only');
    be16(f.psrc, spec.srcPort);
    be16(f.pdst, spec.dstPort);
  }
  u8(f.tos, spec.tos);
  if (spec.vlanTci) {
    v.setUint16(RXNFC.FS_H_EXT + FLOW_UNION.EXT_VLAN_TCI, spec.vlanTci.value & spec.vlanTci.mask, false);
    v.setUint16(RXNFC.FS_M_EXT + FLOW_UNION.EXT_VLAN_TCI, spec.vlanTci.mask, false);
  }
  // ring_cookie: a u64 in host order; RX_CLS_FLOW_DISC is all ones, RX_CLS_FLOW_WAKE all ones but bit 0
  const a = spec.action;
  if (a === 'drop' || a === 'wake') {
    v.setUint32(RXNFC.FS_RING_COOKIE, a === 'drop' ? 0xffffffff : 0xfffffffe, true);
    v.setUint32(RXNFC.FS_RING_COOKIE + 4, 0xffffffff, true);
  } else {
    v.setUint32(RXNFC.FS_RING_COOKIE, a.queue >>> 0, true);
    v.setUint32(RXNFC.FS_RING_COOKIE + 4, a.vf & 0xff, true);
  }
  v.setUint32(RXNFC.FS_LOCATION, spec.location >>> 0, true);
  return buf;
}

/**
 * Decodes the `fs` of a struct ethtool_rxnfc as the kernel returned it (GRXCLSRULE), or
 * undefined for a flow type this module does not encode (ETHER_FLOW, AH/ESP...). Values come
 * back masked, as the drivers report them.
 */
export function decodeRxnfc(buf: Uint8Array): { spec: RxFlowSpec | undefined; flowType: number; location: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const rawType = v.getUint32(RXNFC.FS_FLOW_TYPE, true);
  const flowType = rawType & ~(FLOW_EXT | 0x40000000 | 0x20000000);
  const location = v.getUint32(RXNFC.FS_LOCATION, true);
  if (!rxFlowTypeKnown(flowType)) return { spec: undefined, flowType, location };
  const f = fieldOffsets(flowType);
  const h = RXNFC.FS_H_U;
  const m = RXNFC.FS_M_U;
  const lo = v.getUint32(RXNFC.FS_RING_COOKIE, true);
  const hi = v.getUint32(RXNFC.FS_RING_COOKIE + 4, true);
  const action: RxFlowAction = hi === 0xffffffff && lo === 0xffffffff ? 'drop' : hi === 0xffffffff && lo === 0xfffffffe ? 'wake' : { queue: lo, vf: hi & 0xff };
  const spec: RxFlowSpec = { flowType, action, location };
  const addr = (at: number) => {
    const mask = buf.slice(m + at, m + at + f.addrLen);
    return mask.some((b) => b !== 0) ? { addr: buf.slice(h + at, h + at + f.addrLen), mask } : undefined;
  };
  const be16 = (at: number) => (v.getUint16(m + at, false) ? { value: v.getUint16(h + at, false), mask: v.getUint16(m + at, false) } : undefined);
  const u8 = (at: number) => (buf[m + at] ? { value: buf[h + at]!, mask: buf[m + at]! } : undefined);
  const set = <K extends keyof RxFlowSpec>(k: K, x: RxFlowSpec[K] | undefined) => {
    if (x !== undefined) spec[k] = x;
  };
  set('src', addr(f.src));
  set('dst', addr(f.dst));
  if (f.user) {
    const l4m = v.getUint32(m + f.l4, false);
    if (l4m) spec.l4Bytes = { value: v.getUint32(h + f.l4, false), mask: l4m };
    set('proto', u8(f.proto));
  } else {
    set('srcPort', be16(f.psrc));
    set('dstPort', be16(f.pdst));
  }
  set('tos', u8(f.tos));
  const tciMask = v.getUint16(RXNFC.FS_M_EXT + FLOW_UNION.EXT_VLAN_TCI, false);
  if (rawType & FLOW_EXT && tciMask) spec.vlanTci = { value: v.getUint16(RXNFC.FS_H_EXT + FLOW_UNION.EXT_VLAN_TCI, false), mask: tciMask };
  return { spec, flowType, location };
}

function rxnfc(iface: string, cmd: number, extra = 0, init?: (v: DataView) => void): Uint8Array {
  checkRxnfcLayout();
  const buf = new Uint8Array(RXNFC.SIZE + extra);
  const v = new DataView(buf.buffer);
  v.setUint32(RXNFC.CMD, cmd, true);
  init?.(v);
  linux('ethtool ntuple rules').ethtoolRxnfc(iface, buf);
  return buf;
}

/** ETHTOOL_GRXRINGS: the rx queues the NIC's rules may name. */
export function ethtoolRxRings(iface: string): number {
  return new DataView(rxnfc(iface, CMD.GRXRINGS).buffer).getUint32(RXNFC.DATA, true);
}

/**
 * ETHTOOL_GRXCLSRLCNT: rules defined now, the table size (0 if the driver does not say), and
 * whether it takes RX_CLS_LOC_ANY. EOPNOTSUPP: the netdev has no ntuple filters.
 */
export function ethtoolRuleCount(iface: string): { count: number; size: number; special: boolean } {
  const v = new DataView(rxnfc(iface, CMD.GRXCLSRLCNT).buffer);
  const data = v.getUint32(RXNFC.DATA, true);
  return { count: v.getUint32(RXNFC.RULE_CNT, true), size: (data & ~RX_CLS_LOC_SPECIAL) >>> 0, special: (data & RX_CLS_LOC_SPECIAL) !== 0 };
}

/** ETHTOOL_GRXCLSRLALL: the locations of the rules defined now. */
export function ethtoolRuleLocations(iface: string): number[] {
  const { count } = ethtoolRuleCount(iface);
  if (count === 0) return [];
  const buf = rxnfc(iface, CMD.GRXCLSRLALL, 4 * count, (v) => v.setUint32(RXNFC.RULE_CNT, count, true));
  const v = new DataView(buf.buffer);
  const n = Math.min(v.getUint32(RXNFC.RULE_CNT, true), count);
  return Array.from({ length: n }, (_, i) => v.getUint32(RXNFC.RULE_LOCS + 4 * i, true));
}

/** ETHTOOL_GRXCLSRULE: the rule at `location` (spec undefined for a flow type not encoded here). */
export function ethtoolRuleGet(iface: string, location: number): { spec: RxFlowSpec | undefined; flowType: number; location: number } {
  return decodeRxnfc(rxnfc(iface, CMD.GRXCLSRULE, 0, (v) => v.setUint32(RXNFC.FS_LOCATION, location, true)));
}

/** ETHTOOL_SRXCLSRLINS: inserts `spec`; returns the location the rule took. */
export function ethtoolRuleInsert(iface: string, spec: RxFlowSpec): number {
  checkRxnfcLayout();
  const buf = encodeRxnfc(CMD.SRXCLSRLINS, spec);
  linux('ethtool ntuple rules').ethtoolRxnfc(iface, buf);
  return new DataView(buf.buffer).getUint32(RXNFC.FS_LOCATION, true);
}

/** ETHTOOL_SRXCLSRLDEL: deletes the rule at `location`. */
export function ethtoolRuleDelete(iface: string, location: number): void {
  rxnfc(iface, CMD.SRXCLSRLDEL, 0, (v) => v.setUint32(RXNFC.FS_LOCATION, location, true));
}

/** ETHTOOL_GFLAGS has ETH_FLAG_NTUPLE: ntuple filters are on (`ethtool -K IF ntuple on`). */
export function ethtoolNtupleOn(iface: string): boolean {
  return (linux('ethtool ntuple rules').ethtoolFlags(iface) & ETH_FLAG_NTUPLE) !== 0;
}

/**
 * ETHTOOL_GRXFHINDIR: the rx queues the NIC's RSS spreads unsteered traffic over (sorted,
 * distinct), or undefined when the driver has no indirection table (EOPNOTSUPP).
 */
export function ethtoolRssQueues(iface: string): number[] | undefined {
  let table: number[];
  try {
    table = linux('ethtool RSS').ethtoolRxfhIndir(iface);
  } catch (err) {
    if ((err as { code?: string }).code === 'EOPNOTSUPP') return undefined;
    throw err;
  }
  return [...new Set(table)].sort((x, y) => x - y);
}

/** Command numbers, for tests that encode a command themselves. */
export const RxnfcCmd = CMD;
