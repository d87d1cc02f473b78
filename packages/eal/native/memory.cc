// Memory: memfd-backed shared mappings (UMEM, DMA memory), mapped again by fd in workers;
// close(2); CPU affinity of the calling thread.
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>
#include <mutex>
#include <unordered_map>
#include "common.h"

namespace dpkit {

// Mappings handed to JavaScript, by address: unmapped by unmap() or when collected.
static std::mutex mappingsLock;
static std::unordered_map<void*, size_t> mappings;

static void Finalize(Napi::Env, void* data) {
  std::lock_guard<std::mutex> g(mappingsLock);
  auto it = mappings.find(data);
  if (it == mappings.end()) return;  // already unmapped explicitly
  munmap(data, it->second);
  mappings.erase(it);
}

Napi::ArrayBuffer WrapMapping(Napi::Env env, void* p, size_t len) {
  {
    std::lock_guard<std::mutex> g(mappingsLock);
    mappings[p] = len;
  }
  return Napi::ArrayBuffer::New(env, p, len, Finalize);
}

// mmap(MAP_SHARED) of `fd` as an ArrayBuffer.
static Napi::Value MapShared(Napi::Env env, int fd, size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) throw ErrnoError(env, "mmap", errno);
  return WrapMapping(env, p, size);
}

// unmap(buffer): munmap(2) a mapping made here now, and detach its ArrayBuffer (views over it
// read as empty). An XSK lives on while its rings are mapped: this ends it at once.
static Napi::Value UnmapBuffer(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  void* p = ab.Data();
  size_t len = 0;
  {
    std::lock_guard<std::mutex> g(mappingsLock);
    auto it = mappings.find(p);
    if (it == mappings.end()) return Napi::Boolean::New(info.Env(), false);
    len = it->second;
    mappings.erase(it);
  }
  ab.Detach();
  munmap(p, len);
  return Napi::Boolean::New(info.Env(), true);
}

// memfdMap(name, size) -> { fd, buffer }: memfd_create(2) + ftruncate(2) + mmap(2).
static Napi::Value MemfdMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>();
  size_t size = static_cast<size_t>(Num(info, 1));
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, "memfd_create", errno);
  if (ftruncate(fd, static_cast<off_t>(size)) < 0) {
    int e = errno;
    close(fd);
    throw ErrnoError(env, "ftruncate", e);
  }
  Napi::Object out = Napi::Object::New(env);
  try {
    out.Set("buffer", MapShared(env, fd, size));
  } catch (...) {
    close(fd);
    throw;
  }
  out.Set("fd", fd);
  return out;
}

// mapFd(fd, size) -> ArrayBuffer: the same memory again (in a worker thread).
static Napi::Value MapFd(const Napi::CallbackInfo& info) {
  return MapShared(info.Env(), I32(info, 0), static_cast<size_t>(Num(info, 1)));
}

// close(fd)
static Napi::Value Close(const Napi::CallbackInfo& info) {
  if (close(I32(info, 0)) < 0) throw ErrnoError(info.Env(), "close", errno);
  return info.Env().Undefined();
}

// setAffinity(cpus[]): sched_setaffinity(2) for the calling thread.
static Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  Napi::Array cpus = info[0].As<Napi::Array>();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < cpus.Length(); i++) CPU_SET(cpus.Get(i).As<Napi::Number>().Uint32Value(), &set);
  if (sched_setaffinity(0, sizeof(set), &set) < 0) throw ErrnoError(info.Env(), "sched_setaffinity", errno);
  return info.Env().Undefined();
}

// bufferAddress(ab) -> number: the virtual address of an ArrayBuffer (alignment checks).
static Napi::Value BufferAddress(const Napi::CallbackInfo& info) {
  size_t len;
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(Bytes(info[0], &len))));
}

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("memfdMap", Napi::Function::New(env, MemfdMap));
  exports.Set("mapFd", Napi::Function::New(env, MapFd));
  exports.Set("unmap", Napi::Function::New(env, UnmapBuffer));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinity));
  exports.Set("bufferAddress", Napi::Function::New(env, BufferAddress));
}

}  // namespace dpkit
