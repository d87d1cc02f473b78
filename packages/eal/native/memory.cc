// Memory: memfd-backed shared mappings (UMEM, DMA memory), mapped again by fd in workers;
// close(2); CPU affinity of the calling thread.
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>
#include "common.h"

namespace dpkit {

static void Unmap(Napi::Env, void* data, size_t* len) {
  munmap(data, *len);
  delete len;
}

// mmap(MAP_SHARED) of `fd` as an ArrayBuffer; unmapped when the buffer is collected.
static Napi::Value MapShared(Napi::Env env, int fd, size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) throw ErrnoError(env, "mmap", errno);
  return Napi::ArrayBuffer::New(env, p, size, Unmap, new size_t(size));
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
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinity));
  exports.Set("bufferAddress", Napi::Function::New(env, BufferAddress));
}

}  // namespace dpkit
