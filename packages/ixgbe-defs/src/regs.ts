/**
 * Intel 82599 10 GbE controller: the BAR0 registers that queue code, filters and statistics
 * touch, at their byte offsets, with their bit fields. One copy, shared by the emulated device
 * (@dpkit/sim-82599) and the PMD (@dpkit/pmd-ixgbe), both importing `@dpkit/ixgbe-defs/regs`.
 *
 * Section numbers (§) are those of the 82599 datasheet 322429 rev 2.6 as given by the
 * Barrelfish transcription (devices/e10k.dev) [BF-dev]. Offsets and bit values agree with
 * DPDK's/Linux's shared base code (ixgbe_type.h) [DPDK-type]; where a driver uses another
 * address for the same register (an alias) both are given, with the driver that uses each.
 * Registers are 32-bit little-endian words; every offset here is a byte offset into BAR0.
 */

/** BAR0 size of a real 82599ES (512 KiB memory BAR) [LSPCI-82599]. */
export const BAR0_SIZE = 0x80000;
/** Register pages are 4 KiB; one page holds the register blocks of 64 queues. */
export const PAGE_SIZE = 0x1000;
/** 128 rx and 128 tx queues (IXGBE_82599_MAX_RX/TX_QUEUES) [DPDK-82599c]. */
export const RX_QUEUES = 128;
export const TX_QUEUES = 128;
/** Each queue's register block is 0x40 bytes. */
export const QUEUE_BLOCK = 0x40;

// ---------------------------------------------------------------------------------------------
// §8.2.3.1 General control
// ---------------------------------------------------------------------------------------------
/** §8.2.3.1 Device Control */
export const CTRL = 0x00000;
export const CTRL_LNK_RST = 0x00000008;
export const CTRL_RST = 0x04000000;
/** §8.2.3.1.1 Device Status */
export const STATUS = 0x00008;
/** §8.2.3.1.2 Extended Device Control */
export const CTRL_EXT = 0x00018;
export const CTRL_EXT_NS_DIS = 0x00010000;
/** §8.2.3.2.1 EEPROM/Flash Control; ARD: auto-read done (ixy polls it) [IXY] */
export const EEC = 0x10010;
export const EEC_ARD = 0x00000200;

// ---------------------------------------------------------------------------------------------
// §8.2.3.8 Receive DMA registers. Queue n's block: n < 64 at 0x01000 + 0x40n, n >= 64 at
// 0x0D000 + 0x40(n - 64): two separate regions [BF-dev rdbal_1/rdbal_2], [DPDK-type].
// ---------------------------------------------------------------------------------------------
/** The first byte of rx queue n's register block. */
export function rxQueueBlock(n: number): number {
  return n < 64 ? 0x01000 + QUEUE_BLOCK * n : 0x0D000 + QUEUE_BLOCK * (n - 64);
}
/** §8.2.3.8.1 Receive Descriptor Base Address Low (bits 6:0 must be 0: 128-byte aligned) */
export const RDBAL = (n: number): number => rxQueueBlock(n) + 0x00;
/** §8.2.3.8.2 Receive Descriptor Base Address High */
export const RDBAH = (n: number): number => rxQueueBlock(n) + 0x04;
/** §8.2.3.8.3 Receive Descriptor Length, in bytes, a multiple of 128 [DPDK-rxtx-h] */
export const RDLEN = (n: number): number => rxQueueBlock(n) + 0x08;
/** §8.2.3.8.4 Receive Descriptor Head: a descriptor index, owned by the hardware */
export const RDH = (n: number): number => rxQueueBlock(n) + 0x10;
/** §8.2.3.8.5 Receive Descriptor Tail: a descriptor index, owned by software (the doorbell) */
export const RDT = (n: number): number => rxQueueBlock(n) + 0x18;
/** §8.2.3.8.6 Receive Descriptor Control */
export const RXDCTL = (n: number): number => rxQueueBlock(n) + 0x28;
/** §8.2.3.8.13 RSC Control */
export const RSCCTL = (n: number): number => rxQueueBlock(n) + 0x2C;

/**
 * §8.2.3.8.7 Split Receive Control, at its place in queue n's block (+0x14). Snabb programs it
 * here for every queue [SNABB-mp].
 */
export const SRRCTL_BLOCK = (n: number): number => rxQueueBlock(n) + 0x14;
/**
 * SRRCTL as Linux, DPDK and ixy address it: queues 0-15 at the 82598-compatible alias
 * 0x02100 + 4n, the rest in the queue block [DPDK-type IXGBE_SRRCTL]. The device decodes both.
 */
export const SRRCTL = (n: number): number => (n <= 15 ? 0x02100 + 4 * n : SRRCTL_BLOCK(n));
/** §8.2.3.11.1 Rx DCA Control in queue n's block (+0x0C) [BF-dev dca_rxctrl_1/_2]. */
export const DCA_RXCTRL_BLOCK = (n: number): number => rxQueueBlock(n) + 0x0C;
/** DCA_RXCTRL as Linux and DPDK address it: 0x02200 + 4n for queues 0-15 [DPDK-type]. */
export const DCA_RXCTRL = (n: number): number => (n <= 15 ? 0x02200 + 4 * n : DCA_RXCTRL_BLOCK(n));
/** The aliases' 16-queue windows: SRRCTL(0..15) and DCA_RXCTRL(0..15). */
export const SRRCTL_ALIAS_BASE = 0x02100;
export const DCA_RXCTRL_ALIAS_BASE = 0x02200;
export const ALIASED_RX_QUEUES = 16;

// RXDCTL bits (§8.2.3.8.6). Bits 24:0 are reserved on the 82599: no PTHRESH/HTHRESH/WTHRESH.
/** Receive Queue Enable: software sets it, then polls until it reads 1 before bumping RDT */
export const RXDCTL_ENABLE = 0x02000000;
export const RXDCTL_SWFLSH = 0x04000000;
/** VLAN Mode Enable: strip the VLAN tag on this queue */
export const RXDCTL_VME = 0x40000000;

// SRRCTL bits (§8.2.3.8.7)
/** BSIZEPACKET, bits 4:0 [BF-dev] (DPDK masks 0x7F): packet buffer size in 1 KB units */
export const SRRCTL_BSIZEPKT_MASK = 0x0000001F;
export const SRRCTL_BSIZEPKT_SHIFT = 10; // bytes >> 10
/** BSIZEHEADER, bits 13:8, in 64-byte units (header split only) */
export const SRRCTL_BSIZEHDR_MASK = 0x00003F00;
/** RDMTS, bits 24:22 */
export const SRRCTL_RDMTS_MASK = 0x01C00000;
/** DESCTYPE, bits 27:25 */
export const SRRCTL_DESCTYPE_MASK = 0x0E000000;
export const SRRCTL_DESCTYPE_LEGACY = 0x00000000;
/** Advanced descriptor, one buffer: the only type the emulated device implements */
export const SRRCTL_DESCTYPE_ADV_ONEBUF = 0x02000000;
export const SRRCTL_DESCTYPE_HDR_SPLIT = 0x04000000;
export const SRRCTL_DESCTYPE_HDR_SPLIT_ALWAYS = 0x0A000000;
/** Drop a frame when its queue has no free descriptor instead of holding it in the packet buffer */
export const SRRCTL_DROP_EN = 0x10000000;

/** §8.2.3.8.8 Receive DMA Control; DMAIDONE: DMA init done (ixy polls it) */
export const RDRXCTL = 0x02F00;
export const RDRXCTL_CRCSTRIP = 0x00000002;
export const RDRXCTL_DMAIDONE = 0x00000008;
/** §8.2.3.8.9 Receive Packet Buffer Size, 8 of them */
export const RXPBSIZE = (i: number): number => 0x03C00 + 4 * i;
/** §8.2.3.8.10 Receive Control; RXEN enables reception globally */
export const RXCTRL = 0x03000;
export const RXCTRL_RXEN = 0x00000001;

// ---------------------------------------------------------------------------------------------
// §8.2.3.9 Transmit DMA registers. Queue n's block: 0x06000 + 0x40n, one region for 0-127.
// ---------------------------------------------------------------------------------------------
/** The first byte of tx queue n's register block. */
export function txQueueBlock(n: number): number {
  return 0x06000 + QUEUE_BLOCK * n;
}
/** §8.2.3.9.2 DMA Tx Control; TE enables transmission globally, before any queue starts [LNX-oot] */
export const DMATXCTL = 0x04A80;
export const DMATXCTL_TE = 0x00000001;
/** §8.2.3.9.5 Transmit Descriptor Base Address Low */
export const TDBAL = (n: number): number => txQueueBlock(n) + 0x00;
/** §8.2.3.9.6 Transmit Descriptor Base Address High */
export const TDBAH = (n: number): number => txQueueBlock(n) + 0x04;
/** §8.2.3.9.7 Transmit Descriptor Length, in bytes, a multiple of 128 */
export const TDLEN = (n: number): number => txQueueBlock(n) + 0x08;
/** Tx DCA Control (IXGBE_DCA_TXCTRL_82599) [DPDK-type] */
export const DCA_TXCTRL = (n: number): number => txQueueBlock(n) + 0x0C;
/** §8.2.3.9.8 Transmit Descriptor Head: owned by the hardware; written only while the queue is off */
export const TDH = (n: number): number => txQueueBlock(n) + 0x10;
/** §8.2.3.9.9 Transmit Descriptor Tail: owned by software (the doorbell) */
export const TDT = (n: number): number => txQueueBlock(n) + 0x18;
/** §8.2.3.9.10 Transmit Descriptor Control */
export const TXDCTL = (n: number): number => txQueueBlock(n) + 0x28;
/** §8.2.3.9.11 Tx Descriptor Completion Write Back Address Low; bit 0 enables head write-back */
export const TDWBAL = (n: number): number => txQueueBlock(n) + 0x38;
/** §8.2.3.9.12 Tx Descriptor Completion Write Back Address High */
export const TDWBAH = (n: number): number => txQueueBlock(n) + 0x3C;
export const TDWBAL_HEAD_WB_ENABLE = 0x00000001;

// TXDCTL bits (§8.2.3.9.10)
export const TXDCTL_PTHRESH_MASK = 0x0000007F;
export const TXDCTL_HTHRESH_SHIFT = 8;
export const TXDCTL_WTHRESH_SHIFT = 16;
export const TXDCTL_WTHRESH_MASK = 0x007F0000;
/** Transmit Queue Enable */
export const TXDCTL_ENABLE = 0x02000000;
export const TXDCTL_SWFLSH = 0x04000000;

/** §8.2.3.9.15 Multiple Transmit Queues Command; 0 = 64 queues, 1 packet buffer [DPDK-type] */
export const MTQC = 0x08120;
/** DMA Tx TCP Max Allow Size Requests (ixy writes 0xFFFF) [IXY] */
export const DTXMXSZRQ = 0x08100;
/** §8.2.3.9.13 Transmit Packet Buffer Size, 8 of them */
export const TXPBSIZE = (i: number): number => 0x0CC00 + 4 * i;

// ---------------------------------------------------------------------------------------------
// §8.2.3.22 MAC registers
// ---------------------------------------------------------------------------------------------
/** §8.2.3.22.8 MAC Core Control 0 */
export const HLREG0 = 0x04240;
export const HLREG0_TXCRCEN = 0x00000001;
export const HLREG0_RXCRCSTRP = 0x00000002;
export const HLREG0_JUMBOEN = 0x00000004;
export const HLREG0_TXPADEN = 0x00000400;
/** MAC loopback */
export const HLREG0_LPBK = 0x00008000;
/** §8.2.3.22.13 Max Frame Size, MFS in bits 31:16 */
export const MAXFRS = 0x04268;
export const MAXFRS_MFS_SHIFT = 16;
/** §8.2.3.22.20 Link Status */
export const LINKS = 0x042A4;
export const LINKS_UP = 0x40000000;
export const LINKS_SPEED_82599 = 0x30000000;
export const LINKS_SPEED_10G_82599 = 0x30000000;

// ---------------------------------------------------------------------------------------------
// §8.2.3.7 Receive filters
// ---------------------------------------------------------------------------------------------
/** §8.2.3.7.5 Receive Checksum Control; PCSD: report the RSS hash / FDIR id in the descriptor */
export const RXCSUM = 0x05000;
export const RXCSUM_IPPCSE = 0x00001000;
export const RXCSUM_PCSD = 0x00002000;
/** §8.2.3.7.1 Filter Control */
export const FCTRL = 0x05080;
export const FCTRL_SBP = 0x00000002;
export const FCTRL_MPE = 0x00000100;
export const FCTRL_UPE = 0x00000200;
export const FCTRL_BAM = 0x00000400;
/**
 * §8.2.3.7.12 Multiple Receive Queues Command. BF gives 0x0EC80 (Snabb uses it); Linux and
 * DPDK use 0x05818 [DPDK-type]. The device decodes both.
 */
export const MRQC = 0x05818;
export const MRQC_BLOCK = 0x0EC80;
export const MRQC_MRQE_MASK = 0x0000000F;
/** MRQE = 0001b: RSS only */
export const MRQC_RSSEN = 0x00000001;
export const MRQC_RSS_FIELD_IPV4_TCP = 0x00010000;
export const MRQC_RSS_FIELD_IPV4 = 0x00020000;
export const MRQC_RSS_FIELD_IPV6 = 0x00100000;
export const MRQC_RSS_FIELD_IPV6_TCP = 0x00200000;
export const MRQC_RSS_FIELD_IPV4_UDP = 0x00400000;
export const MRQC_RSS_FIELD_IPV6_UDP = 0x00800000;
/**
 * §8.2.3.7.15 Redirection Table: 32 words, 128 one-byte entries (entry j in byte j % 4 of word
 * j / 4), 4 bits used on the 82599, so RSS reaches queues 0-15 only. Linux/DPDK/Snabb use
 * 0x05C00; BF gives 0x0EB00. Decoded at both.
 */
export const RETA = (i: number): number => 0x05C00 + 4 * i;
export const RETA_BLOCK = (i: number): number => 0x0EB00 + 4 * i;
export const RETA_WORDS = 32;
/** §8.2.3.7.14 RSS Random Key: 10 words (40 bytes). 0x05C80 (drivers) / 0x0EB80 (BF). */
export const RSSRK = (i: number): number => 0x05C80 + 4 * i;
export const RSSRK_BLOCK = (i: number): number => 0x0EB80 + 4 * i;
export const RSSRK_WORDS = 10;

/** §8.2.3.7.16-19 5-tuple filters, 128 of each */
export const FIVE_TUPLE_FILTERS = 128;
export const SAQF = (i: number): number => 0x0E000 + 4 * i;
export const DAQF = (i: number): number => 0x0E200 + 4 * i;
/** source port 15:0, destination port 31:16 */
export const SDPQF = (i: number): number => 0x0E400 + 4 * i;
export const FTQF = (i: number): number => 0x0E600 + 4 * i;
export const FTQF_PROTOCOL_MASK = 0x00000003;
export const FTQF_PROTOCOL_TCP = 0;
export const FTQF_PROTOCOL_UDP = 1;
export const FTQF_PROTOCOL_SCTP = 2;
export const FTQF_PROTOCOL_OTHER = 3;
export const FTQF_PRIORITY_SHIFT = 2; // 3 bits, 4:2
export const FTQF_PRIORITY_MASK = 0x7;
/** mask bits 29:25, 1 = do not compare */
export const FTQF_MASK_SOURCE_ADDR = 1 << 25;
export const FTQF_MASK_DEST_ADDR = 1 << 26;
export const FTQF_MASK_SOURCE_PORT = 1 << 27;
export const FTQF_MASK_DEST_PORT = 1 << 28;
export const FTQF_MASK_PROTOCOL = 1 << 29;
export const FTQF_POOL_MASK_EN = 0x40000000;
export const FTQF_QUEUE_ENABLE = 0x80000000;
/** §8.2.3.5.13 L3/L4 Tuples Immediate Interrupt Rx: the 5-tuple filter's queue in bits 27:21 */
export const L34T_IMIR = (i: number): number => 0x0E800 + 4 * i;
export const L34T_IMIR_RESERVE = 0x00080000;
export const L34T_IMIR_RX_QUEUE_SHIFT = 21;
export const L34T_IMIR_RX_QUEUE_MASK = 0x7F;

/** §8.2.3.7.20 SYN Packet Queue Filter */
export const SYNQF = 0x0EC30;
export const SYNQF_QUEUE_EN = 0x00000001;
export const SYNQF_RX_QUEUE_SHIFT = 1; // 7 bits, 7:1
export const SYNQF_RX_QUEUE_MASK = 0x000000FE;
/** SYNQF before the 5-tuple filters [BF-dev], [DPDK-eth "hig_pri"] */
export const SYNQF_SYNQFP = 0x80000000;

/** §8.2.3.7.21 EType Queue Filter, 8 of them */
export const ETQF_FILTERS = 8;
export const ETQF = (i: number): number => 0x05128 + 4 * i;
export const ETQF_ETYPE_MASK = 0x0000FFFF;
export const ETQF_FILTER_EN = 0x80000000;
/** §8.2.3.7.22 EType Queue Select */
export const ETQS = (i: number): number => 0x0EC00 + 4 * i;
export const ETQS_RX_QUEUE_SHIFT = 16;
export const ETQS_RX_QUEUE_MASK = 0x007F0000;
export const ETQS_QUEUE_EN = 0x80000000;

// ---------------------------------------------------------------------------------------------
// §8.2.3.21 Flow director
// ---------------------------------------------------------------------------------------------
export const FDIRCTRL = 0x0EE00; // §8.2.3.21.1
export const FDIRCTRL_PBALLOC_64K = 0x00000001;
export const FDIRCTRL_PBALLOC_128K = 0x00000002;
export const FDIRCTRL_PBALLOC_256K = 0x00000003;
export const FDIRCTRL_INIT_DONE = 0x00000008;
export const FDIRCTRL_PERFECT_MATCH = 0x00000010;
export const FDIRCTRL_REPORT_STATUS = 0x00000020;
export const FDIRCTRL_DROP_Q_SHIFT = 8;
export const FDIRCTRL_DROP_Q_MASK = 0x00007F00;
export const FDIRCTRL_FLEX_SHIFT = 16;
export const FDIRCTRL_MAX_LENGTH_SHIFT = 24;
export const FDIRCTRL_FULL_THRESH_SHIFT = 28;
/** Perfect filters available for a PBALLOC value: (1024 << pballoc) - 2 (Linux ethtool) [LNX-eth] */
export const fdirPerfectFilters = (pballoc: number): number => (1024 << pballoc) - 2;
/** The drop queue Linux uses for action -1 (IXGBE_FDIR_DROP_QUEUE) */
export const FDIR_DROP_QUEUE = 127;
export const FDIRSIPV6 = (i: number): number => 0x0EE0C + 4 * i; // §8.2.3.21.16
export const FDIRIPSA = 0x0EE18; // §8.2.3.21.17
export const FDIRIPDA = 0x0EE1C; // §8.2.3.21.18
/** §8.2.3.21.19 source port 15:0, destination port 31:16, host order */
export const FDIRPORT = 0x0EE20;
export const FDIRPORT_DESTINATION_SHIFT = 16;
export const FDIRVLAN = 0x0EE24; // §8.2.3.21.20
/** §8.2.3.21.21 bucket hash 14:0, BUCKET_VALID 15, software index 30:16 */
export const FDIRHASH = 0x0EE28;
export const FDIRHASH_BUCKET_VALID_SHIFT = 15;
export const FDIRHASH_SIG_SW_INDEX_SHIFT = 16;
/** §8.2.3.21.22 Flow Director Filters Command */
export const FDIRCMD = 0x0EE2C;
export const FDIRCMD_CMD_MASK = 0x00000003;
export const FDIRCMD_CMD_ADD_FLOW = 0x00000001;
export const FDIRCMD_CMD_REMOVE_FLOW = 0x00000002;
export const FDIRCMD_CMD_QUERY_REM_FILT = 0x00000003;
export const FDIRCMD_FILTER_VALID = 0x00000004;
export const FDIRCMD_FILTER_UPDATE = 0x00000008;
export const FDIRCMD_L4TYPE_UDP = 0x00000020;
export const FDIRCMD_L4TYPE_TCP = 0x00000040;
export const FDIRCMD_L4TYPE_SCTP = 0x00000060;
export const FDIRCMD_IPV6 = 0x00000080;
export const FDIRCMD_CLEARHT = 0x00000100;
export const FDIRCMD_DROP = 0x00000200;
export const FDIRCMD_LAST = 0x00000800;
export const FDIRCMD_QUEUE_EN = 0x00008000;
export const FDIRCMD_FLOW_TYPE_SHIFT = 5;
/** absolute queue index 0..127 */
export const FDIRCMD_RX_QUEUE_SHIFT = 16;
export const FDIRFREE = 0x0EE38; // §8.2.3.21.10
/** §8.2.3.21.4-7 the global input masks, 1 = ignore the bit; port masks are bit-reversed */
export const FDIRDIP4M = 0x0EE3C;
export const FDIRSIP4M = 0x0EE40;
export const FDIRTCPM = 0x0EE44;
export const FDIRUDPM = 0x0EE48;
export const FDIRLEN = 0x0EE4C; // §8.2.3.21.11
export const FDIRUSTAT = 0x0EE50; // §8.2.3.21.12
export const FDIRFSTAT = 0x0EE54; // §8.2.3.21.13
/** §8.2.3.21.14-15 matched / missed packets, clear-on-read */
export const FDIRMATCH = 0x0EE58;
export const FDIRMISS = 0x0EE5C;
export const FDIRHKEY = 0x0EE68; // §8.2.3.21.2
export const FDIRSKEY = 0x0EE6C; // §8.2.3.21.3
/** §8.2.3.21.9 Flow Director Other Mask, 1 = masked */
export const FDIRM = 0x0EE70;
export const FDIRM_VLANID = 0x00000001;
export const FDIRM_VLANP = 0x00000002;
export const FDIRM_POOL = 0x00000004;
export const FDIRM_L4P = 0x00000008;
export const FDIRM_FLEX = 0x00000010;
export const FDIRM_DIPV6 = 0x00000020;
export const FDIRIP6M = 0x0EE74; // §8.2.3.21.8

/** ATR flow types, FDIRCMD bits 7:5 (bits 6:5 L4 type, bit 7 IPv6) [DPDK-type] */
export const ATR_FLOW_TYPE_IPV4 = 0x0;
export const ATR_FLOW_TYPE_UDPV4 = 0x1;
export const ATR_FLOW_TYPE_TCPV4 = 0x2;
export const ATR_FLOW_TYPE_SCTPV4 = 0x3;

// ---------------------------------------------------------------------------------------------
// §8.2.3.23 Statistics. Clear-on-read on the silicon [BF-dev "rc"], [SNABB-mp "RC"], [IXY].
// The emulated device cannot see reads: it increments with atomic adds and a reader clears
// with an atomic exchange (see the README, "Statistics").
// ---------------------------------------------------------------------------------------------
export const CRCERRS = 0x04000; // §8.2.3.23.1
/** Missed packets per packet buffer (8) and receive-no-buffers per packet buffer (8) */
export const MPC = (i: number): number => 0x03FA0 + 4 * i;
export const RNBC = (i: number): number => 0x03FC0 + 4 * i;
export const GPRC = 0x04074; // §8.2.3.23.26 good packets received
export const GORCL = 0x04088; // §8.2.3.23.27 good octets received, low/high
export const GORCH = 0x0408C;
export const GPTC = 0x04080; // §8.2.3.23.44 good packets transmitted
export const GOTCL = 0x04090; // §8.2.3.23.45
export const GOTCH = 0x04094;
export const TPR = 0x040D0; // §8.2.3.23.59 total packets received
export const TPT = 0x040D4; // §8.2.3.23.60 total packets transmitted
export const RXNFGPC = 0x041B0; // §8.2.3.23.29
export const RXDGPC = 0x02F50; // §8.2.3.23.32 DMA good rx packets
export const TXDGPC = 0x087A0; // §8.2.3.23.47 DMA good tx packets

/**
 * Per-queue statistics are indexed by a stat index 0..15, not by queue: RQSMR(k)/TQSM(k)
 * (k = 0..31) map queues 4k..4k+3 to stat indexes in their bytes' bits 3:0 (§8.2.3.23.71/73).
 */
export const QUEUE_STAT_INDEXES = 16;
export const RQSMR = (k: number): number => 0x02300 + 4 * k;
export const TQSM = (k: number): number => 0x08600 + 4 * k;
/** §8.2.3.23.74 Queue Packets Received Count (in rx block i's +0x30 slot) */
export const QPRC = (i: number): number => 0x01030 + 0x40 * i;
/** Queue Bytes Received Count, low/high (rx block i's +0x34/+0x38) [DPDK-type] */
export const QBRC_L = (i: number): number => 0x01034 + 0x40 * i;
export const QBRC_H = (i: number): number => 0x01038 + 0x40 * i;
/** §8.2.3.23.75 Queue Packets Received Drop Count (the +0x30 slot of rx block 16 + i) */
export const QPRDC = (i: number): number => 0x01430 + 0x40 * i;
/**
 * Queue Packets Transmitted Count: Linux and DPDK read it at 0x06030 + 0x40i (tx block i's
 * +0x30) [DPDK-type]; Snabb's 82599 table at 0x08680 + 4i [SNABB-mp]. Decoded at both.
 */
export const QPTC = (i: number): number => 0x06030 + 0x40 * i;
export const QPTC_SNABB = (i: number): number => 0x08680 + 4 * i;
/** Queue Bytes Transmitted Count, low/high */
export const QBTC_L = (i: number): number => 0x08700 + 8 * i;
export const QBTC_H = (i: number): number => 0x08704 + 8 * i;

// ---------------------------------------------------------------------------------------------
// PCI identity [DPDK-type]
// ---------------------------------------------------------------------------------------------
export const INTEL_VENDOR_ID = 0x8086;
/** 82599ES SFP+, the identity the emulated device reports */
export const DEV_ID_82599_SFP = 0x10FB;
