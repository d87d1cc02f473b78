// The control channel's transport: a SOCK_SEQPACKET Unix socket in the abstract namespace
// (so it lives in the network namespace of the process that made it), one message per
// request or reply, file descriptors passed with SCM_RIGHTS, the peer's credentials taken
// with SO_PEERCRED. The server side runs a poll thread that hands each event (a connection
// opened, a message, a connection closed) to JavaScript through a thread-safe function; the
// verbs themselves are JavaScript's (src/channel.ts). The client side is synchronous.
//
// Every system call here is retried when a signal interrupts it (EINTR): a profiler's SIGPROF
// (node --cpu-prof), a JavaScript signal listener's handler or a timer signal must not fail a
// request. poll(2) returns EINTR whatever SA_RESTART says, so the client's wait for a reply
// goes on with what is left of its time bound.
#include <napi.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sim82599 {

constexpr size_t kMaxMessage = 196608;  // a rule list of 2046 rules fits; below the socket buffer
constexpr int kMaxFds = 4;

static Napi::Error ChannelErrno(Napi::Env env, const std::string& what, int err) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, what + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  return e;
}

// An abstract socket address "\0name".
static socklen_t Address(const std::string& name, sockaddr_un* sun) {
  std::memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  std::memcpy(sun->sun_path + 1, name.data(), name.size());
  return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

// One message and its descriptors; returns its length, 0 on end of file, -errno on error.
static ssize_t Receive(int fd, char* buf, std::vector<int>* fds) {
  iovec iov{buf, kMaxMessage};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int got;
      std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
      fds->push_back(got);
    }
  }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    for (int f : *fds) close(f);
    fds->clear();
    return -EMSGSIZE;
  }
  return n;
}

static int Send(int fd, const std::string& text, const std::vector<int>& fds) {
  iovec iov{const_cast<char*>(text.data()), text.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  // a SOCK_SEQPACKET message goes whole or not at all: EINTR means nothing was sent
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == ssize_t(text.size()) ? 0 : n < 0 ? errno : EIO;
}

static int64_t NowMs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

// poll(2) of one descriptor for `timeoutMs` in all (-1: no bound), resumed after a signal with
// the time left; poll's result (-1 with errno on an error other than EINTR).
static int PollFor(pollfd* p, int timeoutMs) {
  const int64_t end = NowMs() + timeoutMs;
  for (;;) {
    int r = poll(p, 1, timeoutMs);
    if (r >= 0 || errno != EINTR) return r;
    if (timeoutMs > 0) {
      const int64_t left = end - NowMs();
      timeoutMs = left > 0 ? int(left) : 0;
    }
  }
}

struct Event {
  enum Kind { Open, Message, Close } kind;
  uint32_t conn;
  int pid, uid;
  std::string text;
  std::vector<int> fds;
};

struct Server {
  int listenFd = -1;
  int wake[2] = {-1, -1};  // a pipe that ends the poll thread
  std::thread thread;
  Napi::ThreadSafeFunction events;
  std::mutex lock;
  std::map<uint32_t, int> conns;  // connection id -> socket
  uint32_t next = 1;
};

static void Post(Server* s, Event* e) {
  if (s->events.BlockingCall(e, [](Napi::Env env, Napi::Function fn, Event* ev) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("type", ev->kind == Event::Open ? "open" : ev->kind == Event::Message ? "message" : "close");
        o.Set("conn", Napi::Number::New(env, ev->conn));
        if (ev->kind == Event::Open) {
          o.Set("pid", Napi::Number::New(env, ev->pid));
          o.Set("uid", Napi::Number::New(env, ev->uid));
        }
        if (ev->kind == Event::Message) {
          o.Set("text", Napi::String::New(env, ev->text));
          Napi::Array fds = Napi::Array::New(env, ev->fds.size());
          for (size_t i = 0; i < ev->fds.size(); i++) fds.Set(uint32_t(i), Napi::Number::New(env, ev->fds[i]));
          o.Set("fds", fds);
        }
        delete ev;
        fn.Call({o});
      }) != napi_ok) {
    for (int f : e->fds) close(f);
    delete e;
  }
}

// The poll thread: accepts, reads messages, notices closed connections (kill -9 included:
// the kernel closes the peer's socket, poll reports POLLHUP / recvmsg returns 0).
static void Serve(Server* s) {
  std::vector<char> space(kMaxMessage);
  char* buf = space.data();
  for (;;) {
    std::vector<pollfd> fds{{s->wake[0], POLLIN, 0}, {s->listenFd, POLLIN, 0}};
    std::vector<uint32_t> ids{0, 0};
    {
      std::lock_guard<std::mutex> g(s->lock);
      for (auto& [id, fd] : s->conns) {
        fds.push_back({fd, POLLIN, 0});
        ids.push_back(id);
      }
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) {
      int c = accept4(s->listenFd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        ucred cred{};
        socklen_t len = sizeof cred;
        getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len);
        uint32_t id;
        {
          std::lock_guard<std::mutex> g(s->lock);
          id = s->next++;
          s->conns[id] = c;
        }
        Post(s, new Event{Event::Open, id, int(cred.pid), int(cred.uid), {}, {}});
      }
    }
    for (size_t i = 2; i < fds.size(); i++) {
      if (!fds[i].revents) continue;
      std::vector<int> got;
      ssize_t n = (fds[i].revents & POLLIN) ? Receive(fds[i].fd, buf, &got) : 0;
      if (n > 0) {
        Post(s, new Event{Event::Message, ids[i], 0, 0, std::string(buf, size_t(n)), std::move(got)});
        continue;
      }
      if (n == -EMSGSIZE || n == -EAGAIN || n == -EINTR) continue;
      {
        std::lock_guard<std::mutex> g(s->lock);
        s->conns.erase(ids[i]);
      }
      close(fds[i].fd);
      Post(s, new Event{Event::Close, ids[i], 0, 0, {}, {}});
    }
  }
}

static Napi::Value ChannelListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() > sizeof(sockaddr_un::sun_path) - 2) throw Napi::RangeError::New(env, "sim-82599: a channel name of 1-106 bytes");
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ChannelErrno(env, "socket", errno);
  sockaddr_un sun;
  socklen_t len = Address(name, &sun);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sun), len) != 0 || listen(fd, 16) != 0) {
    int err = errno;
    close(fd);
    throw ChannelErrno(env, "the control socket @" + name, err);
  }
  Server* s = new Server;
  s->listenFd = fd;
  if (pipe2(s->wake, O_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    delete s;
    throw ChannelErrno(env, "pipe2", err);
  }
  s->events = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "sim-82599-channel", 0, 1);
  s->thread = std::thread(Serve, s);
  return Napi::External<Server>::New(env, s);
}

// channelSend(server, conn, text, fds): false when the connection is gone.
static Napi::Value ChannelSend(const Napi::CallbackInfo& info) {
  Server* s = info[0].As<Napi::External<Server>>().Data();
  uint32_t id = info[1].As<Napi::Number>().Uint32Value();
  std::string text = info[2].As<Napi::String>().Utf8Value();
  std::vector<int> fds;
  Napi::Array a = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length() && i < uint32_t(kMaxFds); i++) fds.push_back(a.Get(i).As<Napi::Number>().Int32Value());
  std::lock_guard<std::mutex> g(s->lock);
  auto it = s->conns.find(id);
  return Napi::Boolean::New(info.Env(), it != s->conns.end() && Send(it->second, text, fds) == 0);
}

// channelDrop(server, conn): closes a connection from the server side (a refused peer).
static Napi::Value ChannelDrop(const Napi::CallbackInfo& info) {
  Server* s = info[0].As<Napi::External<Server>>().Data();
  std::lock_guard<std::mutex> g(s->lock);
  auto it = s->conns.find(info[1].As<Napi::Number>().Uint32Value());
  if (it != s->conns.end()) shutdown(it->second, SHUT_RDWR);  // the poll thread sees the hang-up and closes it
  return info.Env().Undefined();
}

// channelClose(server): ends the poll thread, closes every socket, releases the callback.
static Napi::Value ChannelClose(const Napi::CallbackInfo& info) {
  Server* s = info[0].As<Napi::External<Server>>().Data();
  if (s->listenFd < 0) return info.Env().Undefined();
  (void)!write(s->wake[1], "x", 1);
  s->thread.join();
  for (auto& [id, fd] : s->conns) close(fd);
  s->conns.clear();
  close(s->listenFd);
  close(s->wake[0]);
  close(s->wake[1]);
  s->listenFd = -1;
  s->events.Release();
  return info.Env().Undefined();
}

// channelConnect(name) -> fd: a client connection.
static Napi::Value ChannelConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ChannelErrno(env, "socket", errno);
  sockaddr_un sun;
  socklen_t len = Address(name, &sun);
  // an AF_UNIX connect interrupted while it waited for room in the backlog left the socket unconnected: again
  int c;
  do c = connect(fd, reinterpret_cast<sockaddr*>(&sun), len);
  while (c != 0 && errno == EINTR);
  if (c != 0) {
    int err = errno;
    close(fd);
    throw ChannelErrno(env, "the control socket @" + name, err);
  }
  return Napi::Number::New(env, fd);
}

// channelRequest(fd, text, fds, timeoutMs) -> { text, fds }: one request, one reply.
static Napi::Value ChannelRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string text = info[1].As<Napi::String>().Utf8Value();
  std::vector<int> fds;
  Napi::Array a = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length() && i < uint32_t(kMaxFds); i++) fds.push_back(a.Get(i).As<Napi::Number>().Int32Value());
  int timeout = info[3].As<Napi::Number>().Int32Value();
  // a refused peer may find the device's one-line refusal waiting and the socket shut: the
  // refusal is its reply, so a failed send is reported only when there is nothing to read
  int sendErr = Send(fd, text, fds);
  pollfd p{fd, POLLIN, 0};
  if (sendErr && PollFor(&p, 0) <= 0) throw ChannelErrno(env, "sending to the control socket", sendErr);
  int r = PollFor(&p, timeout);
  if (r == 0) throw ChannelErrno(env, "no reply from the control socket", ETIMEDOUT);
  std::vector<char> space(kMaxMessage);
  char* buf = space.data();
  std::vector<int> got;
  ssize_t n = r < 0 ? -errno : Receive(fd, buf, &got);
  if (n <= 0) throw ChannelErrno(env, "the control socket", n == 0 ? ECONNRESET : int(-n));
  Napi::Object o = Napi::Object::New(env);
  o.Set("text", Napi::String::New(env, std::string(buf, size_t(n))));
  Napi::Array out = Napi::Array::New(env, got.size());
  for (size_t i = 0; i < got.size(); i++) out.Set(uint32_t(i), Napi::Number::New(env, got[i]));
  o.Set("fds", out);
  return o;
}

// channelDisconnect(fd): the client's close(2).
static Napi::Value ChannelDisconnect(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

void InitChannel(Napi::Env env, Napi::Object exports) {
  exports.Set("channelDisconnect", Napi::Function::New(env, ChannelDisconnect));
  exports.Set("channelListen", Napi::Function::New(env, ChannelListen));
  exports.Set("channelSend", Napi::Function::New(env, ChannelSend));
  exports.Set("channelDrop", Napi::Function::New(env, ChannelDrop));
  exports.Set("channelClose", Napi::Function::New(env, ChannelClose));
  exports.Set("channelConnect", Napi::Function::New(env, ChannelConnect));
  exports.Set("channelRequest", Napi::Function::New(env, ChannelRequest));
}

}  // namespace sim82599
