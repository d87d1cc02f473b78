// The emulated 82599's engine thread: doorbell watching, queue start/stop, tx and rx on the
// advanced descriptor rings, DMA through registered memory with faults. See device.h and
// the package README ("BAR0", "Descriptors", "DMA").
#include "device.h"
#include <time.h>
#include <cstring>
#include "regs.h"

namespace sim82599 {

static uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

Device::Device(uint32_t* bar) : bar_(bar) {
  std::memset(rx_, 0, sizeof rx_);
  std::memset(tx_, 0, sizeof tx_);
  std::memset(aliasSeen_, 0, sizeof aliasSeen_);
  int n = 0;
  auto pair = [&](uint32_t compat, uint32_t block) { aliasAt_[0][n] = compat, aliasAt_[1][n++] = block; };
  for (int q = 0; q < 16; q++) pair(reg::SRRCTL_COMPAT + 4 * q, reg::RxBlock(q) + reg::SRRCTL);
  pair(reg::MRQC, reg::MRQC_BLOCK);
  for (uint32_t i = 0; i < 32; i++) pair(reg::RETA(i), reg::RETA_BLOCK(i));
  for (uint32_t i = 0; i < 10; i++) pair(reg::RSSRK(i), reg::RSSRK_BLOCK(i));
}

Device::~Device() { Stop(); }

bool Device::AddRegion(uint64_t iova, uint64_t length, uint8_t* host) {
  int n = regionCount_.load(std::memory_order_relaxed);
  if (n == kRegions || length == 0 || iova + length < iova) return false;
  for (int i = 0; i < n; i++) {
    if (iova < regions_[i].iova + regions_[i].length && regions_[i].iova < iova + length) return false;
  }
  regions_[n] = Region{iova, length, host};
  regionCount_.store(n + 1, std::memory_order_release);
  return true;
}

// The one translate-and-check of every DMA access: the host address of [iova, iova+length)
// when it lies wholly inside one registered region, else nullptr (a DMA fault).
uint8_t* Device::Translate(uint64_t iova, uint64_t length) const {
  int n = regionCount_.load(std::memory_order_acquire);
  for (int i = 0; i < n; i++) {
    const Region& r = regions_[i];
    if (iova >= r.iova && length <= r.length && iova - r.iova <= r.length - length) return r.host + (iova - r.iova);
  }
  return nullptr;
}

void Device::Start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { Run(); });
}

void Device::Stop() {
  if (!running_.exchange(false)) return;
  thread_.join();
}

// The loop: the TAP and the wire, then the tails of started tx queues, every pass; enable bits
// every 64 passes; after 256 idle passes it sleeps 50 us per pass.
void Device::Run() {
  uint64_t last = NowNs(), start = last;
  uint32_t idle = 0, pass = 0;
  while (running_.load(std::memory_order_relaxed)) {
    if ((pass++ & 63) == 0) ScanEnables();
    ScanFlowDirector();
    uint32_t work = PollKernel() + PollWire();
    if (Load(reg::DMATXCTL) & reg::DMATXCTL_TE) {
      for (int q = 0; q < kQueues; q++) {
        if (tx_[q].started) work += ProcessTx(q);
      }
    }
    uint64_t now = NowNs();
    if (work) {
      counters_.busyNs.fetch_add(now - last, std::memory_order_relaxed);
      counters_.descriptors.fetch_add(work, std::memory_order_relaxed);
      idle = 0;
    } else if (++idle > 256) {
      timespec nap{0, 50000};
      nanosleep(&nap, nullptr);
      now = NowNs();
    }
    last = now;
    counters_.passes.fetch_add(1, std::memory_order_relaxed);
    counters_.wallNs.store(now - start, std::memory_order_relaxed);
  }
}

// SRRCTL of queues 0-15, MRQC, RETA and RSSRK have two addresses each (the ones Linux and DPDK
// use, and the ones in the datasheet transcription / Snabb): a word that changed since the
// last scan is copied to its twin, so either store is the one the device reads.
void Device::SyncAliases() {
  for (int n = 0; n < kAliases; n++) {
    uint32_t c = Load(aliasAt_[0][n]), b = Load(aliasAt_[1][n]);
    if (c != aliasSeen_[0][n]) {
      Store(aliasAt_[1][n], c);
      b = c;
    } else if (b != aliasSeen_[1][n]) {
      Store(aliasAt_[0][n], b);
      c = b;
    }
    aliasSeen_[0][n] = c;
    aliasSeen_[1][n] = b;
  }
}

void Device::ScanEnables() {
  SyncAliases();
  for (int q = 0; q < kQueues; q++) {
    bool rxOn = Load(reg::RxBlock(q) + reg::RXDCTL) & reg::QUEUE_ENABLE;
    if (rxOn != rx_[q].started) rxOn ? StartRx(q) : StopRx(q);
    bool txOn = Load(reg::TxBlock(q) + reg::TXDCTL) & reg::QUEUE_ENABLE;
    if (txOn != tx_[q].started) txOn ? StartTx(q) : StopTx(q);
  }
}

// Latches a queue's base, length and head when its ENABLE is seen; invalid settings do not
// start it: ENABLE is cleared (the driver's enable poll fails) and badConfig counts.
void Device::StartRx(int q) {
  uint32_t b = reg::RxBlock(q);
  uint64_t base = uint64_t(Load(b + reg::RDBAH)) << 32 | Load(b + reg::RDBAL);
  uint32_t len = Load(b + reg::RDLEN), srrctl = Load(b + reg::SRRCTL), head = Load(b + reg::RDH);
  uint32_t count = len / 16, bsize = (srrctl & reg::SRRCTL_BSIZEPKT_MASK) << 10;
  if (len == 0 || len % 128 || count > kMaxDescriptors || base % 128 || (srrctl & reg::SRRCTL_DESCTYPE_MASK) != reg::SRRCTL_ADV_ONEBUF ||
      bsize == 0 || head >= count) {
    Store(b + reg::RXDCTL, Load(b + reg::RXDCTL) & ~reg::QUEUE_ENABLE);
    counters_.badConfig.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  rx_[q] = RxQueue{true, base, count, head, bsize, (srrctl & reg::SRRCTL_DROP_EN) != 0};
}

void Device::StartTx(int q) {
  uint32_t b = reg::TxBlock(q);
  uint64_t base = uint64_t(Load(b + reg::TDBAH)) << 32 | Load(b + reg::TDBAL);
  uint32_t len = Load(b + reg::TDLEN), head = Load(b + reg::TDH), count = len / 16;
  if (len == 0 || len % 128 || count > kMaxDescriptors || base % 128 || head >= count) {
    Store(b + reg::TXDCTL, Load(b + reg::TXDCTL) & ~reg::QUEUE_ENABLE);
    counters_.badConfig.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  tx_[q] = TxQueue{true, base, count, head, UINT32_MAX};
}

// A stop (the driver cleared ENABLE, or a DMA fault) leaves the ring alone from now on.
void Device::StopRx(int q) {
  rx_[q].started = false;
  uint32_t ctl = reg::RxBlock(q) + reg::RXDCTL;
  Store(ctl, Load(ctl) & ~reg::QUEUE_ENABLE);
}

void Device::StopTx(int q) {
  tx_[q].started = false;
  uint32_t ctl = reg::TxBlock(q) + reg::TXDCTL;
  Store(ctl, Load(ctl) & ~reg::QUEUE_ENABLE);
}

uint32_t Device::RxStatIndex(int q) const { return (Load(reg::RQSMR + 4 * (q >> 2)) >> (8 * (q & 3))) & 0xF; }
uint32_t Device::TxStatIndex(int q) const { return (Load(reg::TQSM + 4 * (q >> 2)) >> (8 * (q & 3))) & 0xF; }

}  // namespace sim82599
