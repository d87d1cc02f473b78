// Generator mode: a traffic source and sink for benchmarks. FLOWS synthetic UDP/IPv4 frames
// (source 10.0.x.y and source port vary per flow) go through the filters like wire frames and
// are written to their ring only when it has room, so none is dropped for lack of descriptors;
// frames the filters give to kernel queues are not generated (the TAP is not flooded).
#include <cstring>
#include "device.h"
#include "regs.h"

namespace sim82599 {

bool Device::SetGenerator(uint32_t flows, uint32_t size) {
  if (flows < 1 || flows > 65536 || size < 60 || size > 1514) return false;
  flows_.assign(size_t(flows) * size, 0);
  for (uint32_t f = 0; f < flows; f++) {
    uint8_t* p = flows_.data() + size_t(f) * size;
    const uint8_t head[] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};  // to 02:..:02 from 02:..:01, IPv4
    std::memcpy(p, head, sizeof head);
    const uint32_t ipLen = size - 14, udpLen = size - 34;
    uint8_t* ip = p + 14;
    ip[0] = 0x45;
    ip[2] = uint8_t(ipLen >> 8), ip[3] = uint8_t(ipLen);
    ip[8] = 64, ip[9] = 17;
    ip[12] = 10, ip[13] = 0, ip[14] = uint8_t(f >> 8), ip[15] = uint8_t(f);  // 10.0.f.f
    ip[16] = 10, ip[17] = 1, ip[18] = 0, ip[19] = 1;                           // 10.1.0.1
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i]) << 8 | ip[i + 1];
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
    ip[10] = uint8_t(~sum >> 8), ip[11] = uint8_t(~sum);
    uint8_t* udp = ip + 20;
    const uint32_t sport = 1024 + (f & 0x7FFF);
    udp[0] = uint8_t(sport >> 8), udp[1] = uint8_t(sport), udp[2] = 0x04, udp[3] = 0xD2;  // to port 1234
    udp[4] = uint8_t(udpLen >> 8), udp[5] = uint8_t(udpLen);  // checksum 0: none (IPv4)
  }
  flowCount_ = flows;
  flowSize_ = size;
  return true;
}

// One pass: up to 256 attempts, one flow each, round robin; returns the frames written.
uint32_t Device::Generate() {
  if (!(Load(reg::RXCTRL) & reg::RXCTRL_RXEN)) return 0;
  uint32_t n = 0;
  for (int k = 0; k < 256; k++) {
    const uint8_t* frame = flows_.data() + size_t(nextFlow_) * flowSize_;
    nextFlow_ = nextFlow_ + 1 == flowCount_ ? 0 : nextFlow_ + 1;
    uint32_t pktInfo, hiDword, status;
    const int q = Classify(frame, flowSize_, &pktInfo, &hiDword, &status);
    if (Deliver(q, frame, flowSize_, pktInfo, hiDword, status, true)) {
      n++;
    } else if (q < kernelQueues_) {
      counters_.generatorSkipped.fetch_add(1, std::memory_order_relaxed);
    }
  }
  counters_.generated.fetch_add(n, std::memory_order_relaxed);
  return n;
}

}  // namespace sim82599
