// Shared helpers of the dpkit Linux addon: errors carry the errno name and the syscall.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace dpkit {

// Throws a JS Error "<what>: <strerror> (<ERRNO>)" with .code = "<ERRNO>" and .errno.
inline Napi::Error ErrnoError(Napi::Env env, const std::string& what, int err) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "EUNKNOWN";
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err) + " (" + code + ")");
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

inline uint32_t U32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }
inline int32_t I32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline double Num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

// The bytes behind a TypedArray or ArrayBuffer argument. A typed array's data pointer comes
// straight from napi_get_typedarray_info, so views over SharedArrayBuffers (heap mempools)
// work too; N-API in Node 20 has no call for a bare SharedArrayBuffer.
inline uint8_t* Bytes(const Napi::Value& v, size_t* len) {
  if (v.IsTypedArray()) {
    napi_typedarray_type type;
    size_t length;
    void* data = nullptr;
    napi_status st = napi_get_typedarray_info(v.Env(), v, &type, &length, &data, nullptr, nullptr);
    if (st != napi_ok) throw Napi::Error::New(v.Env(), "cannot read a typed array argument");
    *len = v.As<Napi::TypedArray>().ByteLength();
    return static_cast<uint8_t*>(data);
  }
  auto ab = v.As<Napi::ArrayBuffer>();
  *len = ab.ByteLength();
  return static_cast<uint8_t*>(ab.Data());
}

// An ArrayBuffer over an mmap'd range, unmapped by unmap() or when collected (memory.cc).
Napi::ArrayBuffer WrapMapping(Napi::Env env, void* p, size_t len);

void InitMemory(Napi::Env env, Napi::Object exports);
void InitNetdev(Napi::Env env, Napi::Object exports);
void InitXsk(Napi::Env env, Napi::Object exports);
void InitBpf(Napi::Env env, Napi::Object exports);
void InitTap(Napi::Env env, Napi::Object exports);
void InitPoll(Napi::Env env, Napi::Object exports);
void InitPacket(Napi::Env env, Napi::Object exports);
void InitSeqpacket(Napi::Env env, Napi::Object exports);

}  // namespace dpkit
