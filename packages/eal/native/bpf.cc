// BPF: the bpf(2) syscall for maps, program loading (with the verifier log), XDP links and
// BPF_PROG_TEST_RUN.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>
#include "common.h"

namespace dpkit {

static long Bpf(int cmd, union bpf_attr* attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t Ptr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// bpfMapCreate(type, keySize, valueSize, maxEntries, flags, name) -> fd: BPF_MAP_CREATE.
static Napi::Value MapCreate(const Napi::CallbackInfo& info) {
  union bpf_attr a = {};
  a.map_type = U32(info, 0);
  a.key_size = U32(info, 1);
  a.value_size = U32(info, 2);
  a.max_entries = U32(info, 3);
  a.map_flags = U32(info, 4);
  std::string name = info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "";
  std::strncpy(a.map_name, name.c_str(), BPF_OBJ_NAME_LEN - 1);
  long fd = Bpf(BPF_MAP_CREATE, &a);
  if (fd < 0) throw ErrnoError(info.Env(), "BPF_MAP_CREATE", errno);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// bpfMapUpdate(fd, key, value, flags): BPF_MAP_UPDATE_ELEM (flags BPF_ANY/NOEXIST/EXIST).
static Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  size_t kl, vl;
  union bpf_attr a = {};
  a.map_fd = U32(info, 0);
  a.key = Ptr(Bytes(info[1], &kl));
  a.value = Ptr(Bytes(info[2], &vl));
  a.flags = U32(info, 3);
  if (Bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) throw ErrnoError(info.Env(), "BPF_MAP_UPDATE_ELEM", errno);
  return info.Env().Undefined();
}

// bpfMapLookup(fd, key, valueOut) -> boolean (false when the key is absent): BPF_MAP_LOOKUP_ELEM.
static Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  size_t kl, vl;
  union bpf_attr a = {};
  a.map_fd = U32(info, 0);
  a.key = Ptr(Bytes(info[1], &kl));
  a.value = Ptr(Bytes(info[2], &vl));
  if (Bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    throw ErrnoError(info.Env(), "BPF_MAP_LOOKUP_ELEM", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// bpfMapDelete(fd, key) -> boolean (false when the key was absent): BPF_MAP_DELETE_ELEM.
static Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  size_t kl;
  union bpf_attr a = {};
  a.map_fd = U32(info, 0);
  a.key = Ptr(Bytes(info[1], &kl));
  if (Bpf(BPF_MAP_DELETE_ELEM, &a) < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    throw ErrnoError(info.Env(), "BPF_MAP_DELETE_ELEM", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// bpfMapNextKey(fd, key|null, nextOut) -> boolean (false after the last key): BPF_MAP_GET_NEXT_KEY.
static Napi::Value MapNextKey(const Napi::CallbackInfo& info) {
  size_t kl, nl;
  union bpf_attr a = {};
  a.map_fd = U32(info, 0);
  a.key = info[1].IsNull() ? 0 : Ptr(Bytes(info[1], &kl));
  a.next_key = Ptr(Bytes(info[2], &nl));
  if (Bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    throw ErrnoError(info.Env(), "BPF_MAP_GET_NEXT_KEY", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// bpfProgLoad(type, insns, license, name, expectedAttachType) -> fd: BPF_PROG_LOAD. On
// failure the error carries the verifier's log in .log.
static Napi::Value ProgLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t il;
  const uint8_t* insns = Bytes(info[1], &il);
  std::string license = info[2].As<Napi::String>();
  std::string name = info[3].As<Napi::String>();
  std::vector<char> log(1 << 20);
  union bpf_attr a = {};
  a.prog_type = U32(info, 0);
  a.insns = Ptr(insns);
  a.insn_cnt = static_cast<uint32_t>(il / sizeof(struct bpf_insn));
  a.license = Ptr(license.c_str());
  a.expected_attach_type = U32(info, 4);
  std::strncpy(a.prog_name, name.c_str(), BPF_OBJ_NAME_LEN - 1);
  long fd = Bpf(BPF_PROG_LOAD, &a);
  if (fd < 0) {
    // load again with the log on, to say why
    int first = errno;
    a.log_buf = Ptr(log.data());
    a.log_size = static_cast<uint32_t>(log.size());
    a.log_level = 1;
    fd = Bpf(BPF_PROG_LOAD, &a);
    if (fd >= 0) return Napi::Number::New(env, static_cast<double>(fd));
    Napi::Error e = ErrnoError(env, "BPF_PROG_LOAD", first);
    e.Set("log", Napi::String::New(env, log.data()));
    throw e;
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// bpfLinkCreate(progFd, targetIfindex, attachType, flags) -> link fd: BPF_LINK_CREATE. For XDP
// (attach type BPF_XDP) the link detaches when its last fd closes, e.g. when the process dies.
static Napi::Value LinkCreate(const Napi::CallbackInfo& info) {
  union bpf_attr a = {};
  a.link_create.prog_fd = U32(info, 0);
  a.link_create.target_ifindex = U32(info, 1);
  a.link_create.attach_type = U32(info, 2);
  a.link_create.flags = U32(info, 3);
  long fd = Bpf(BPF_LINK_CREATE, &a);
  if (fd < 0) throw ErrnoError(info.Env(), "BPF_LINK_CREATE", errno);
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// bpfLinkUpdate(linkFd, newProgFd): BPF_LINK_UPDATE — replace the program without detaching.
static Napi::Value LinkUpdate(const Napi::CallbackInfo& info) {
  union bpf_attr a = {};
  a.link_update.link_fd = U32(info, 0);
  a.link_update.new_prog_fd = U32(info, 1);
  if (Bpf(BPF_LINK_UPDATE, &a) < 0) throw ErrnoError(info.Env(), "BPF_LINK_UPDATE", errno);
  return info.Env().Undefined();
}

// bpfProgTestRun(progFd, dataIn, repeat, dataOut|null) -> { retval, duration, dataSizeOut }:
// BPF_PROG_TEST_RUN; duration is the mean ns per run.
static Napi::Value ProgTestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t inl, outl = 0;
  union bpf_attr a = {};
  a.test.prog_fd = U32(info, 0);
  a.test.data_in = Ptr(Bytes(info[1], &inl));
  a.test.data_size_in = static_cast<uint32_t>(inl);
  a.test.repeat = U32(info, 2);
  if (!info[3].IsNull() && !info[3].IsUndefined()) {
    a.test.data_out = Ptr(Bytes(info[3], &outl));
    a.test.data_size_out = static_cast<uint32_t>(outl);
  }
  if (Bpf(BPF_PROG_TEST_RUN, &a) < 0) throw ErrnoError(env, "BPF_PROG_TEST_RUN", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("retval", a.test.retval);
  out.Set("duration", a.test.duration);
  out.Set("dataSizeOut", a.test.data_size_out);
  return out;
}

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfMapCreate", Napi::Function::New(env, MapCreate));
  exports.Set("bpfMapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("bpfMapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("bpfMapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("bpfMapNextKey", Napi::Function::New(env, MapNextKey));
  exports.Set("bpfProgLoad", Napi::Function::New(env, ProgLoad));
  exports.Set("bpfLinkCreate", Napi::Function::New(env, LinkCreate));
  exports.Set("bpfLinkUpdate", Napi::Function::New(env, LinkUpdate));
  exports.Set("bpfProgTestRun", Napi::Function::New(env, ProgTestRun));
}

}  // namespace dpkit
