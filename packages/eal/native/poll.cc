// Interrupt mode: a uv_poll watcher on a fd (XSK, TAP) calls back on the event loop when the
// fd becomes readable or writable.
#include <uv.h>
#include "common.h"

namespace dpkit {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Class(Napi::Env env) {
    return DefineClass(env, "Poller", {InstanceMethod("start", &Poller::Start), InstanceMethod("stop", &Poller::Stop),
                                            InstanceMethod("unref", &Poller::Unref)});
  }

  // new Poller(fd)
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(info.Env(), &loop);
    handle_ = new uv_poll_t;
    handle_->data = this;
    int r = uv_poll_init(loop, handle_, I32(info, 0));
    if (r != 0) {
      delete handle_;
      handle_ = nullptr;
      throw Napi::Error::New(info.Env(), std::string("uv_poll_init: ") + uv_strerror(r));
    }
  }

  ~Poller() override { Close(); }

 private:
  // start(events, callback(status, events)): events = 1 readable | 2 writable.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (!handle_) throw Napi::Error::New(info.Env(), "poller is stopped");
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_poll_start(handle_, static_cast<int>(U32(info, 0)), [](uv_poll_t* h, int status, int events) {
      Poller* self = static_cast<Poller*>(h->data);
      Napi::Env env = self->callback_.Env();
      Napi::HandleScope scope(env);
      self->callback_.Call({Napi::Number::New(env, status), Napi::Number::New(env, events)});
    });
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Close();
    callback_.Reset();
    return info.Env().Undefined();
  }

  // unref(): the watcher no longer keeps the event loop alive (a server that must not hold the
  // process open, as the telemetry socket).
  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (handle_) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    return info.Env().Undefined();
  }

  void Close() {
    if (!handle_) return;
    uv_poll_stop(handle_);
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference callback_;
};

void InitPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("Poller", Poller::Class(env));
}

}  // namespace dpkit
