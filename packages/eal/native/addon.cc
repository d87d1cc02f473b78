// dpkit's Linux addon: one small function per kernel interface, grouped by file.
#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dpkit::InitMemory(env, exports);
  dpkit::InitNetdev(env, exports);
  dpkit::InitXsk(env, exports);
  dpkit::InitBpf(env, exports);
  dpkit::InitTap(env, exports);
  dpkit::InitPoll(env, exports);
  dpkit::InitPacket(env, exports);
  dpkit::InitSeqpacket(env, exports);
  return exports;
}

NODE_API_MODULE(dpkit_linux, Init)
