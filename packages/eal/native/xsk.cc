// AF_XDP sockets: socket, UMEM registration, ring sizes, ring mmaps, bind, kicks, statistics.
// The rings' producer/consumer logic runs in JavaScript over the mapped memory.
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

namespace dpkit {

// xskSocket() -> fd: socket(AF_XDP, SOCK_RAW).
static Napi::Value XskSocket(const Napi::CallbackInfo& info) {
  int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(info.Env(), "socket(AF_XDP)", errno);
  return Napi::Number::New(info.Env(), fd);
}

// xskUmemReg(fd, buffer, byteOffset, length, chunkSize, headroom, flags): XDP_UMEM_REG over
// buffer[byteOffset .. byteOffset+length) (page aligned).
static Napi::Value XskUmemReg(const Napi::CallbackInfo& info) {
  size_t len;
  uint8_t* base = Bytes(info[1], &len);
  size_t off = static_cast<size_t>(Num(info, 2));
  size_t size = static_cast<size_t>(Num(info, 3));
  if (off + size > len) throw Napi::RangeError::New(info.Env(), "UMEM range outside the buffer");
  struct xdp_umem_reg reg = {};
  reg.addr = reinterpret_cast<uint64_t>(base + off);
  reg.len = size;
  reg.chunk_size = U32(info, 4);
  reg.headroom = U32(info, 5);
  reg.flags = U32(info, 6);
  if (setsockopt(I32(info, 0), SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) < 0) throw ErrnoError(info.Env(), "XDP_UMEM_REG", errno);
  return info.Env().Undefined();
}

// xskRingSize(fd, which, size): which = 'fill' | 'completion' | 'rx' | 'tx'.
static Napi::Value XskRingSize(const Napi::CallbackInfo& info) {
  std::string which = info[1].As<Napi::String>();
  int opt = which == "fill" ? XDP_UMEM_FILL_RING : which == "completion" ? XDP_UMEM_COMPLETION_RING
          : which == "rx" ? XDP_RX_RING : XDP_TX_RING;
  int size = I32(info, 2);
  if (setsockopt(I32(info, 0), SOL_XDP, opt, &size, sizeof(size)) < 0) throw ErrnoError(info.Env(), "setsockopt " + which + " ring", errno);
  return info.Env().Undefined();
}



// xskMapRing(fd, which, size) -> { buffer, producer, consumer, desc, flags }: getsockopt
// XDP_MMAP_OFFSETS, then mmap(2) of the ring at its page offset. Offsets are byte offsets
// into buffer.
static Napi::Value XskMapRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = I32(info, 0);
  std::string which = info[1].As<Napi::String>();
  size_t size = U32(info, 2);
  struct xdp_mmap_offsets off = {};
  socklen_t optlen = sizeof(off);
  if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &optlen) < 0) throw ErrnoError(env, "XDP_MMAP_OFFSETS", errno);
  struct xdp_ring_offset* r;
  off_t pgoff;
  size_t entry;
  if (which == "fill") { r = &off.fr; pgoff = XDP_UMEM_PGOFF_FILL_RING; entry = sizeof(uint64_t); }
  else if (which == "completion") { r = &off.cr; pgoff = XDP_UMEM_PGOFF_COMPLETION_RING; entry = sizeof(uint64_t); }
  else if (which == "rx") { r = &off.rx; pgoff = XDP_PGOFF_RX_RING; entry = sizeof(struct xdp_desc); }
  else { r = &off.tx; pgoff = XDP_PGOFF_TX_RING; entry = sizeof(struct xdp_desc); }
  size_t len = r->desc + size * entry;
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (p == MAP_FAILED) throw ErrnoError(env, "mmap " + which + " ring", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("buffer", WrapMapping(env, p, len));
  out.Set("producer", static_cast<double>(r->producer));
  out.Set("consumer", static_cast<double>(r->consumer));
  out.Set("desc", static_cast<double>(r->desc));
  out.Set("flags", static_cast<double>(r->flags));
  return out;
}

// xskBind(fd, ifindex, queue, flags, sharedUmemFd): bind(2) with struct sockaddr_xdp.
static Napi::Value XskBind(const Napi::CallbackInfo& info) {
  struct sockaddr_xdp sxdp = {};
  sxdp.sxdp_family = AF_XDP;
  sxdp.sxdp_ifindex = U32(info, 1);
  sxdp.sxdp_queue_id = U32(info, 2);
  sxdp.sxdp_flags = static_cast<uint16_t>(U32(info, 3));
  sxdp.sxdp_shared_umem_fd = U32(info, 4);
  if (bind(I32(info, 0), reinterpret_cast<struct sockaddr*>(&sxdp), sizeof(sxdp)) < 0) throw ErrnoError(info.Env(), "bind(AF_XDP)", errno);
  return info.Env().Undefined();
}

// xskKick(fd) -> 0 | errno: sendto(fd, NULL, 0, MSG_DONTWAIT) to make the kernel send the tx
// ring. Returns the errno instead of throwing: EAGAIN, EBUSY and ENOBUFS are ordinary here.
static Napi::Value XskKick(const Napi::CallbackInfo& info) {
  int r = sendto(I32(info, 0), nullptr, 0, MSG_DONTWAIT, nullptr, 0);
  return Napi::Number::New(info.Env(), r < 0 ? errno : 0);
}

// xskWakeup(fd) -> 0 | errno: recvfrom(fd, NULL, 0, MSG_DONTWAIT) for the rx side of need_wakeup.
static Napi::Value XskWakeup(const Napi::CallbackInfo& info) {
  int r = recvfrom(I32(info, 0), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
  return Napi::Number::New(info.Env(), r < 0 ? errno : 0);
}

// xskStatistics(fd) -> { rxDropped, rxInvalidDescs, txInvalidDescs, rxRingFull, rxFillRingEmptyDescs, txRingEmptyDescs }
static Napi::Value XskStatistics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct xdp_statistics st = {};
  socklen_t len = sizeof(st);
  if (getsockopt(I32(info, 0), SOL_XDP, XDP_STATISTICS, &st, &len) < 0) throw ErrnoError(env, "XDP_STATISTICS", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("rxDropped", static_cast<double>(st.rx_dropped));
  out.Set("rxInvalidDescs", static_cast<double>(st.rx_invalid_descs));
  out.Set("txInvalidDescs", static_cast<double>(st.tx_invalid_descs));
  out.Set("rxRingFull", static_cast<double>(st.rx_ring_full));
  out.Set("rxFillRingEmptyDescs", static_cast<double>(st.rx_fill_ring_empty_descs));
  out.Set("txRingEmptyDescs", static_cast<double>(st.tx_ring_empty_descs));
  return out;
}

// xskOptions(fd) -> number: XDP_OPTIONS (XDP_OPTIONS_ZEROCOPY when bound zero-copy).
static Napi::Value XskOptions(const Napi::CallbackInfo& info) {
  struct xdp_options o = {};
  socklen_t len = sizeof(o);
  if (getsockopt(I32(info, 0), SOL_XDP, XDP_OPTIONS, &o, &len) < 0) throw ErrnoError(info.Env(), "XDP_OPTIONS", errno);
  return Napi::Number::New(info.Env(), o.flags);
}

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

// sockBusyPoll(fd, usecs, budget) -> { usecs, budget, prefer }: preferred busy polling
// (SO_PREFER_BUSY_POLL = 1, SO_BUSY_POLL = usecs, SO_BUSY_POLL_BUDGET = budget; kernel 5.11),
// usecs and prefer read back with getsockopt (the kernel has no getsockopt for the budget).
// budget 0 turns it off (prefer and usecs back to 0). Raising SO_BUSY_POLL
// needs CAP_NET_ADMIN; SO_BUSY_POLL_BUDGET above the kernel's limit gives EPERM without it.
static Napi::Value SockBusyPoll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = I32(info, 0);
  int usecs = I32(info, 1);
  int budget = I32(info, 2);
  int prefer = budget > 0 ? 1 : 0;
  if (budget == 0) usecs = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &prefer, sizeof(prefer)) < 0) throw ErrnoError(env, "SO_PREFER_BUSY_POLL", errno);
  if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) < 0) throw ErrnoError(env, "SO_BUSY_POLL", errno);
  if (budget > 0 && setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) < 0) throw ErrnoError(env, "SO_BUSY_POLL_BUDGET", errno);
  int v = 0;
  socklen_t len = sizeof(v);
  Napi::Object out = Napi::Object::New(env);
  if (getsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &v, &len) < 0) throw ErrnoError(env, "getsockopt SO_BUSY_POLL", errno);
  out.Set("usecs", v);
  out.Set("budget", budget);
  len = sizeof(v);
  if (getsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &v, &len) < 0) throw ErrnoError(env, "getsockopt SO_PREFER_BUSY_POLL", errno);
  out.Set("prefer", v != 0);
  return out;
}

void InitXsk(Napi::Env env, Napi::Object exports) {
  exports.Set("xskSocket", Napi::Function::New(env, XskSocket));
  exports.Set("xskUmemReg", Napi::Function::New(env, XskUmemReg));
  exports.Set("xskRingSize", Napi::Function::New(env, XskRingSize));
  exports.Set("xskMapRing", Napi::Function::New(env, XskMapRing));
  exports.Set("xskBind", Napi::Function::New(env, XskBind));
  exports.Set("xskKick", Napi::Function::New(env, XskKick));
  exports.Set("xskWakeup", Napi::Function::New(env, XskWakeup));
  exports.Set("xskStatistics", Napi::Function::New(env, XskStatistics));
  exports.Set("xskOptions", Napi::Function::New(env, XskOptions));
  exports.Set("sockBusyPoll", Napi::Function::New(env, SockBusyPoll));
}

}  // namespace dpkit
