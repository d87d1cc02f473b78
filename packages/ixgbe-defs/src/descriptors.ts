/**
 * Intel 82599 descriptor layouts: advanced receive (one buffer) and advanced transmit data
 * descriptors, 16 bytes, little-endian, as byte offsets and dword indexes (for a Uint32Array
 * over the ring: descriptor d's dword w is at index d * 4 + w) with their bit fields.
 * Sections: datasheet 322429 rev 2.6 via Barrelfish devices/e10k_q.dev [BF-q]; values as in
 * ixgbe_type.h [DPDK-type] (union ixgbe_adv_rx_desc, union ixgbe_adv_tx_desc).
 */

/** Every descriptor is 16 bytes; a ring's length register counts bytes, a multiple of 128. */
export const DESC_SIZE = 16;
export const DESC_DWORDS = 4;
/** ring lengths must be a multiple of 128 bytes, i.e. of 8 descriptors [DPDK-rxtx-h] */
export const RING_LENGTH_ALIGN = 128;
/** ring base addresses: DPDK aligns to 128 bytes (IXGBE_ALIGN) [DPDK-rxtx-h] */
export const RING_BASE_ALIGN = 128;

// ---------------------------------------------------------------------------------------------
// §7.1.6.1 Advanced receive descriptor, read format (software writes it)
// ---------------------------------------------------------------------------------------------
/** bytes 0-7: packet buffer address */
export const RXD_PKT_ADDR = 0;
/**
 * bytes 8-15: header buffer address, unused in one-buffer mode. Its low dword is where the
 * write-back's status_error lands, so writing 0 there clears DD (ixy does exactly that) [IXY].
 */
export const RXD_HDR_ADDR = 8;

// ---------------------------------------------------------------------------------------------
// §7.1.6.2 Advanced receive descriptor, write-back format (the hardware writes it)
// ---------------------------------------------------------------------------------------------
/** dword 0: pkt_info (bits 15:0: RSS type 3:0, packet type 15:4) and hdr_info (31:16) */
export const RXD_WB_LO_DWORD = 0;
/** dword 1: RSS hash (RXCSUM.PCSD = 1), else fragment checksum / IP id; FDIR id on a match */
export const RXD_WB_HI_DWORD = 1;
/** dword 2: status 19:0, errors 31:20. Read it first; read the rest only when DD is set. */
export const RXD_WB_STATUS_ERROR = 2;
/** dword 3: length (bits 15:0, bytes posted to this buffer) and VLAN tag (31:16) */
export const RXD_WB_LENGTH_VLAN = 3;

// status (extended status, bits 19:0)
/** Descriptor Done: the hardware wrote this descriptor back */
export const RXD_STAT_DD = 0x00000001;
/** End of Packet: the last descriptor of a frame */
export const RXD_STAT_EOP = 0x00000002;
/** Flow director filter match */
export const RXD_STAT_FLM = 0x00000004;
/** VLAN packet (the tag is in the VLAN field) */
export const RXD_STAT_VP = 0x00000008;
export const RXD_STAT_UDPCS = 0x00000010;
export const RXD_STAT_L4CS = 0x00000020;
export const RXD_STAT_IPCS = 0x00000040;
export const RXD_STAT_PIF = 0x00000080;
/** status bits 19:0 */
export const RXD_STAT_MASK = 0x000FFFFF;
// errors (extended errors, bits 31:20)
export const RXD_ERR_FDIR_LEN = 0x00100000;
export const RXD_ERR_FDIR_DROP = 0x00200000;
export const RXD_ERR_FDIR_COLL = 0x00400000;
export const RXD_ERR_HBO = 0x00800000;
/** any MAC error: the 82599's frame-error mask (IXGBE_RXDADV_ERR_FRAME_ERR_MASK_82599) */
export const RXD_ERR_RXE = 0x20000000;
export const RXD_ERR_TCPE = 0x40000000;
export const RXD_ERR_IPE = 0x80000000;
export const RXD_ERR_MASK = 0xFFF00000;

// pkt_info: RSS type (bits 3:0)
export const RXD_RSSTYPE_MASK = 0x0000000F;
export const RXD_RSSTYPE_NONE = 0x0;
export const RXD_RSSTYPE_IPV4_TCP = 0x1;
export const RXD_RSSTYPE_IPV4 = 0x2;
export const RXD_RSSTYPE_IPV6_TCP = 0x3;
export const RXD_RSSTYPE_IPV6 = 0x5;
export const RXD_RSSTYPE_IPV4_UDP = 0x7;
export const RXD_RSSTYPE_IPV6_UDP = 0x8;
// pkt_info: packet type (bits 15:4)
export const RXD_PKTTYPE_MASK = 0x0000FFF0;
export const RXD_PKTTYPE_IPV4 = 0x00000010;
export const RXD_PKTTYPE_IPV4_EX = 0x00000020;
export const RXD_PKTTYPE_IPV6 = 0x00000040;
export const RXD_PKTTYPE_IPV6_EX = 0x00000080;
export const RXD_PKTTYPE_TCP = 0x00000100;
export const RXD_PKTTYPE_UDP = 0x00000200;
export const RXD_PKTTYPE_SCTP = 0x00000400;
/** set: bits 6:4 are the index of the ETQF filter that matched */
export const RXD_PKTTYPE_ETQF = 0x00008000;

// ---------------------------------------------------------------------------------------------
// §7.2.3.2.4 Advanced transmit data descriptor, read format (software writes it)
// ---------------------------------------------------------------------------------------------
/** bytes 0-7: buffer address */
export const TXD_BUFFER_ADDR = 0;
/** dword 2: DTALEN 15:0, MAC 19:18, DTYP 23:20, DCMD 31:24 */
export const TXD_CMD_TYPE_LEN = 2;
/** dword 3: STA 3:0 (DD), IDX 6:4, CC 7, POPTS 13:8, PAYLEN 31:14 (first descriptor only) */
export const TXD_OLINFO_STATUS = 3;

export const TXD_DTALEN_MASK = 0x0000FFFF;
export const TXD_DTYP_MASK = 0x00F00000;
/** DTYP = 0010b: advanced context descriptor (§7.2.3.2.3) */
export const TXD_DTYP_CTXT = 0x00200000;
/** DTYP = 0011b: advanced data descriptor */
export const TXD_DTYP_DATA = 0x00300000;
/** DCMD.EOP: the last descriptor of a packet */
export const TXD_DCMD_EOP = 0x01000000;
/** DCMD.IFCS: insert the Ethernet FCS */
export const TXD_DCMD_IFCS = 0x02000000;
/** DCMD.RS: report status, i.e. write DD back once the descriptor is done */
export const TXD_DCMD_RS = 0x08000000;
/** DCMD.DEXT: descriptor extension, 1 for advanced descriptors */
export const TXD_DCMD_DEXT = 0x20000000;
export const TXD_DCMD_VLE = 0x40000000;
export const TXD_DCMD_TSE = 0x80000000;
export const TXD_PAYLEN_SHIFT = 14;
export const TXD_IDX_SHIFT = 4;
export const TXD_CC = 0x00000080;
export const TXD_POPTS_IXSM = 0x00000100;
export const TXD_POPTS_TXSM = 0x00000200;

// write-back format: dwords 0-1 reserved, dword 2 nxtseq_seed, dword 3 status
/** dword 3 of the write-back: status, DD in bit 0 */
export const TXD_WB_STATUS = 3;
export const TXD_STAT_DD = 0x00000001;
