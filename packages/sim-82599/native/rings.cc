// Transmit and receive on the advanced descriptor rings (datasheet §7.1.6, §7.2.3.2.4; see
// @dpkit/ixgbe-defs/descriptors). Every descriptor and buffer access goes through Translate(); a miss
// is a DMA fault: nothing is written or sent, the queue's fault counter counts, the queue stops.
#include <cstring>
#include "device.h"
#include "regs.h"

namespace sim82599 {

static uint32_t LoadWord(const uint8_t* p) { return __atomic_load_n(reinterpret_cast<const uint32_t*>(p), __ATOMIC_ACQUIRE); }
static void StoreWord(uint8_t* p, uint32_t v, int order) { __atomic_store_n(reinterpret_cast<uint32_t*>(p), v, order); }
static uint64_t LoadAddress(const uint8_t* p) { return uint64_t(LoadWord(p + 4)) << 32 | LoadWord(p); }

// Transmits the complete packets in [head, TDT) of tx queue q (a budget of 256 descriptors per
// call so one queue cannot starve the others); returns the descriptors completed. A packet is
// the descriptors up to the one with EOP; one not yet complete up to the tail waits.
uint32_t Device::ProcessTx(int q) {
  TxQueue& t = tx_[q];
  const uint32_t b = reg::TxBlock(q);
  if (!(QLoad(q, b + reg::TXDCTL) & reg::QUEUE_ENABLE)) {  // the driver stopped the queue: at once
    StopTx(q);
    return 0;
  }
  const uint32_t tail = QLoad(q, b + reg::TDT);
  if (tail >= t.count) {
    if (tail != t.badTail) counters_.badTail.fetch_add(1, std::memory_order_relaxed);
    t.badTail = tail;
    return 0;
  }
  uint32_t done = 0;
  while (t.head != tail && done < 256) {
    uint32_t idx = t.head, length = 0, used = 0;
    bool malformed = false, eop = false;
    while (!eop) {
      if (idx == tail) return done;
      const uint8_t* d = Translate(q, t.base + 16ull * idx, 16);
      if (!d) goto fault;
      {
        const uint32_t cmd = LoadWord(d + 8), dtyp = cmd & desc::TX_DTYP_MASK;
        if (dtyp == desc::TX_DTYP_CTXT && (cmd & desc::TX_DEXT)) {
          // a context descriptor: offload parameters, which this device does not implement
        } else {
          eop = cmd & desc::TX_EOP;
          const uint32_t len = cmd & desc::TX_DTALEN_MASK;
          if (dtyp != desc::TX_DTYP_DATA || !(cmd & desc::TX_DEXT) || length + len > kMaxFrame) {
            malformed = true;
          } else if (len) {
            const uint8_t* src = Translate(q, LoadAddress(d), len);
            if (!src) goto fault;
            std::memcpy(frame_ + length, src, len);
          }
          length += len;
        }
      }
      idx = idx + 1 == t.count ? 0 : idx + 1;
      used++;
    }
    if (malformed || length == 0) {
      counters_.txMalformed.fetch_add(1, std::memory_order_relaxed);
    } else {
      const uint32_t s = TxStatIndex(q);
      Add(reg::GPTC, 1);
      Add64(reg::GOTCL, length);
      Add(reg::TXDGPC, 1);
      Add(reg::QPTC(s), 1);
      Add64(reg::QBTC_L(s), length);
      Transmit(frame_, length);
    }
    // write-back: DD into dword 3 of each data descriptor with RS, once the packet has left
    for (uint32_t i = t.head; i != idx; i = i + 1 == t.count ? 0 : i + 1) {
      uint8_t* d = Translate(q, t.base + 16ull * i, 16);
      const uint32_t cmd = d ? LoadWord(d + 8) : 0;
      if ((cmd & desc::TX_DTYP_MASK) == desc::TX_DTYP_DATA && (cmd & desc::TX_RS)) StoreWord(d + 12, LoadWord(d + 12) | desc::TX_DD, __ATOMIC_RELEASE);
    }
    t.head = idx;
    QStore(q, b + reg::TDH, idx);
    done += used;
  }
  return done;
fault:
  counters_.txDmaFaults[q].fetch_add(1, std::memory_order_relaxed);
  StopTx(q);
  return done;
}

// Writes one frame into its queue's ring: as many descriptors as the frame needs buffers,
// EOP on the last, the write-back's status dword (DD) stored last in each. A frame the ring
// has no room for is dropped whole and counted; so is one for a queue that is not started.
void Device::Receive(const uint8_t* frame, uint32_t length) {
  if (!(Load(reg::RXCTRL) & reg::RXCTRL_RXEN)) {
    Add(reg::MPC0, 1);
    return;
  }
  uint32_t pktInfo, hiDword, status;
  const int q = Classify(frame, length, &pktInfo, &hiDword, &status);
  Deliver(q, frame, length, pktInfo, hiDword, status, false);
}

// Writes a classified frame to queue q: the TAP for a kernel queue, else its ring. A frame
// from the generator (`generated`) is only written where there is room: it reports false,
// counting nothing, for a kernel queue, a queue that is not started or a ring without room.
bool Device::Deliver(int q, const uint8_t* frame, uint32_t length, uint32_t pktInfo, uint32_t hiDword, uint32_t status, bool generated) {
  if (q < kernelQueues_) {
    if (generated) return false;
    ToKernel(q, frame, length);
    counters_.rxQueueFrames[q].fetch_add(1, std::memory_order_relaxed);
    Add(reg::GPRC, 1);
    Add64(reg::GORCL, length);
    return true;
  }
  RxQueue& r = rx_[q];
  const uint32_t b = reg::RxBlock(q);
  // ENABLE is read for every frame, so a queue starts with its first frame even before the
  // enable scan has seen it, and stops at once when the driver clears it
  const bool enabled = QLoad(q, b + reg::RXDCTL) & reg::QUEUE_ENABLE;
  if (enabled != r.started) enabled ? StartRx(q) : StopRx(q);
  if (!r.started) {
    if (!generated) counters_.rxNotStarted.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint32_t tail = QLoad(q, b + reg::RDT);
  if (tail >= r.count) {
    counters_.badTail.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint32_t free = tail >= r.head ? tail - r.head : tail + r.count - r.head;
  const uint32_t need = (length + r.bufferSize - 1) / r.bufferSize;  // <= kMaxFrame / 1024
  const uint32_t s = RxStatIndex(q);
  if (free < need) {
    if (generated) return false;
    Add(r.dropEnable ? reg::QPRDC(s) : reg::RNBC0, 1);
    counters_.rxNoDescriptors.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint8_t* descs[kMaxFrame / 1024];
  uint8_t* bufs[kMaxFrame / 1024];
  for (uint32_t k = 0, idx = r.head; k < need; k++, idx = idx + 1 == r.count ? 0 : idx + 1) {
    const uint32_t chunk = k + 1 < need ? r.bufferSize : length - k * r.bufferSize;
    descs[k] = Translate(q, r.base + 16ull * idx, 16);
    bufs[k] = descs[k] ? Translate(q, LoadAddress(descs[k]), chunk) : nullptr;
    if (!bufs[k]) {
      counters_.rxDmaFaults[q].fetch_add(1, std::memory_order_relaxed);
      StopRx(q);
      return false;
    }
  }
  for (uint32_t k = 0; k < need; k++) {
    const uint32_t chunk = k + 1 < need ? r.bufferSize : length - k * r.bufferSize;
    std::memcpy(bufs[k], frame + k * r.bufferSize, chunk);
    StoreWord(descs[k], pktInfo, __ATOMIC_RELAXED);       // pkt_info, hdr_info 0
    StoreWord(descs[k] + 4, hiDword, __ATOMIC_RELAXED);   // RSS hash (RXCSUM.PCSD) or 0
    StoreWord(descs[k] + 12, chunk, __ATOMIC_RELAXED);    // length, VLAN 0
    StoreWord(descs[k] + 8, desc::RX_DD | status | (k + 1 == need ? desc::RX_EOP : 0), __ATOMIC_RELEASE);
  }
  r.head = (r.head + need) % r.count;
  QStore(q, b + reg::RDH, r.head);
  Add(reg::GPRC, 1);
  Add64(reg::GORCL, length);
  Add(reg::RXDGPC, 1);
  Add(reg::QPRC(s), 1);
  Add64(reg::QBRC_L(s), length);
  counters_.descriptors.fetch_add(need, std::memory_order_relaxed);
  counters_.rxQueueFrames[q].fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace sim82599
