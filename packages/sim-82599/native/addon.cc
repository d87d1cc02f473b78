// The sim-82599 addon's JavaScript surface (declared in src/native.ts): create a device with
// its BAR0 in a memfd, register DMA memory, start/stop its engine thread, read its counters.
// Control path only; nothing here runs per packet.
#include <napi.h>
#include <net/if.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
#include "device.h"
#include "regs.h"

namespace sim82599 {

static Napi::Error Errno(Napi::Env env, const std::string& what, int err) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  return e;
}

// A device and what it owns: its BAR0 memfd, its own mapping of it, the DMA mappings.
struct Handle {
  Device* device = nullptr;
  int barFd = -1;
  uint32_t* bar = nullptr;
  struct Dma { int window; void* p; size_t len; };
  std::vector<Dma> dma;
  std::vector<int> fds;  // the TAP queues, the wire socket, the owners' window memfds
  std::vector<void*> windows;  // the engine's mappings of the owners' windows
};

static void Destroy(Handle* h) {
  if (!h->device) return;
  delete h->device;  // stops and joins the engine thread first
  h->device = nullptr;
  munmap(h->bar, kBarSize);
  close(h->barFd);
  for (auto& m : h->dma) munmap(m.p, m.len);
  for (void* w : h->windows) munmap(w, kBarSize);
  h->windows.clear();
  h->dma.clear();
  for (int fd : h->fds) close(fd);
  h->fds.clear();
}

static Handle* Get(const Napi::CallbackInfo& info) {
  Handle* h = info[0].As<Napi::External<Handle>>().Data();
  if (!h->device) throw Napi::Error::New(info.Env(), "sim-82599: the device was destroyed");
  return h;
}

// A zeroed 512 KiB register window in a memfd, mapped for the engine (*engine) and for
// JavaScript (the returned ArrayBuffer's own mapping, unmapped when it is collected).
static Napi::ArrayBuffer NewWindow(Napi::Env env, const char* name, int* fdOut, void** engineOut) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) throw Errno(env, "memfd_create", errno);
  if (ftruncate(fd, kBarSize) != 0) {
    int err = errno;
    close(fd);
    throw Errno(env, "ftruncate", err);
  }
  void* engine = mmap(nullptr, kBarSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void* js = engine == MAP_FAILED ? MAP_FAILED : mmap(nullptr, kBarSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (js == MAP_FAILED) {
    int err = errno;
    if (engine != MAP_FAILED) munmap(engine, kBarSize);
    close(fd);
    throw Errno(env, "mmap", err);
  }
  *fdOut = fd;
  *engineOut = engine;
  return Napi::ArrayBuffer::New(env, js, kBarSize, [](Napi::Env, void* p) { munmap(p, kBarSize); });
}

// create() -> { device, barFd, bar }: the device with its BAR0 (window 0).
static Napi::Value Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  void* engine;
  Napi::ArrayBuffer bar = NewWindow(env, "dpkit-sim-82599-bar0", &fd, &engine);
  Handle* h = new Handle;
  h->barFd = fd;
  h->bar = static_cast<uint32_t*>(engine);
  h->device = new Device(h->bar);
  Napi::Object out = Napi::Object::New(env);
  out.Set("device", Napi::External<Handle>::New(env, h, [](Napi::Env, Handle* p) { Destroy(p); delete p; }));
  out.Set("barFd", Napi::Number::New(env, fd));
  out.Set("bar", bar);
  return out;
}

// addWindow(device) -> { window, fd, regs }: an owner's register window (see device.h).
static Napi::Value AddWindow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = Get(info);
  int fd;
  void* engine;
  Napi::ArrayBuffer regs = NewWindow(env, "dpkit-sim-82599-window", &fd, &engine);
  int window = h->device->AddWindow(static_cast<uint32_t*>(engine));
  if (window < 0) {
    munmap(engine, kBarSize);
    close(fd);
    throw Napi::RangeError::New(env, "sim-82599: all " + std::to_string(kWindows - 1) + " owner windows are in use");
  }
  h->fds.push_back(fd);
  h->windows.push_back(engine);
  Napi::Object out = Napi::Object::New(env);
  out.Set("window", Napi::Number::New(env, window));
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("regs", regs);
  return out;
}

// assign(device, window, start, count) -> boolean (see Device::Assign)
static Napi::Value Assign(const Napi::CallbackInfo& info) {
  Handle* h = Get(info);
  bool ok = h->device->Assign(info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value(), info[3].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(info.Env(), ok);
}

// reclaim(device, window, start = 0, count = 0) -> queue pairs reclaimed (count 0: all, and
// the window's DMA memory is unmapped after the engine let go of it).
static Napi::Value Reclaim(const Napi::CallbackInfo& info) {
  Handle* h = Get(info);
  int window = info[1].As<Napi::Number>().Int32Value();
  int start = info.Length() > 2 ? info[2].As<Napi::Number>().Int32Value() : 0, count = info.Length() > 3 ? info[3].As<Napi::Number>().Int32Value() : 0;
  int n = h->device->Reclaim(window, start, count);
  for (auto it = h->dma.begin(); it != h->dma.end();) {
    if (window != 0 && count == 0 && it->window == window) {
      munmap(it->p, it->len);
      it = h->dma.erase(it);
    } else {
      ++it;
    }
  }
  return Napi::Number::New(info.Env(), n);
}

// dmaMap(device, fd, offset, length, iova, window = 0): maps [offset, offset+length) of fd and
// registers it at iova in the window's DMA domain. Throws on an overlapping range or a full table.
static Napi::Value DmaMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = Get(info);
  int fd = info[1].As<Napi::Number>().Int32Value();
  double offset = info[2].As<Napi::Number>().DoubleValue(), length = info[3].As<Napi::Number>().DoubleValue(), iova = info[4].As<Napi::Number>().DoubleValue();
  if (length <= 0 || offset < 0 || iova < 0 || length > 9007199254740991.0 || iova > 9007199254740991.0 || long(offset) % 4096 || long(iova) % 4096) {
    throw Napi::RangeError::New(env, "sim-82599: DMA memory needs a positive length and a 4 KiB aligned offset and IOVA");
  }
  void* p = mmap(nullptr, size_t(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset));
  if (p == MAP_FAILED) throw Errno(env, "mmap", errno);
  int window = info.Length() > 5 ? info[5].As<Napi::Number>().Int32Value() : 0;
  if (!h->device->AddRegion(window, uint64_t(iova), uint64_t(length), static_cast<uint8_t*>(p))) {
    munmap(p, size_t(length));
    throw Napi::RangeError::New(env, "sim-82599: no such window, the DMA range overlaps a registered one, or " + std::to_string(kRegions) + " ranges are registered already");
  }
  h->dma.push_back(Handle::Dma{window, p, size_t(length)});
  return env.Undefined();
}

// attach(device, ifname, taps, kernelQueues, wire): creates the kernel side, TAP netdev
// `ifname` with `taps` queues for kernel queues 0..kernelQueues-1, and opens the wire netdev
// (an empty name: MAC loopback). Before start. Throws an Error with .code = the errno name.
static Napi::Value Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = Get(info);
  std::string ifname = info[1].As<Napi::String>().Utf8Value(), wire = info[4].As<Napi::String>().Utf8Value();
  int taps = info[2].As<Napi::Number>().Int32Value(), kernelQueues = info[3].As<Napi::Number>().Int32Value();
  if (taps < 1 || taps > kMaxTaps || kernelQueues < 1 || kernelQueues >= kQueues || ifname.empty() || ifname.size() >= IFNAMSIZ) {
    throw Napi::RangeError::New(env, "sim-82599: attach needs an interface name, 1-16 TAP queues and 1-127 kernel queues");
  }
  int wireFd = -1;
  if (!wire.empty()) {
    wireFd = OpenWire(wire.c_str());
    if (wireFd < 0) throw Errno(env, "the wire " + wire, -wireFd);
  }
  int fds[kMaxTaps];
  if (int err = OpenTap(ifname.c_str(), taps, fds)) {
    if (wireFd >= 0) close(wireFd);
    throw Errno(env, "the TAP " + ifname, err);
  }
  h->fds.assign(fds, fds + taps);
  if (wireFd >= 0) h->fds.push_back(wireFd);
  h->device->AttachKernel(kernelQueues, fds, taps);
  h->device->AttachWire(wireFd);
  return env.Undefined();
}

// kernelQueues(device, K): queues 0..K-1 are the kernel side's without a TAP (their frames are
// counted and dropped): for tests of the device without a kernel interface. Before start.
static Napi::Value KernelQueues(const Napi::CallbackInfo& info) {
  Get(info)->device->AttachKernel(info[1].As<Napi::Number>().Int32Value(), nullptr, 0);
  return info.Env().Undefined();
}

// generator(device, flows, size): generator mode (see device.h). Before start.
static Napi::Value Generator(const Napi::CallbackInfo& info) {
  if (!Get(info)->device->SetGenerator(info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Uint32Value())) {
    throw Napi::RangeError::New(info.Env(), "sim-82599: the generator takes 1-65536 flows of 60-1514 bytes");
  }
  return info.Env().Undefined();
}

static Napi::Value Start(const Napi::CallbackInfo& info) {
  Get(info)->device->Start();
  return info.Env().Undefined();
}

static Napi::Value Stop(const Napi::CallbackInfo& info) {
  Get(info)->device->Stop();
  return info.Env().Undefined();
}

static Napi::Value DestroyDevice(const Napi::CallbackInfo& info) {
  Destroy(info[0].As<Napi::External<Handle>>().Data());
  return info.Env().Undefined();
}

// counters(device): the engine's own counters (see device.h), per-queue faults as arrays.
static Napi::Value GetCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Counters& c = Get(info)->device->counters();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, const std::atomic<uint64_t>& v) { o.Set(k, Napi::Number::New(env, double(v.load(std::memory_order_relaxed)))); };
  num("passes", c.passes);
  num("busyNs", c.busyNs);
  num("wallNs", c.wallNs);
  num("descriptors", c.descriptors);
  num("badConfig", c.badConfig);
  num("badTail", c.badTail);
  num("txMalformed", c.txMalformed);
  num("rxNotStarted", c.rxNotStarted);
  num("rxNoDescriptors", c.rxNoDescriptors);
  num("kernelFrames", c.kernelFrames);
  num("kernelDropped", c.kernelDropped);
  num("wireTxErrors", c.wireTxErrors);
  num("wireRxOversize", c.wireRxOversize);
  num("fdirFull", c.fdirFull);
  num("generated", c.generated);
  num("generatorSkipped", c.generatorSkipped);
  num("txSunk", c.txSunk);
  Napi::Array rx = Napi::Array::New(env, kQueues), tx = Napi::Array::New(env, kQueues), frames = Napi::Array::New(env, kQueues);
  for (int q = 0; q < kQueues; q++) {
    frames.Set(uint32_t(q), Napi::Number::New(env, double(c.rxQueueFrames[q].load(std::memory_order_relaxed))));
    rx.Set(uint32_t(q), Napi::Number::New(env, double(c.rxDmaFaults[q].load(std::memory_order_relaxed))));
    tx.Set(uint32_t(q), Napi::Number::New(env, double(c.txDmaFaults[q].load(std::memory_order_relaxed))));
  }
  o.Set("rxQueueFrames", frames);
  o.Set("rxDmaFaults", rx);
  o.Set("txDmaFaults", tx);
  return o;
}

// layout(): the offsets the engine decodes, so a test can hold them against @dpkit/ixgbe-defs/regs.
static Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const std::string& k, uint32_t v) { o.Set(k, Napi::Number::New(env, v)); };
  for (int q : {0, 15, 16, 63, 64, 127}) {
    std::string n = std::to_string(q);
    set("RDBAL" + n, reg::RxBlock(q) + reg::RDBAL), set("RDBAH" + n, reg::RxBlock(q) + reg::RDBAH), set("RDLEN" + n, reg::RxBlock(q) + reg::RDLEN);
    set("RDH" + n, reg::RxBlock(q) + reg::RDH), set("SRRCTL_BLOCK" + n, reg::RxBlock(q) + reg::SRRCTL), set("RDT" + n, reg::RxBlock(q) + reg::RDT);
    set("RXDCTL" + n, reg::RxBlock(q) + reg::RXDCTL), set("TDBAL" + n, reg::TxBlock(q) + reg::TDBAL), set("TDBAH" + n, reg::TxBlock(q) + reg::TDBAH);
    set("TDLEN" + n, reg::TxBlock(q) + reg::TDLEN), set("TDH" + n, reg::TxBlock(q) + reg::TDH), set("TDT" + n, reg::TxBlock(q) + reg::TDT);
    set("TXDCTL" + n, reg::TxBlock(q) + reg::TXDCTL);
  }
  set("SRRCTL_COMPAT0", reg::SRRCTL_COMPAT);
  set("RXCTRL", reg::RXCTRL), set("DMATXCTL", reg::DMATXCTL), set("ETQF0", reg::ETQF), set("ETQS0", reg::ETQS);
  set("GPRC", reg::GPRC), set("GORCL", reg::GORCL), set("GPTC", reg::GPTC), set("GOTCL", reg::GOTCL), set("MPC0", reg::MPC0), set("RNBC0", reg::RNBC0);
  set("RXDGPC", reg::RXDGPC), set("TXDGPC", reg::TXDGPC), set("RQSMR0", reg::RQSMR), set("TQSM0", reg::TQSM);
  set("QPRC1", reg::QPRC(1)), set("QBRC_L1", reg::QBRC_L(1)), set("QPRDC1", reg::QPRDC(1)), set("QPTC1", reg::QPTC(1)), set("QBTC_L1", reg::QBTC_L(1));
  return o;
}

void InitChannel(Napi::Env env, Napi::Object exports);  // native/channel.cc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitChannel(env, exports);
  exports.Set("create", Napi::Function::New(env, Create));
  exports.Set("dmaMap", Napi::Function::New(env, DmaMap));
  exports.Set("attach", Napi::Function::New(env, Attach));
  exports.Set("kernelQueues", Napi::Function::New(env, KernelQueues));
  exports.Set("generator", Napi::Function::New(env, Generator));
  exports.Set("addWindow", Napi::Function::New(env, AddWindow));
  exports.Set("assign", Napi::Function::New(env, Assign));
  exports.Set("reclaim", Napi::Function::New(env, Reclaim));
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("stop", Napi::Function::New(env, Stop));
  exports.Set("destroy", Napi::Function::New(env, DestroyDevice));
  exports.Set("counters", Napi::Function::New(env, GetCounters));
  exports.Set("layout", Napi::Function::New(env, Layout));
  return exports;
}

NODE_API_MODULE(dpkit_sim_82599, Init)

}  // namespace sim82599
