// Memory: memfd-backed shared mappings (UMEM, DMA memory), mapped again by fd in workers;
// close(2); CPU affinity of the calling thread.
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>
#include <mutex>
#include <unordered_map>
#include "common.h"

namespace dpkit {

// Mappings handed to JavaScript. Each ArrayBuffer carries its own record as the finalizer's
// hint, so a collected buffer can never unmap a newer mapping that the kernel placed at the
// same address after an explicit unmap(); the table finds the live record by address.
struct Mapping {
  void* p;
  size_t len;
  bool live;
};
static std::mutex mappingsLock;
static std::unordered_map<void*, Mapping*> mappings;

static void Finalize(Napi::Env, void*, Mapping* m) {
  {
    std::lock_guard<std::mutex> g(mappingsLock);
    if (m->live) {
      munmap(m->p, m->len);
      auto it = mappings.find(m->p);
      if (it != mappings.end() && it->second == m) mappings.erase(it);
    }
  }
  delete m;
}

Napi::ArrayBuffer WrapMapping(Napi::Env env, void* p, size_t len) {
  Mapping* m = new Mapping{p, len, true};
  {
    std::lock_guard<std::mutex> g(mappingsLock);
    mappings[p] = m;
  }
  return Napi::ArrayBuffer::New(env, p, len, Finalize, m);
}

// The largest external ArrayBuffer Node makes (node::Buffer::kMaxLength, 4 GiB in Node 20):
// above it napi_create_external_arraybuffer fails after it has run the finalizer, which
// node-addon-api then frees again (the process aborts with a double free), so bigger
// mappings are refused before mmap.
static constexpr size_t kMaxMapping = size_t{1} << 32;

// mmap(MAP_SHARED) of `fd` as an ArrayBuffer.
static Napi::Value MapShared(Napi::Env env, int fd, size_t size) {
  if (size > kMaxMapping) {
    Napi::Error e = Napi::RangeError::New(env, "a mapping of " + std::to_string(size) + " bytes is larger than Node's largest ArrayBuffer over external memory (" +
                                               std::to_string(kMaxMapping) + " bytes)");
    e.Set("code", "E2BIG");
    throw e;
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) throw ErrnoError(env, "mmap", errno);
  return WrapMapping(env, p, size);
}

// unmap(buffer): munmap(2) a mapping made here now, and detach its ArrayBuffer (views over it
// read as empty). An XSK lives on while its rings are mapped: this ends it at once.
static Napi::Value UnmapBuffer(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  void* p = ab.Data();
  {
    std::lock_guard<std::mutex> g(mappingsLock);
    auto it = mappings.find(p);
    if (it == mappings.end() || it->second->len != ab.ByteLength()) return Napi::Boolean::New(info.Env(), false);
    Mapping* m = it->second;
    mappings.erase(it);
    m->live = false;  // the record itself goes with the buffer's finalizer
    munmap(m->p, m->len);
  }
  ab.Detach();
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

// getAffinity() -> number[]: sched_getaffinity(2) of the calling thread.
static Napi::Value GetAffinity(const Napi::CallbackInfo& info) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) < 0) throw ErrnoError(info.Env(), "sched_getaffinity", errno);
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t n = 0;
  for (int c = 0; c < CPU_SETSIZE; c++) if (CPU_ISSET(c, &set)) out.Set(n++, c);
  return out;
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
  exports.Set("getAffinity", Napi::Function::New(env, GetAffinity));
  exports.Set("bufferAddress", Napi::Function::New(env, BufferAddress));
}

}  // namespace dpkit
