// Netdevs: interface ioctls (SIOCGIF*/SIOCSIF*) and ethtool (SIOCETHTOOL).
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"

namespace dpkit {

// An AF_INET datagram socket to issue interface ioctls on.
struct CtlSocket {
  int fd;
  explicit CtlSocket(Napi::Env env) : fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd < 0) throw ErrnoError(env, "socket(AF_INET)", errno);
  }
  ~CtlSocket() { close(fd); }
};

static void IfName(Napi::Env env, const Napi::Value& v, struct ifreq* ifr) {
  std::string name = v.As<Napi::String>();
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::Error::New(env, "invalid interface name '" + name + "'");
  std::memset(ifr, 0, sizeof(*ifr));
  std::memcpy(ifr->ifr_name, name.c_str(), name.size());
}

// ifInfo(name) -> { ifindex, mac:number[6], mtu, flags }: SIOCGIFINDEX, SIOCGIFHWADDR, SIOCGIFMTU, SIOCGIFFLAGS.
static Napi::Value IfInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CtlSocket s(env);
  struct ifreq ifr;
  Napi::Object out = Napi::Object::New(env);
  IfName(env, info[0], &ifr);
  if (ioctl(s.fd, SIOCGIFINDEX, &ifr) < 0) throw ErrnoError(env, "SIOCGIFINDEX " + std::string(ifr.ifr_name), errno);
  out.Set("ifindex", ifr.ifr_ifindex);
  IfName(env, info[0], &ifr);
  if (ioctl(s.fd, SIOCGIFHWADDR, &ifr) < 0) throw ErrnoError(env, "SIOCGIFHWADDR", errno);
  Napi::Array mac = Napi::Array::New(env, 6);
  for (uint32_t i = 0; i < 6; i++) mac.Set(i, static_cast<uint8_t>(ifr.ifr_hwaddr.sa_data[i]));
  out.Set("mac", mac);
  IfName(env, info[0], &ifr);
  if (ioctl(s.fd, SIOCGIFMTU, &ifr) < 0) throw ErrnoError(env, "SIOCGIFMTU", errno);
  out.Set("mtu", ifr.ifr_mtu);
  IfName(env, info[0], &ifr);
  if (ioctl(s.fd, SIOCGIFFLAGS, &ifr) < 0) throw ErrnoError(env, "SIOCGIFFLAGS", errno);
  out.Set("flags", static_cast<uint16_t>(ifr.ifr_flags));
  return out;
}

// setIfFlags(name, set, clear): SIOCGIFFLAGS then SIOCSIFFLAGS (IFF_UP, IFF_PROMISC, IFF_ALLMULTI...).
static Napi::Value SetIfFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CtlSocket s(env);
  struct ifreq ifr;
  IfName(env, info[0], &ifr);
  if (ioctl(s.fd, SIOCGIFFLAGS, &ifr) < 0) throw ErrnoError(env, "SIOCGIFFLAGS", errno);
  ifr.ifr_flags = static_cast<short>((ifr.ifr_flags | U32(info, 1)) & ~U32(info, 2));
  if (ioctl(s.fd, SIOCSIFFLAGS, &ifr) < 0) throw ErrnoError(env, "SIOCSIFFLAGS", errno);
  return env.Undefined();
}

// setMtu(name, mtu): SIOCSIFMTU.
static Napi::Value SetMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CtlSocket s(env);
  struct ifreq ifr;
  IfName(env, info[0], &ifr);
  ifr.ifr_mtu = I32(info, 1);
  if (ioctl(s.fd, SIOCSIFMTU, &ifr) < 0) throw ErrnoError(env, "SIOCSIFMTU", errno);
  return env.Undefined();
}

static int Ethtool(Napi::Env env, const Napi::Value& name, void* cmd) {
  CtlSocket s(env);
  struct ifreq ifr;
  IfName(env, name, &ifr);
  ifr.ifr_data = static_cast<char*>(cmd);
  return ioctl(s.fd, SIOCETHTOOL, &ifr) < 0 ? errno : 0;
}

// ethtoolDrvinfo(name) -> { driver, version, firmware, busInfo }: ETHTOOL_GDRVINFO.
static Napi::Value EthtoolDrvinfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ethtool_drvinfo d = {};
  d.cmd = ETHTOOL_GDRVINFO;
  if (int e = Ethtool(env, info[0], &d)) throw ErrnoError(env, "ETHTOOL_GDRVINFO", e);
  Napi::Object out = Napi::Object::New(env);
  out.Set("driver", d.driver);
  out.Set("version", d.version);
  out.Set("firmware", d.fw_version);
  out.Set("busInfo", d.bus_info);
  return out;
}

// ethtoolChannels(name) -> { maxRx, maxTx, maxOther, maxCombined, rx, tx, other, combined }: ETHTOOL_GCHANNELS.
static Napi::Value EthtoolChannels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ethtool_channels c = {};
  c.cmd = ETHTOOL_GCHANNELS;
  if (int e = Ethtool(env, info[0], &c)) throw ErrnoError(env, "ETHTOOL_GCHANNELS", e);
  Napi::Object out = Napi::Object::New(env);
  out.Set("maxRx", c.max_rx); out.Set("maxTx", c.max_tx); out.Set("maxOther", c.max_other);
  out.Set("maxCombined", c.max_combined); out.Set("rx", c.rx_count); out.Set("tx", c.tx_count);
  out.Set("other", c.other_count); out.Set("combined", c.combined_count);
  return out;
}

// ethtoolLink(name) -> boolean: ETHTOOL_GLINK.
static Napi::Value EthtoolLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ethtool_value v = {};
  v.cmd = ETHTOOL_GLINK;
  if (int e = Ethtool(env, info[0], &v)) throw ErrnoError(env, "ETHTOOL_GLINK", e);
  return Napi::Boolean::New(env, v.data != 0);
}

void InitNetdev(Napi::Env env, Napi::Object exports) {
  exports.Set("ifInfo", Napi::Function::New(env, IfInfo));
  exports.Set("setIfFlags", Napi::Function::New(env, SetIfFlags));
  exports.Set("setMtu", Napi::Function::New(env, SetMtu));
  exports.Set("ethtoolDrvinfo", Napi::Function::New(env, EthtoolDrvinfo));
  exports.Set("ethtoolChannels", Napi::Function::New(env, EthtoolChannels));
  exports.Set("ethtoolLink", Napi::Function::New(env, EthtoolLink));
}

}  // namespace dpkit
