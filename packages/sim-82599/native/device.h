// The emulated 82599's DMA engine: one thread per device that watches the doorbells in a
// shared-memory BAR0 (it cannot trap register accesses), moves frames between descriptor
// rings through registered DMA memory, and keeps the device's counters. Register offsets and
// bits mirror @dpkit/ixgbe-defs (packages/ixgbe-defs/src/regs.ts, descriptors.ts) (the TypeScript definitions, with sources).
#pragma once
#include <atomic>
#include <mutex>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace sim82599 {

struct Tuple;

constexpr size_t kBarSize = 0x80000;
constexpr int kQueues = 128;
constexpr int kRegions = 16;
constexpr uint32_t kMaxDescriptors = 65536;   // RDH/TDH are 16-bit indexes
constexpr uint32_t kMaxFrame = 16384;          // the largest frame the device moves
constexpr int kMaxTaps = 16;
constexpr int kWindows = 16;  // window 0 is the kernel side's BAR0; the others, owners' windows

// A DMA region: IOVA range -> host mapping. Appended under the control path's lock and
// published by `regionCount` (release), read lock-free by the engine (acquire).
struct Region {
  uint64_t iova;
  uint64_t length;
  uint8_t* host;
};

// A flow director perfect filter: its software index (FDIRHASH 30:16), flow type (FDIRCMD 7:5),
// the tuple as programmed, the command word (queue, drop) and the bucket hash (FDIRHASH 14:0).
struct FlowFilter {
  uint32_t index;
  uint32_t flowType;
  uint32_t src, dst, ports;
  uint32_t cmd;
  uint32_t bucket;
};
constexpr uint32_t kFlowFilters = 8190;  // (1024 << 3) - 2, the 256 KB allocation

// A register window and its DMA domain: the owner's own copy of the BAR0 layout, in which the
// device decodes only the queues that owner holds, and the memory it registered (its IOMMU
// domain: a queue's DMA is translated only through its owner's regions).
struct Window {
  uint32_t* regs;
  Region regions[kRegions];
  std::atomic<int> regionCount{0};
};

// The filter registers as one pass sees them: read once at the start of each pass (a few
// hundred loads) instead of per frame, so a driver's change takes effect at the next pass.
struct FilterSnapshot {
  uint8_t five[128];  // indexes of the enabled 5-tuple filters
  int fiveCount;
  uint32_t etqf[8];
  uint32_t synqf, mrqc, rxcsum, fdirctrl;
  uint8_t key[40];     // RSSRK
};

struct RxQueue {
  bool started;
  uint64_t base;       // ring IOVA
  uint32_t count;      // descriptors
  uint32_t head;       // the device's head (mirrored to RDH)
  uint32_t bufferSize; // SRRCTL.BSIZEPACKET in bytes
  bool dropEnable;
};

struct TxQueue {
  bool started;
  uint64_t base;
  uint32_t count;
  uint32_t head;
  uint32_t badTail;    // the last out-of-range tail counted, so one bad write counts once
};

// What the device counts beyond its statistics registers (shown by dpkit-ethtool -S).
struct Counters {
  std::atomic<uint64_t> passes{0};
  std::atomic<uint64_t> busyNs{0};
  std::atomic<uint64_t> wallNs{0};
  std::atomic<uint64_t> descriptors{0};
  std::atomic<uint64_t> badConfig{0};
  std::atomic<uint64_t> badTail{0};
  std::atomic<uint64_t> txMalformed{0};
  std::atomic<uint64_t> rxNotStarted{0};
  std::atomic<uint64_t> rxNoDescriptors{0};
  std::atomic<uint64_t> kernelFrames{0};
  std::atomic<uint64_t> kernelDropped{0};
  std::atomic<uint64_t> wireTxErrors{0};
  std::atomic<uint64_t> wireRxOversize{0};
  std::atomic<uint64_t> fdirFull{0};
  std::atomic<uint64_t> generated{0};      // frames the generator wrote to rings
  std::atomic<uint64_t> generatorSkipped{0};  // generated frames the filters gave to kernel queues (not written)
  std::atomic<uint64_t> txSunk{0};         // transmitted frames counted and dropped (generator mode)
  std::atomic<uint64_t> rxQueueFrames[kQueues]{};  // frames delivered per rx queue (ring or TAP)
  std::atomic<uint64_t> rxDmaFaults[kQueues]{};
  std::atomic<uint64_t> txDmaFaults[kQueues]{};
};

class Device {
 public:
  // bar: the device's own mapping of BAR0 (kBarSize bytes), window 0
  explicit Device(uint32_t* bar);
  ~Device();
  // Another owner's register window (kBarSize bytes); its id, or -1 when all are in use.
  int AddWindow(uint32_t* regs);
  // Registers DMA memory in a window's domain; false when its table is full or the range
  // overlaps another of that domain.
  bool AddRegion(int window, uint64_t iova, uint64_t length, uint8_t* host);
  // Control operations the engine carries out between two passes; they return once it has
  // (directly when it is not running), so afterwards it no longer touches what they released.
  // Assign: queue pairs start..start+count-1, all held by window 0, go to `window` (stopped
  // first if started); false, and nothing changes, if one is not window 0's.
  bool Assign(int window, int start, int count);
  // Reclaim: the queue pairs start..start+count-1 of `window` (count 0: all of them, and then
  // its DMA domain is emptied too) are stopped and go back to window 0. Returns how many.
  int Reclaim(int window, int start = 0, int count = 0);
  // Before Start: queues 0..kernelQueues-1 are the kernel's, their frames go to the TAP
  // queue fds (queue q to fd q mod taps); and the wire (an AF_PACKET fd, or none: loopback).
  void AttachKernel(int kernelQueues, const int* tapFds, int taps);
  void AttachWire(int fd);
  // Before Start: generator mode (no wire): FLOWS synthetic UDP/IPv4 flows of SIZE-byte frames
  // are received at the rate the rings take them; transmitted frames are counted and dropped.
  bool SetGenerator(uint32_t flows, uint32_t size);
  // Starts the engine thread.
  void Start();
  // Stops the engine thread and waits for it; a no-op when it is not running.
  void Stop();
  const Counters& counters() const { return counters_; }

 private:
  uint32_t Load(uint32_t offset) const { return __atomic_load_n(&bar_[offset >> 2], __ATOMIC_ACQUIRE); }
  // a queue register, in the window of the queue's owner
  uint32_t QLoad(int q, uint32_t offset) const { return __atomic_load_n(&windows_[owner_[q]].regs[offset >> 2], __ATOMIC_ACQUIRE); }
  void QStore(int q, uint32_t offset, uint32_t v) { __atomic_store_n(&windows_[owner_[q]].regs[offset >> 2], v, __ATOMIC_RELEASE); }
  void Store(uint32_t offset, uint32_t v) { __atomic_store_n(&bar_[offset >> 2], v, __ATOMIC_RELEASE); }
  void Add(uint32_t offset, uint32_t v) { __atomic_fetch_add(&bar_[offset >> 2], v, __ATOMIC_RELAXED); }
  // a 64-bit counter as two registers, low word at `low` and high word at low + 4: the carry
  // goes into the high word when the low word wraps
  void Add64(uint32_t low, uint32_t v) {
    if (__atomic_fetch_add(&bar_[low >> 2], v, __ATOMIC_RELAXED) > UINT32_MAX - v) Add(low + 4, 1);
  }
  // DMA for queue q: through its owner's domain
  uint8_t* Translate(int q, uint64_t iova, uint64_t length) const;
  bool Run(int op, int window, int start, int count, int* result);
  int Execute(int op, int window, int start, int count);
  void Loop();
  void ScanEnables();
  void SyncAliases();
  void StartRx(int q);
  void StartTx(int q);
  void StopRx(int q);
  void StopTx(int q);
  uint32_t ProcessTx(int q);
  void Receive(const uint8_t* frame, uint32_t length);
  bool Deliver(int q, const uint8_t* frame, uint32_t length, uint32_t pktInfo, uint32_t hiDword, uint32_t status, bool generated);
  uint32_t Generate();  // native/generator.cc
  void Transmit(const uint8_t* frame, uint32_t length);
  void ToKernel(int q, const uint8_t* frame, uint32_t length);
  uint32_t PollKernel();
  uint32_t PollWire();
  // native/classify.cc: the receive queue of a frame, its write-back pkt_info and hi dword
  int Classify(const uint8_t* frame, uint32_t length, uint32_t* pktInfo, uint32_t* hiDword, uint32_t* status);
  // native/fdir.cc
  void ScanFlowDirector();
  const FlowFilter* MatchFlowDirector(uint32_t flowType, uint32_t src, uint32_t dst, uint32_t srcPort, uint32_t dstPort);
  int FiveTuple(const Tuple& t) const;
  void Snapshot();  // native/classify.cc
  uint32_t Toeplitz(const uint8_t* input, uint32_t length) const;
  uint32_t RxStatIndex(int q) const;
  uint32_t TxStatIndex(int q) const;

  uint32_t* bar_;
  Window windows_[kWindows];
  int windowCount_ = 1;
  uint8_t owner_[kQueues];  // the window whose registers and domain serve queue pair q
  // the control operation the engine is asked to carry out (0: none), and its result
  std::mutex opLock_;
  std::atomic<int> op_{0};
  int opWindow_ = 0, opStart_ = 0, opCount_ = 0, opResult_ = 0;
  RxQueue rx_[kQueues];
  TxQueue tx_[kQueues];
  // registers with two addresses (SRRCTL 0-15, MRQC, RETA, RSSRK): the words, and the values
  // last seen at each, so a changed word is copied to its twin (see SyncAliases)
  static constexpr int kAliases = 16 + 1 + 32 + 10;
  uint32_t aliasAt_[2][kAliases];
  uint32_t aliasSeen_[2][kAliases];
  std::atomic<bool> running_{false};
  std::thread thread_;
  Counters counters_;
  FilterSnapshot snap_{};
  FlowFilter fdir_[kFlowFilters];
  uint32_t fdirCount_ = 0;
  uint32_t fdirCapacity_ = 0;
  int kernelQueues_ = 0;
  int taps_ = 0;
  int tapFds_[kMaxTaps];
  int wireFd_ = -1;
  std::vector<uint8_t> flows_;  // generator templates, flowCount_ frames of flowSize_ bytes
  uint32_t flowCount_ = 0, flowSize_ = 0, nextFlow_ = 0;
  uint8_t frame_[kMaxFrame];  // a transmitted packet being gathered
  uint8_t io_[kMaxFrame];     // a frame read from the TAP or the wire
};

// native/io.cc: open the kernel side's TAP queues (0 or an errno) and the wire (fd or -errno).
int OpenTap(const char* name, int queues, int* fds);
int OpenWire(const char* name);

}  // namespace sim82599
