// TAP devices: /dev/net/tun with TUNSETIFF.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "common.h"

namespace dpkit {

// tapOpen(name, multiQueue) -> { fd, name }: open(/dev/net/tun) + TUNSETIFF with
// IFF_TAP | IFF_NO_PI [| IFF_MULTI_QUEUE]; the fd is non-blocking.
static Napi::Value TapOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  if (name.size() >= IFNAMSIZ) throw Napi::Error::New(env, "TAP name too long: " + name);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, "open /dev/net/tun", errno);
  struct ifreq ifr = {};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (info[1].As<Napi::Boolean>().Value() ? IFF_MULTI_QUEUE : 0);
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    throw ErrnoError(env, "TUNSETIFF", e);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", fd);
  out.Set("name", ifr.ifr_name);
  return out;
}

// fdRead(fd, buffer) -> bytes | -errno; fdWrite(fd, buffer, length) -> bytes | -errno:
// read(2)/write(2) on a non-blocking fd (TAP frames).
static Napi::Value FdRead(const Napi::CallbackInfo& info) {
  size_t len;
  uint8_t* p = Bytes(info[1], &len);
  ssize_t r = read(I32(info, 0), p, len);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : static_cast<double>(r));
}

static Napi::Value FdWrite(const Napi::CallbackInfo& info) {
  size_t len;
  uint8_t* p = Bytes(info[1], &len);
  size_t n = static_cast<size_t>(Num(info, 2));
  ssize_t r = write(I32(info, 0), p, n < len ? n : len);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : static_cast<double>(r));
}

void InitTap(Napi::Env env, Napi::Object exports) {
  exports.Set("tapOpen", Napi::Function::New(env, TapOpen));
  exports.Set("fdRead", Napi::Function::New(env, FdRead));
  exports.Set("fdWrite", Napi::Function::New(env, FdWrite));
}

}  // namespace dpkit
