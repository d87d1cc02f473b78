// The flow director in perfect-match mode (datasheet §7.1.2.7, registers §8.2.3.21; the
// programming sequence is the one Linux's and DPDK's shared ixgbe base code uses, see the
// package README): the device initialises the table when FDIRCTRL asks for perfect match,
// executes FDIRCMD's add/query/remove and clears its CMD field, and matches IPv4 frames
// against the filters under the one global input mask.
#include "device.h"
#include "regs.h"

namespace sim82599 {

static uint32_t BitReverse16(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 16; i++) r |= ((v >> i) & 1) << (15 - i);
  return r;
}

// Called every pass (drivers poll FDIRCMD for about 100 us): FDIRCTRL initialisation and one
// pending FDIRCMD command.
void Device::ScanFlowDirector() {
  const uint32_t ctrl = Load(reg::FDIRCTRL);
  const bool perfect = (ctrl & reg::FDIRCTRL_PERFECT_MATCH) && (ctrl & 3);
  if (perfect && !(ctrl & reg::FDIRCTRL_INIT_DONE)) {
    // (re)initialisation: an empty table of (1024 << PBALLOC) - 2 perfect filters
    fdirCount_ = 0;
    fdirCapacity_ = (1024u << (ctrl & 3)) - 2;
    Store(reg::FDIRFREE, fdirCapacity_);
    Store(reg::FDIRCTRL, ctrl | reg::FDIRCTRL_INIT_DONE);
  }
  const uint32_t cmd = Load(reg::FDIRCMD);
  const uint32_t op = cmd & reg::FDIRCMD_CMD_MASK;
  if (!op) return;
  const uint32_t hash = Load(reg::FDIRHASH), index = (hash >> 16) & 0x7FFF;
  int at = -1;
  for (uint32_t i = 0; i < fdirCount_; i++) {
    if (fdir_[i].index == index) at = int(i);
  }
  uint32_t result = cmd & ~(reg::FDIRCMD_CMD_MASK | reg::FDIRCMD_FILTER_VALID);
  if (op == reg::FDIRCMD_CMD_ADD_FLOW && perfect) {
    FlowFilter f{index, (cmd >> 5) & 7, Load(reg::FDIRIPSA), Load(reg::FDIRIPDA), Load(reg::FDIRPORT), cmd, hash & 0x7FFF};
    if (at >= 0) fdir_[at] = f;                      // the same software index: an update
    else if (fdirCount_ < fdirCapacity_ && fdirCount_ < kFlowFilters) fdir_[fdirCount_++] = f;
    else counters_.fdirFull.fetch_add(1, std::memory_order_relaxed);
  } else if (op == reg::FDIRCMD_CMD_QUERY_REM_FILT) {
    if (at >= 0) result |= reg::FDIRCMD_FILTER_VALID;
  } else if (op == reg::FDIRCMD_CMD_REMOVE_FLOW && at >= 0) {
    fdir_[at] = fdir_[--fdirCount_];
  }
  Store(reg::FDIRFREE, fdirCapacity_ - fdirCount_);
  Store(reg::FDIRCMD, result);  // CMD reads 0: the command is done (drivers poll for it)
}

// The matching filter for an IPv4 frame (flow type, addresses, ports under the global mask),
// or nullptr; counts FDIRMATCH / FDIRMISS. Address words are wire-order bytes read as a
// little-endian word (as Linux and DPDK program FDIRIPSA); ports are host order (FDIRPORT).
const FlowFilter* Device::MatchFlowDirector(uint32_t flowType, uint32_t src, uint32_t dst, uint32_t srcPort, uint32_t dstPort) {
  const uint32_t ctrl = Load(reg::FDIRCTRL);
  if (!(ctrl & reg::FDIRCTRL_PERFECT_MATCH) || !(ctrl & reg::FDIRCTRL_INIT_DONE)) return nullptr;
  const uint32_t m = Load(reg::FDIRM), sipIgnore = Load(reg::FDIRSIP4M), dipIgnore = Load(reg::FDIRDIP4M);
  const uint32_t portMask = flowType == 2 ? Load(reg::FDIRTCPM) : flowType == 1 ? Load(reg::FDIRUDPM) : 0xFFFFFFFF;
  const uint32_t srcPortIgnore = BitReverse16(portMask & 0xFFFF), dstPortIgnore = BitReverse16(portMask >> 16);
  const uint32_t port = (dstPort << 16 | srcPort);
  const uint32_t portIgnore = dstPortIgnore << 16 | srcPortIgnore;
  for (uint32_t i = 0; i < fdirCount_; i++) {
    const FlowFilter& f = fdir_[i];
    if (!(m & reg::FDIRM_L4P) && f.flowType != flowType) continue;
    if ((f.src ^ src) & ~sipIgnore) continue;
    if ((f.dst ^ dst) & ~dipIgnore) continue;
    if ((f.ports ^ port) & ~portIgnore) continue;
    Add(reg::FDIRMATCH, 1);
    return &f;
  }
  Add(reg::FDIRMISS, 1);
  return nullptr;
}

}  // namespace sim82599
