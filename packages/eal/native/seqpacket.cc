// Unix SOCK_SEQPACKET sockets (the telemetry socket): Node's `net` has stream sockets only.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "common.h"

namespace dpkit {

// seqpacketListen(path, backlog) -> fd: a non-blocking SOCK_SEQPACKET socket bound to `path`
// and listening. A stale socket file (nobody accepts on it) is replaced; a live one throws
// EADDRINUSE.
static Napi::Value SeqpacketListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  struct sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sun.sun_path)) throw Napi::Error::New(env, "socket path too long: " + path);
  std::memcpy(sun.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, "socket(AF_UNIX, SOCK_SEQPACKET)", errno);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) < 0) {
    int e = errno;
    if (e == EADDRINUSE) {
      int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0;
      if (probe >= 0) close(probe);
      if (!live && unlink(path.c_str()) == 0 && bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0) e = 0;
    }
    if (e != 0) {
      close(fd);
      throw ErrnoError(env, "bind " + path, e);
    }
  }
  if (listen(fd, I32(info, 1)) < 0) {
    int e = errno;
    close(fd);
    unlink(path.c_str());
    throw ErrnoError(env, "listen " + path, e);
  }
  return Napi::Number::New(env, fd);
}

// seqpacketAccept(fd) -> connected fd (non-blocking) | -errno (-EAGAIN: none pending).
static Napi::Value SeqpacketAccept(const Napi::CallbackInfo& info) {
  int r = accept4(I32(info, 0), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : r);
}

void InitSeqpacket(Napi::Env env, Napi::Object exports) {
  exports.Set("seqpacketListen", Napi::Function::New(env, SeqpacketListen));
  exports.Set("seqpacketAccept", Napi::Function::New(env, SeqpacketAccept));
}

}  // namespace dpkit
