// Receive queue selection, in the 82599's order among its filters (see the README, "Filters
// and RSS"): EtherType filters, then 5-tuple filters and the SYN filter (SYNQF.SYNQFP says
// which of the two goes first), then the flow director's perfect filters, then RSS over RETA,
// then queue 0.
// The filter registers are read once per pass (Snapshot), so a driver's change takes effect at
// the next pass; the flow director's table is the device's own.
#include "device.h"
#include "regs.h"

namespace sim82599 {

// The fields of a frame the filters look at. Address and port words hold the header bytes
// in wire order loaded as a little-endian word (the byte order DPDK writes SAQF/DAQF/SDPQF in).
struct Tuple {
  bool ipv4;
  bool ports;  // TCP, UDP or SCTP, not a fragment: the ports are there
  uint32_t proto;
  uint32_t src, dst, srcPort, dstPort;
  uint32_t tcpFlags;
  const uint8_t* l3;  // IPv4 header, for the RSS hash input
};

static uint32_t Le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

static Tuple Parse(const uint8_t* f, uint32_t length, uint32_t* pktInfo) {
  Tuple t{};
  const uint32_t etype = uint32_t(f[12]) << 8 | f[13];
  if (etype == 0x86DD && length >= 54) {
    *pktInfo = desc::PKTTYPE_IPV6;
    const uint32_t nh = f[20];
    *pktInfo |= nh == 6 ? desc::PKTTYPE_TCP : nh == 17 ? desc::PKTTYPE_UDP : nh == 132 ? desc::PKTTYPE_SCTP : 0;
    return t;
  }
  if (etype != 0x0800 || length < 34 || (f[14] >> 4) != 4) return t;
  const uint32_t ihl = (f[14] & 0xF) * 4;
  if (ihl < 20 || 14 + ihl > length) return t;
  t.ipv4 = true;
  t.l3 = f + 14;
  t.proto = f[23];
  t.src = Le32(f + 26);
  t.dst = Le32(f + 30);
  *pktInfo = ihl > 20 ? desc::PKTTYPE_IPV4_EX : desc::PKTTYPE_IPV4;
  const bool fragment = ((uint32_t(f[20]) << 8 | f[21]) & 0x3FFF) != 0;  // MF or an offset
  const uint8_t* l4 = f + 14 + ihl;
  const uint32_t l4room = length - 14 - ihl;
  if (!fragment && (t.proto == 6 || t.proto == 17 || t.proto == 132) && l4room >= (t.proto == 6 ? 20u : 8u)) {
    t.ports = true;
    t.srcPort = uint32_t(l4[0]) | uint32_t(l4[1]) << 8;
    t.dstPort = uint32_t(l4[2]) | uint32_t(l4[3]) << 8;
    if (t.proto == 6) t.tcpFlags = l4[13];
    *pktInfo |= t.proto == 6 ? desc::PKTTYPE_TCP : t.proto == 17 ? desc::PKTTYPE_UDP : desc::PKTTYPE_SCTP;
  }
  return t;
}

// The 5-tuple filter with the highest priority (FTQF 4:2, 7 highest; the lowest index among
// equals) that matches, or -1. Mask bits set mean "do not compare" (FTQF 29:25).
int Device::FiveTuple(const Tuple& t) const {
  if (!t.ipv4) return -1;
  int best = -1;
  uint32_t bestPriority = 0;
  const uint32_t protocol = t.proto == 6 ? 0 : t.proto == 17 ? 1 : t.proto == 132 ? 2 : 3;
  for (int n = 0; n < snap_.fiveCount; n++) {
    const uint32_t i = snap_.five[n];
    const uint32_t ftqf = Load(reg::FTQF(i));
    if (!(ftqf & reg::FTQF_QUEUE_ENABLE)) continue;
    const uint32_t priority = (ftqf >> 2) & 7;
    if (best >= 0 && priority <= bestPriority) continue;
    const uint32_t mask = ftqf >> 25;
    if (!(mask & 0x10) && (ftqf & 3) != protocol) continue;
    if (!(mask & 0x01) && Load(reg::SAQF(i)) != t.src) continue;
    if (!(mask & 0x02) && Load(reg::DAQF(i)) != t.dst) continue;
    const uint32_t sdpqf = Load(reg::SDPQF(i));
    if (!(mask & 0x04) && (!t.ports || (sdpqf & 0xFFFF) != t.srcPort)) continue;
    if (!(mask & 0x08) && (!t.ports || (sdpqf >> 16) != t.dstPort)) continue;
    best = int(i);
    bestPriority = priority;
  }
  return best;
}

// Toeplitz hash of `input` with the 40-byte key in RSSRK (key byte k is byte k % 4 of word k / 4).
uint32_t Device::Toeplitz(const uint8_t* input, uint32_t length) const {
  const uint8_t* key = snap_.key;
  uint32_t hash = 0;
  uint32_t window = uint32_t(key[0]) << 24 | uint32_t(key[1]) << 16 | uint32_t(key[2]) << 8 | key[3];
  for (uint32_t i = 0; i < length; i++) {
    for (int b = 7; b >= 0; b--) {
      if (input[i] >> b & 1) hash ^= window;
      window = window << 1 | ((key[i + 4] >> b) & 1);
    }
  }
  return hash;
}

void Device::Snapshot() {
  snap_.fiveCount = 0;
  for (uint32_t i = 0; i < 128; i++) {
    if (Load(reg::FTQF(i)) & reg::FTQF_QUEUE_ENABLE) snap_.five[snap_.fiveCount++] = uint8_t(i);
  }
  for (uint32_t i = 0; i < 8; i++) snap_.etqf[i] = Load(reg::ETQF + 4 * i);
  snap_.synqf = Load(reg::SYNQF);
  snap_.mrqc = Load(reg::MRQC);
  snap_.rxcsum = Load(reg::RXCSUM);
  snap_.fdirctrl = Load(reg::FDIRCTRL);
  for (uint32_t k = 0; k < 40; k++) snap_.key[k] = uint8_t(Load(reg::RSSRK(k >> 2)) >> (8 * (k & 3)));
}

int Device::Classify(const uint8_t* frame, uint32_t length, uint32_t* pktInfo, uint32_t* hiDword, uint32_t* status) {
  *pktInfo = 0;
  *hiDword = 0;
  *status = 0;
  if (length < 14) return 0;
  const uint32_t etype = uint32_t(frame[12]) << 8 | frame[13];
  for (uint32_t i = 0; i < 8; i++) {
    const uint32_t etqf = snap_.etqf[i];
    if (!(etqf & reg::ETQF_FILTER_EN) || (etqf & 0xFFFF) != etype) continue;
    *pktInfo = desc::PKTTYPE_ETQF | i << 4;
    const uint32_t etqs = Load(reg::ETQS + 4 * i);
    if (etqs & reg::ETQS_QUEUE_EN) return int((etqs >> 16) & 0x7F);
    break;
  }
  uint32_t parsed = 0;
  const Tuple t = Parse(frame, length, &parsed);
  if (!(*pktInfo & desc::PKTTYPE_ETQF)) *pktInfo = parsed;

  const uint32_t synqf = snap_.synqf;
  const bool syn = (synqf & reg::SYNQF_QUEUE_EN) && t.ports && t.proto == 6 && (t.tcpFlags & 0x12) == 0x02;  // SYN without ACK
  const int synQueue = int((synqf >> 1) & 0x7F);
  if (syn && (synqf & reg::SYNQF_SYNQFP)) return synQueue;
  const int five = FiveTuple(t);
  if (five >= 0) return int((Load(reg::L34T_IMIR(uint32_t(five))) >> 21) & 0x7F);
  if (syn) return synQueue;

  if (t.ipv4) {
    const uint32_t flowType = !t.ports ? 0 : t.proto == 17 ? 1 : t.proto == 6 ? 2 : 3;
    auto host16 = [](uint32_t wire) { return (wire & 0xFF) << 8 | wire >> 8; };
    if (const FlowFilter* f = MatchFlowDirector(flowType, t.src, t.dst, host16(t.srcPort), host16(t.dstPort))) {
      const uint32_t ctrl = snap_.fdirctrl;
      *status = desc::RX_FLM;
      // the filter's identity where the RSS hash would be (DPDK reads id 15:0, hash 30:16)
      if (ctrl & reg::FDIRCTRL_REPORT_STATUS) *hiDword = f->bucket << 16 | (f->index & 0xFFFF);
      if (f->cmd & reg::FDIRCMD_DROP) return int((ctrl >> 8) & 0x7F);  // FDIRCTRL.DROP_QUEUE
      if (f->cmd & reg::FDIRCMD_QUEUE_EN) return int((f->cmd >> 16) & 0x7F);
    }
  }

  const uint32_t mrqc = snap_.mrqc;
  if ((mrqc & 0xF) == reg::MRQC_RSSEN && t.ipv4) {
    uint8_t input[12];
    for (int k = 0; k < 8; k++) input[k] = t.l3[12 + k];  // source, destination address
    uint32_t n = 8, type = 0;
    if (t.ports && t.proto == 6 && (mrqc & reg::MRQC_RSS_FIELD_IPV4_TCP)) type = 1;
    else if (t.ports && t.proto == 17 && (mrqc & reg::MRQC_RSS_FIELD_IPV4_UDP)) type = 7;
    else if (mrqc & reg::MRQC_RSS_FIELD_IPV4) type = 2;
    if (type == 1 || type == 7) {
      const uint8_t* l4 = t.l3 + (t.l3[0] & 0xF) * 4;
      for (int k = 0; k < 4; k++) input[8 + k] = l4[k];  // source, destination port
      n = 12;
    }
    if (type) {
      const uint32_t hash = Toeplitz(input, n);
      *pktInfo |= type;
      if ((snap_.rxcsum & reg::RXCSUM_PCSD) && !*status) *hiDword = hash;
      const uint32_t entry = hash & 0x7F;
      return int((Load(reg::RETA(entry >> 2)) >> (8 * (entry & 3))) & 0xF);
    }
  }
  return 0;
}

}  // namespace sim82599
