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
  windows_[0].regs = bar;
  std::memset(owner_, 0, sizeof owner_);
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

int Device::AddWindow(uint32_t* regs) {
  if (windowCount_ == kWindows) return -1;
  windows_[windowCount_].regs = regs;
  return windowCount_++;
}

bool Device::AddRegion(int window, uint64_t iova, uint64_t length, uint8_t* host) {
  if (window < 0 || window >= windowCount_) return false;
  Window& w = windows_[window];
  int n = w.regionCount.load(std::memory_order_relaxed);
  if (n == kRegions || length == 0 || iova + length < iova) return false;
  for (int i = 0; i < n; i++) {
    if (iova < w.regions[i].iova + w.regions[i].length && w.regions[i].iova < iova + length) return false;
  }
  w.regions[n] = Region{iova, length, host};
  w.regionCount.store(n + 1, std::memory_order_release);
  return true;
}

// The engine's side of Assign and Reclaim (between passes, or with the engine stopped).
int Device::Execute(int op, int window, int start, int count) {
  if (op == 1) {
    if (window <= 0 || window >= windowCount_ || start < 0 || count < 1 || start + count > kQueues) return 0;
    for (int q = start; q < start + count; q++) {
      if (owner_[q] != 0) return 0;
    }
    for (int q = start; q < start + count; q++) {
      if (rx_[q].started) StopRx(q);
      if (tx_[q].started) StopTx(q);
      owner_[q] = uint8_t(window);
    }
    return 1;
  }
  int n = 0;
  for (int q = 0; q < kQueues; q++) {
    if (owner_[q] != window || window == 0 || (count && (q < start || q >= start + count))) continue;
    if (rx_[q].started) StopRx(q);
    if (tx_[q].started) StopTx(q);
    owner_[q] = 0;
    n++;
  }
  if (!count && window > 0 && window < windowCount_) windows_[window].regionCount.store(0, std::memory_order_release);
  return n;
}

// Hands an operation to the engine thread and waits for it (it looks once per pass, a pass
// apart by at most its 50 us nap); runs it here when the engine is not running.
bool Device::Run(int op, int window, int start, int count, int* result) {
  std::lock_guard<std::mutex> g(opLock_);
  if (!running_.load()) {
    *result = Execute(op, window, start, count);
    return true;
  }
  opWindow_ = window, opStart_ = start, opCount_ = count;
  op_.store(op, std::memory_order_release);
  while (op_.load(std::memory_order_acquire) != 0) {
    timespec nap{0, 10000};
    nanosleep(&nap, nullptr);
  }
  *result = opResult_;
  return true;
}

bool Device::Assign(int window, int start, int count) {
  int result = 0;
  Run(1, window, start, count, &result);
  return result == 1;
}

int Device::Reclaim(int window, int start, int count) {
  int result = 0;
  Run(2, window, start, count, &result);
  return result;
}

// The one translate-and-check of every DMA access: the host address of [iova, iova+length)
// when it lies wholly inside one registered region, else nullptr (a DMA fault).
uint8_t* Device::Translate(int q, uint64_t iova, uint64_t length) const {
  const Window& w = windows_[owner_[q]];
  int n = w.regionCount.load(std::memory_order_acquire);
  for (int i = 0; i < n; i++) {
    const Region& r = w.regions[i];
    if (iova >= r.iova && length <= r.length && iova - r.iova <= r.length - length) return r.host + (iova - r.iova);
  }
  return nullptr;
}

void Device::Start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { Loop(); });
}

void Device::Stop() {
  if (!running_.exchange(false)) return;
  thread_.join();
}

// The loop: the TAP and the wire, then the tails of started tx queues, every pass; enable bits
// every 64 passes; after 256 idle passes it sleeps 50 us per pass.
void Device::Loop() {
  uint64_t last = NowNs(), start = last;
  uint32_t idle = 0, pass = 0;
  while (running_.load(std::memory_order_relaxed)) {
    if (int op = op_.load(std::memory_order_acquire)) {
      opResult_ = Execute(op, opWindow_, opStart_, opCount_);
      op_.store(0, std::memory_order_release);
    }
    if ((pass++ & 63) == 0) ScanEnables();
    ScanFlowDirector();
    Snapshot();
    // the generator runs every pass while it finds room, every 64th pass once idle
    // frames received (their descriptors are counted where the ring is written, rings.cc)
    uint32_t work = PollKernel() + PollWire() + (flowCount_ && (idle <= 256 || (pass & 63) == 1) ? Generate() : 0);
    uint32_t txDescriptors = 0;
    if (Load(reg::DMATXCTL) & reg::DMATXCTL_TE) {
      for (int q = 0; q < kQueues; q++) {
        if (tx_[q].started) txDescriptors += ProcessTx(q);
      }
    }
    work += txDescriptors;
    uint64_t now = NowNs();
    if (work) {
      counters_.busyNs.fetch_add(now - last, std::memory_order_relaxed);
      counters_.descriptors.fetch_add(txDescriptors, std::memory_order_relaxed);
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
    bool rxOn = QLoad(q, reg::RxBlock(q) + reg::RXDCTL) & reg::QUEUE_ENABLE;
    if (rxOn != rx_[q].started) rxOn ? StartRx(q) : StopRx(q);
    bool txOn = QLoad(q, reg::TxBlock(q) + reg::TXDCTL) & reg::QUEUE_ENABLE;
    if (txOn != tx_[q].started) txOn ? StartTx(q) : StopTx(q);
  }
}

// Latches a queue's base, length and head when its ENABLE is seen; invalid settings do not
// start it: ENABLE is cleared (the driver's enable poll fails) and badConfig counts.
void Device::StartRx(int q) {
  if (q < 16 && owner_[q] == 0) SyncAliases();  // SRRCTL may have been written at 0x02100 + 4q just now
  uint32_t b = reg::RxBlock(q);
  uint64_t base = uint64_t(QLoad(q, b + reg::RDBAH)) << 32 | QLoad(q, b + reg::RDBAL);
  uint32_t len = QLoad(q, b + reg::RDLEN), srrctl = QLoad(q, b + reg::SRRCTL), head = QLoad(q, b + reg::RDH);
  // queues 0-15 in an owner's window: SRRCTL as Linux/DPDK write it (0x02100 + 4q) when set
  if (owner_[q] != 0 && q < 16 && QLoad(q, reg::SRRCTL_COMPAT + 4 * q)) srrctl = QLoad(q, reg::SRRCTL_COMPAT + 4 * q);
  uint32_t count = len / 16, bsize = (srrctl & reg::SRRCTL_BSIZEPKT_MASK) << 10;
  if (len == 0 || len % 128 || count > kMaxDescriptors || base % 128 || (srrctl & reg::SRRCTL_DESCTYPE_MASK) != reg::SRRCTL_ADV_ONEBUF ||
      bsize == 0 || head >= count) {
    QStore(q, b + reg::RXDCTL, QLoad(q, b + reg::RXDCTL) & ~reg::QUEUE_ENABLE);
    counters_.badConfig.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  rx_[q] = RxQueue{true, base, count, head, bsize, (srrctl & reg::SRRCTL_DROP_EN) != 0};
}

void Device::StartTx(int q) {
  uint32_t b = reg::TxBlock(q);
  uint64_t base = uint64_t(QLoad(q, b + reg::TDBAH)) << 32 | QLoad(q, b + reg::TDBAL);
  uint32_t len = QLoad(q, b + reg::TDLEN), head = QLoad(q, b + reg::TDH), count = len / 16;
  if (len == 0 || len % 128 || count > kMaxDescriptors || base % 128 || head >= count) {
    QStore(q, b + reg::TXDCTL, QLoad(q, b + reg::TXDCTL) & ~reg::QUEUE_ENABLE);
    counters_.badConfig.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  tx_[q] = TxQueue{true, base, count, head, UINT32_MAX};
}

// A stop (the driver cleared ENABLE, or a DMA fault) leaves the ring alone from now on.
void Device::StopRx(int q) {
  rx_[q].started = false;
  uint32_t ctl = reg::RxBlock(q) + reg::RXDCTL;
  QStore(q, ctl, QLoad(q, ctl) & ~reg::QUEUE_ENABLE);
}

void Device::StopTx(int q) {
  tx_[q].started = false;
  uint32_t ctl = reg::TxBlock(q) + reg::TXDCTL;
  QStore(q, ctl, QLoad(q, ctl) & ~reg::QUEUE_ENABLE);
}

uint32_t Device::RxStatIndex(int q) const { return (Load(reg::RQSMR + 4 * (q >> 2)) >> (8 * (q & 3))) & 0xF; }
uint32_t Device::TxStatIndex(int q) const { return (Load(reg::TQSM + 4 * (q >> 2)) >> (8 * (q & 3))) & 0xF; }

}  // namespace sim82599
