/**
 * The mbuf header layout. An mbuf is a 32-bit handle: the pool id in the top 8 bits and the
 * index within the pool below (so the first pool's handles are plain indices). Its header is
 * 64 bytes in the pool's header table, read and written through the pool's `h32`/`h16` views:
 *
 *   word 0  next        handle+1 of the next segment, 0 for none
 *   word 1  pkt_len     bytes in all segments
 *   word 2  data_len (low 16) | data_off (high 16)
 *   word 3  port (low 16)     | nb_segs (high 16)
 *   word 4  refcnt (low 16)   | pool id (high 16)
 *   word 5  hash.rss
 *   word 6-7 ol_flags (low, high 32 bits)
 *   word 8  packet_type
 *   word 9  vlan_tci (low 16) | vlan_tci_outer (high 16)
 *   word 10 l2_len (low 16)   | l3_len (high 16)
 *   word 11 l4_len (low 16)   | tso_segsz (high 16)
 *   word 12-15 application data (dynfield)
 *
 * The fields that a reset clears come in aligned pairs of words (0-1, 6-7, 8-9, 10-11), so a
 * reset zeroes them with four 64-bit stores. The 16-bit halves assume a little-endian host
 * (x86-64, arm64), which `assertLittleEndian` checks once at start. Fast paths index the views directly: header base `b = (m & MBUF_INDEX_MASK) << 4`.
 */
import { endianness } from 'node:os';
import { DpkitError } from '../errors.js';

export const MBUF_HEADER_BYTES = 64;
export const MBUF_HEADER_WORDS = 16;
export const MBUF_POOL_SHIFT = 24;
export const MBUF_INDEX_MASK = 0xffffff;
export const MBUF_MAX_POOLS = 256;

// 32-bit word offsets within a header
export const M_NEXT = 0;
export const M_PKT_LEN = 1;
export const M_LEN_OFF = 2;
export const M_PORT_SEGS = 3;
export const M_REFCNT_POOL = 4;
export const M_RSS_HASH = 5;
export const M_OL_FLAGS = 6;
export const M_OL_FLAGS_HI = 7;
export const M_PACKET_TYPE = 8;
export const M_VLAN = 9;
export const M_TX_OFFLOAD = 10;
export const M_TX_OFFLOAD_HI = 11;
export const M_USER = 12;

// 16-bit offsets within a header (twice the word offset, +1 for the high half)
export const M16_DATA_LEN = 4;
export const M16_DATA_OFF = 5;
export const M16_PORT = 6;
export const M16_NB_SEGS = 7;
export const M16_REFCNT = 8;
export const M16_POOL = 9;
export const M16_VLAN_TCI = 18;
export const M16_VLAN_TCI_OUTER = 19;
export const M16_L2_LEN = 20;
export const M16_L3_LEN = 21;
export const M16_L4_LEN = 22;
export const M16_TSO_SEGSZ = 23;

/** RTE_MBUF_PORT_INVALID */
export const MBUF_PORT_INVALID = 0xffff;
export const MBUF_DEFAULT_HEADROOM = 128;
/** RTE_MBUF_DEFAULT_BUF_SIZE: 2048 bytes of data room plus the headroom */
export const MBUF_DEFAULT_BUF_SIZE = 2048 + MBUF_DEFAULT_HEADROOM;

/** A few RTE_MBUF_F_* offload flags (low 32 bits of ol_flags). */
export const OlFlags = {
  RX_VLAN: 1 << 0,
  RX_VLAN_STRIPPED: 1 << 6,
  RX_RSS_HASH: 1 << 1,
  RX_FDIR: 1 << 2,
  RX_L4_CKSUM_BAD: 1 << 3,
  RX_IP_CKSUM_BAD: 1 << 4,
  RX_IP_CKSUM_GOOD: 1 << 7,
  RX_L4_CKSUM_GOOD: 1 << 8,
} as const;

export function assertLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new DpkitError('dpkit needs a little-endian CPU (x86-64 or arm64): the mbuf layout packs 16-bit fields', 'ENOTSUP');
  }
}
