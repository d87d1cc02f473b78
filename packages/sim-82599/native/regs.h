// The register offsets and bits the engine uses, mirroring @dpkit/ixgbe-defs (packages/ixgbe-defs/src/regs.ts, descriptors.ts)
// (which give each one's datasheet section and source). Byte offsets into BAR0.
#pragma once
#include <cstdint>

namespace sim82599 {

namespace reg {
constexpr uint32_t RxBlock(int n) { return n < 64 ? 0x01000 + 0x40 * n : 0x0D000 + 0x40 * (n - 64); }
constexpr uint32_t TxBlock(int n) { return 0x06000 + 0x40 * n; }
constexpr uint32_t RDBAL = 0x00, RDBAH = 0x04, RDLEN = 0x08, RDH = 0x10, SRRCTL = 0x14, RDT = 0x18, RXDCTL = 0x28;
constexpr uint32_t TDBAL = 0x00, TDBAH = 0x04, TDLEN = 0x08, TDH = 0x10, TDT = 0x18, TXDCTL = 0x28;
constexpr uint32_t SRRCTL_COMPAT = 0x02100;
constexpr uint32_t QUEUE_ENABLE = 0x02000000;  // RXDCTL.ENABLE, TXDCTL.ENABLE
constexpr uint32_t SRRCTL_BSIZEPKT_MASK = 0x1F, SRRCTL_DESCTYPE_MASK = 0x0E000000, SRRCTL_ADV_ONEBUF = 0x02000000, SRRCTL_DROP_EN = 0x10000000;
constexpr uint32_t RXCTRL = 0x03000, RXCTRL_RXEN = 1;
constexpr uint32_t DMATXCTL = 0x04A80, DMATXCTL_TE = 1;
constexpr uint32_t ETQF = 0x05128, ETQS = 0x0EC00, ETQF_FILTER_EN = 0x80000000, ETQS_QUEUE_EN = 0x80000000;
constexpr uint32_t GPRC = 0x04074, GORCL = 0x04088, GPTC = 0x04080, GOTCL = 0x04090, MPC0 = 0x03FA0, RNBC0 = 0x03FC0;
constexpr uint32_t RXDGPC = 0x02F50, TXDGPC = 0x087A0, RQSMR = 0x02300, TQSM = 0x08600;
constexpr uint32_t QPRC(uint32_t i) { return 0x01030 + 0x40 * i; }
constexpr uint32_t QBRC_L(uint32_t i) { return 0x01034 + 0x40 * i; }
constexpr uint32_t QPRDC(uint32_t i) { return 0x01430 + 0x40 * i; }
constexpr uint32_t QPTC(uint32_t i) { return 0x06030 + 0x40 * i; }
constexpr uint32_t QBTC_L(uint32_t i) { return 0x08700 + 8 * i; }
constexpr uint32_t SAQF(uint32_t i) { return 0x0E000 + 4 * i; }
constexpr uint32_t DAQF(uint32_t i) { return 0x0E200 + 4 * i; }
constexpr uint32_t SDPQF(uint32_t i) { return 0x0E400 + 4 * i; }
constexpr uint32_t FTQF(uint32_t i) { return 0x0E600 + 4 * i; }
constexpr uint32_t L34T_IMIR(uint32_t i) { return 0x0E800 + 4 * i; }
constexpr uint32_t FTQF_QUEUE_ENABLE = 0x80000000;
constexpr uint32_t SYNQF = 0x0EC30, SYNQF_QUEUE_EN = 0x1, SYNQF_SYNQFP = 0x80000000;
constexpr uint32_t RXCSUM = 0x05000, RXCSUM_PCSD = 0x00002000;
constexpr uint32_t MRQC = 0x05818, MRQC_BLOCK = 0x0EC80, MRQC_RSSEN = 0x1;
constexpr uint32_t MRQC_RSS_FIELD_IPV4_TCP = 0x00010000, MRQC_RSS_FIELD_IPV4 = 0x00020000, MRQC_RSS_FIELD_IPV4_UDP = 0x00400000;
constexpr uint32_t RETA(uint32_t i) { return 0x05C00 + 4 * i; }
constexpr uint32_t RETA_BLOCK(uint32_t i) { return 0x0EB00 + 4 * i; }
constexpr uint32_t RSSRK(uint32_t i) { return 0x05C80 + 4 * i; }
constexpr uint32_t RSSRK_BLOCK(uint32_t i) { return 0x0EB80 + 4 * i; }
constexpr uint32_t FDIRCTRL = 0x0EE00, FDIRCTRL_INIT_DONE = 0x8, FDIRCTRL_PERFECT_MATCH = 0x10, FDIRCTRL_REPORT_STATUS = 0x20;
constexpr uint32_t FDIRIPSA = 0x0EE18, FDIRIPDA = 0x0EE1C, FDIRPORT = 0x0EE20, FDIRHASH = 0x0EE28, FDIRCMD = 0x0EE2C, FDIRFREE = 0x0EE38;
constexpr uint32_t FDIRDIP4M = 0x0EE3C, FDIRSIP4M = 0x0EE40, FDIRTCPM = 0x0EE44, FDIRUDPM = 0x0EE48, FDIRMATCH = 0x0EE58, FDIRMISS = 0x0EE5C;
constexpr uint32_t FDIRM = 0x0EE70, FDIRM_L4P = 0x8;
constexpr uint32_t FDIRCMD_CMD_MASK = 0x3, FDIRCMD_CMD_ADD_FLOW = 0x1, FDIRCMD_CMD_REMOVE_FLOW = 0x2, FDIRCMD_CMD_QUERY_REM_FILT = 0x3;
constexpr uint32_t FDIRCMD_FILTER_VALID = 0x4, FDIRCMD_DROP = 0x200, FDIRCMD_QUEUE_EN = 0x8000;
}  // namespace reg

namespace desc {
constexpr uint32_t RX_DD = 0x1, RX_EOP = 0x2, RX_FLM = 0x4;
constexpr uint32_t PKTTYPE_IPV4 = 0x10, PKTTYPE_IPV4_EX = 0x20, PKTTYPE_IPV6 = 0x40, PKTTYPE_TCP = 0x100, PKTTYPE_UDP = 0x200, PKTTYPE_SCTP = 0x400, PKTTYPE_ETQF = 0x8000;
constexpr uint32_t TX_DTALEN_MASK = 0xFFFF, TX_DTYP_MASK = 0x00F00000, TX_DTYP_CTXT = 0x00200000, TX_DTYP_DATA = 0x00300000;
constexpr uint32_t TX_EOP = 0x01000000, TX_RS = 0x08000000, TX_DEXT = 0x20000000, TX_DD = 0x1;
}  // namespace desc

}  // namespace sim82599
