/** The mbuf header layout: see `MBUF_HEADER_BYTES`. */
import { endianness } from 'node:os';
import { DpkitError } from '../errors.js';

/**
 * The mbuf header layout. An mbuf is a 32-bit handle: the pool id in the top 8 bits and the
 * index within the pool below (so the first pool's handles are plain indices). Its header is
 * `MBUF_HEADER_BYTES` (64) bytes in the pool's header table, read and written through the
 * pool's `h32`/`h16`/`h64` views at header base `b = (m & MBUF_INDEX_MASK) << 4` (words):
 *
 * ```text
 * word 0     next          handle+1 of the next segment, 0 for none     M_NEXT
 * word 1     pkt_len       bytes in all segments                         M_PKT_LEN
 * word 2     data_len (low 16) | data_off (high 16)                      M_LEN_OFF, M16_DATA_LEN, M16_DATA_OFF
 * word 3     port (low 16)     | nb_segs (high 16)                       M_PORT_SEGS, M16_PORT, M16_NB_SEGS
 * word 4     refcnt (low 16)   | pool id (high 16)                       M_REFCNT_POOL, M16_REFCNT, M16_POOL
 * word 5     hash.rss                                                    M_RSS_HASH
 * word 6-7   ol_flags (low, high 32 bits)                                M_OL_FLAGS, M_OL_FLAGS_HI
 * word 8     packet_type                                                 M_PACKET_TYPE
 * word 9     vlan_tci (low 16) | vlan_tci_outer (high 16)                M_VLAN, M16_VLAN_TCI, M16_VLAN_TCI_OUTER
 * word 10    l2_len (low 16)   | l3_len (high 16)                        M_TX_OFFLOAD, M16_L2_LEN, M16_L3_LEN
 * word 11    l4_len (low 16)   | tso_segsz (high 16)                     M_TX_OFFLOAD_HI, M16_L4_LEN, M16_TSO_SEGSZ
 * word 12-15 application data (dynfield)                                 M_USER
 * ```
 *
 * The fields a reset clears come in aligned pairs of words (0-1, 6-7, 8-9, 10-11), so a reset
 * zeroes them with 64-bit stores (`M64_*`); `mbufHeaderReset` is that reset. The 16-bit
 * halves assume a little-endian host (x86-64, arm64), which `assertLittleEndian` checks once
 * at start. In a hot loop, copy the constants into module-local `const`s first (imports are
 * live bindings that V8 re-checks on every use).
 */
export const MBUF_HEADER_BYTES = 64;
/** 32-bit words of one mbuf header: header `b` of handle `m` is at `(m & MBUF_INDEX_MASK) * MBUF_HEADER_WORDS` in `h32`. */
export const MBUF_HEADER_WORDS = 16;
/** A handle's pool id is `m >>> MBUF_POOL_SHIFT` (an index into `mempools`). */
export const MBUF_POOL_SHIFT = 24;
/** A handle's index within its pool is `m & MBUF_INDEX_MASK`. */
export const MBUF_INDEX_MASK = 0xffffff;
/** Pools a process can have at once (the pool id has 8 bits). */
export const MBUF_MAX_POOLS = 256;

// 32-bit word offsets within a header, for `pool.h32[b + M_*]`
/** `next`: the next segment's handle + 1, 0 for the last segment (read it with `mbufNext`). */
export const M_NEXT = 0;
/** `pkt_len`: bytes in all segments of the packet (set on the first segment). */
export const M_PKT_LEN = 1;
/** `data_len` (low 16 bits) and `data_off` (high 16 bits) as one word: `(data_off << 16) | data_len`. */
export const M_LEN_OFF = 2;
/** `port` (low 16 bits) and `nb_segs` (high 16 bits) as one word: `(nb_segs << 16) | port`. */
export const M_PORT_SEGS = 3;
/** `refcnt` (low 16 bits) and the pool id (high 16 bits); refcnt only through `Atomics` or `mbufRefcntUpdate`. */
export const M_REFCNT_POOL = 4;
/** `hash.rss`: the RSS hash, valid when ol_flags has `OlFlags.RX_RSS_HASH`. */
export const M_RSS_HASH = 5;
/** `ol_flags`, low 32 bits (the `OlFlags` bits). */
export const M_OL_FLAGS = 6;
/** `ol_flags`, high 32 bits. */
export const M_OL_FLAGS_HI = 7;
/** `packet_type` (RTE_PTYPE_* bits). */
export const M_PACKET_TYPE = 8;
/** `vlan_tci` and `vlan_tci_outer` as one word (see `M16_VLAN_TCI`). */
export const M_VLAN = 9;
/** `l2_len` and `l3_len` as one word (see `M16_L2_LEN`). */
export const M_TX_OFFLOAD = 10;
/** `l4_len` and `tso_segsz` as one word (see `M16_L4_LEN`). */
export const M_TX_OFFLOAD_HI = 11;
/** First of the 4 words of application data (DPDK's dynamic fields); a reset leaves them alone. */
export const M_USER = 12;

// 64-bit word offsets within a header, for `pool.h64[(b >> 1) + M64_*]`: the pairs a reset clears
/** `next` and `pkt_len` as one 64-bit store of 0 (only 0: `h64` is a Float64Array). */
export const M64_NEXT_PKT_LEN = 0;
/** `ol_flags` (both halves) as one 64-bit store of 0. */
export const M64_OL_FLAGS = 3;
/** `packet_type` and the VLAN word as one 64-bit store of 0. */
export const M64_PTYPE_VLAN = 4;
/** The two tx offload words as one 64-bit store of 0. */
export const M64_TX_OFFLOAD = 5;

// 16-bit offsets within a header, for `pool.h16[b * 2 + M16_*]` (twice the word offset, +1 for the high half)
/** `data_len`: bytes of data in this segment. */
export const M16_DATA_LEN = 4;
/** `data_off`: where this segment's data starts in its buffer (the headroom after a reset). */
export const M16_DATA_OFF = 5;
/** `port`: the port the packet was received on, `MBUF_PORT_INVALID` after a reset. */
export const M16_PORT = 6;
/** `nb_segs`: segments in the chain (set on the first segment, 1 after a reset). */
export const M16_NB_SEGS = 7;
/** `refcnt`: references to the mbuf; change it only with `Atomics` or `mbufRefcntUpdate`. */
export const M16_REFCNT = 8;
/** The id of the pool the mbuf belongs to (fixed at pool creation). */
export const M16_POOL = 9;
/** `vlan_tci`: the stripped VLAN tag on rx (with `OlFlags.RX_VLAN_STRIPPED`), the one to insert on tx. */
export const M16_VLAN_TCI = 18;
/** `vlan_tci_outer`: the outer tag (QinQ). */
export const M16_VLAN_TCI_OUTER = 19;
/** `l2_len`: L2 header length, for tx offloads. */
export const M16_L2_LEN = 20;
/** `l3_len`: L3 header length, for tx offloads. */
export const M16_L3_LEN = 21;
/** `l4_len`: L4 header length, for tx offloads. */
export const M16_L4_LEN = 22;
/** `tso_segsz`: TCP segment size for TSO. */
export const M16_TSO_SEGSZ = 23;

/** RTE_MBUF_PORT_INVALID: the `port` of an mbuf no port has received. */
export const MBUF_PORT_INVALID = 0xffff;
/** RTE_PKTMBUF_HEADROOM: the default `data_off` of a reset mbuf. */
export const MBUF_DEFAULT_HEADROOM = 128;
/** RTE_MBUF_DEFAULT_BUF_SIZE: 2048 bytes of data room plus the headroom */
export const MBUF_DEFAULT_BUF_SIZE = 2048 + MBUF_DEFAULT_HEADROOM;

/** A few RTE_MBUF_F_* offload flags (low 32 bits of ol_flags). */
export const OlFlags = {
  /** RTE_MBUF_F_RX_VLAN: the packet had a VLAN tag; `vlan_tci` holds it */
  RX_VLAN: 1 << 0,
  /** RTE_MBUF_F_RX_VLAN_STRIPPED: the tag was removed from the data (only when the port was asked to strip) */
  RX_VLAN_STRIPPED: 1 << 6,
  /** RTE_MBUF_F_RX_RSS_HASH: `hash.rss` is valid */
  RX_RSS_HASH: 1 << 1,
  /** RTE_MBUF_F_RX_FDIR: a flow director rule matched */
  RX_FDIR: 1 << 2,
  /** RTE_MBUF_F_RX_L4_CKSUM_BAD: the TCP/UDP checksum is wrong */
  RX_L4_CKSUM_BAD: 1 << 3,
  /** RTE_MBUF_F_RX_IP_CKSUM_BAD: the IPv4 header checksum is wrong */
  RX_IP_CKSUM_BAD: 1 << 4,
  /** RTE_MBUF_F_RX_IP_CKSUM_GOOD: the IPv4 header checksum was checked and is right */
  RX_IP_CKSUM_GOOD: 1 << 7,
  /** RTE_MBUF_F_RX_L4_CKSUM_GOOD: the TCP/UDP checksum was checked and is right */
  RX_L4_CKSUM_GOOD: 1 << 8,
} as const;

/**
 * rte_pktmbuf_reset of the header at word `b` of a pool's views, with the fields an rx burst
 * sets given: `data_off` = `dataOff`, `pkt_len` = `data_len` = `len`, `port` = `port`; `next`
 * 0, `nb_segs` 1, `ol_flags`, `packet_type`, VLAN and tx offload fields 0. Leaves `refcnt`, the
 * pool id, `hash.rss` and the application words alone. A plain reset is
 * `(h32, h64, b, pool.headroom, 0, MBUF_PORT_INVALID)`. Takes the views rather than the pool
 * so that, called in a burst loop with the views in locals, V8 inlines it into the same stores
 * as written out by hand. Allocates nothing.
 */
export function mbufHeaderReset(h32: Uint32Array, h64: Float64Array, b: number, dataOff: number, len: number, port: number): void {
  const q = b >> 1;
  h32[b + _M_NEXT] = 0;
  h32[b + _M_PKT_LEN] = len;
  h32[b + _M_LEN_OFF] = ((dataOff << 16) | len) >>> 0;
  h32[b + _M_PORT_SEGS] = (0x10000 | port) >>> 0; // nb_segs 1
  h64[q + _M64_OL_FLAGS] = 0;
  h64[q + _M64_PTYPE_VLAN] = 0;
  h64[q + _M64_TX_OFFLOAD] = 0;
}
// module-local copies: even in their own module, exported consts are cells V8 re-checks on
// every use, and with them this function, called in a burst loop, ran 1.6x slower than the
// same stores written out (without them: the same speed)
const _M_NEXT = M_NEXT;
const _M_PKT_LEN = M_PKT_LEN;
const _M_LEN_OFF = M_LEN_OFF;
const _M_PORT_SEGS = M_PORT_SEGS;
const _M64_OL_FLAGS = M64_OL_FLAGS;
const _M64_PTYPE_VLAN = M64_PTYPE_VLAN;
const _M64_TX_OFFLOAD = M64_TX_OFFLOAD;

/** Throws, in one line, on a big-endian host (the 16-bit halves above assume little-endian). */
export function assertLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new DpkitError('dpkit needs a little-endian CPU (x86-64 or arm64): the mbuf layout packs 16-bit fields', 'ENOTSUP');
  }
}
