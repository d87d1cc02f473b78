// Netdevs: interface ioctls (SIOCGIF*/SIOCSIF*) and ethtool (SIOCETHTOOL).
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <cstddef>
#include <vector>
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

// The ethtool rxnfc commands the ntuple layer (src/linux/ethtool.ts) issues, with the bytes a
// command needs beyond struct ethtool_rxnfc: GRXCLSRLALL's rule_locs array.
static const char* RxnfcName(uint32_t cmd) {
  switch (cmd) {
    case ETHTOOL_GRXRINGS: return "ETHTOOL_GRXRINGS";
    case ETHTOOL_GRXCLSRLCNT: return "ETHTOOL_GRXCLSRLCNT";
    case ETHTOOL_GRXCLSRULE: return "ETHTOOL_GRXCLSRULE";
    case ETHTOOL_GRXCLSRLALL: return "ETHTOOL_GRXCLSRLALL";
    case ETHTOOL_SRXCLSRLDEL: return "ETHTOOL_SRXCLSRLDEL";
    case ETHTOOL_SRXCLSRLINS: return "ETHTOOL_SRXCLSRLINS";
    default: return nullptr;
  }
}

// ethtoolRxnfc(name, buf): SIOCETHTOOL with buf (a struct ethtool_rxnfc, encoded by the caller,
// its cmd one of the six rxnfc commands above) as the command; the kernel writes its answer
// into buf. Throws "<CMD> <name>: <strerror> (<ERRNO>)".
static Napi::Value EthtoolRxnfc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t len = 0;
  uint8_t* buf = Bytes(info[1], &len);
  if (len < sizeof(struct ethtool_rxnfc)) throw Napi::Error::New(env, "ethtoolRxnfc: the buffer is shorter than struct ethtool_rxnfc");
  struct ethtool_rxnfc head;
  std::memcpy(&head, buf, sizeof(head));
  const char* name = RxnfcName(head.cmd);
  if (!name) throw Napi::Error::New(env, "ethtoolRxnfc: cmd " + std::to_string(head.cmd) + " is not an rxnfc command");
  if (head.cmd == ETHTOOL_GRXCLSRLALL && len < offsetof(struct ethtool_rxnfc, rule_locs) + 4ull * head.rule_cnt) {
    throw Napi::Error::New(env, "ethtoolRxnfc: the buffer has no room for rule_cnt rule locations");
  }
  std::string ifname = info[0].As<Napi::String>();
  if (int e = Ethtool(env, info[0], buf)) throw ErrnoError(env, std::string(name) + " " + ifname, e);
  return env.Undefined();
}

// ethtoolRxfhIndir(name) -> number[]: ETHTOOL_GRXFHINDIR, the RSS indirection table (the rx
// queue of each hash bucket); [] when the table is empty.
static Napi::Value EthtoolRxfhIndir(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ethtool_rxfh_indir head = {};
  head.cmd = ETHTOOL_GRXFHINDIR;
  if (int e = Ethtool(env, info[0], &head)) throw ErrnoError(env, "ETHTOOL_GRXFHINDIR", e);
  std::vector<uint32_t> buf(2 + head.size);
  buf[0] = ETHTOOL_GRXFHINDIR;
  buf[1] = head.size;
  if (head.size) {
    if (int e = Ethtool(env, info[0], buf.data())) throw ErrnoError(env, "ETHTOOL_GRXFHINDIR", e);
  }
  Napi::Array out = Napi::Array::New(env, buf[1]);
  for (uint32_t i = 0; i < buf[1] && i < head.size; i++) out.Set(i, buf[2 + i]);
  return out;
}

// ethtoolFlags(name) -> number: ETHTOOL_GFLAGS (ETH_FLAG_NTUPLE, ...).
static Napi::Value EthtoolFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct ethtool_value v = {};
  v.cmd = ETHTOOL_GFLAGS;
  if (int e = Ethtool(env, info[0], &v)) throw ErrnoError(env, "ETHTOOL_GFLAGS", e);
  return Napi::Number::New(env, v.data);
}

// ethtoolRxnfcLayout() -> { name: byte offset or size }: struct ethtool_rxnfc as this addon was
// compiled against the uapi header, for the TypeScript encoder to check its own offsets.
static Napi::Value EthtoolRxnfcLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  using R = struct ethtool_rxnfc;
  using F = struct ethtool_rx_flow_spec;
  const size_t fs = offsetof(R, fs);
  o.Set("sizeof", sizeof(R));
  o.Set("cmd", offsetof(R, cmd));
  o.Set("flow_type", offsetof(R, flow_type));
  o.Set("data", offsetof(R, data));
  o.Set("fs", fs);
  o.Set("rule_cnt", offsetof(R, rule_cnt));
  o.Set("rule_locs", offsetof(R, rule_locs));
  o.Set("fs.flow_type", fs + offsetof(F, flow_type));
  o.Set("fs.h_u", fs + offsetof(F, h_u));
  o.Set("fs.h_ext", fs + offsetof(F, h_ext));
  o.Set("fs.m_u", fs + offsetof(F, m_u));
  o.Set("fs.m_ext", fs + offsetof(F, m_ext));
  o.Set("fs.ring_cookie", fs + offsetof(F, ring_cookie));
  o.Set("fs.location", fs + offsetof(F, location));
  o.Set("tcp_ip4.ip4src", offsetof(struct ethtool_tcpip4_spec, ip4src));
  o.Set("tcp_ip4.ip4dst", offsetof(struct ethtool_tcpip4_spec, ip4dst));
  o.Set("tcp_ip4.psrc", offsetof(struct ethtool_tcpip4_spec, psrc));
  o.Set("tcp_ip4.pdst", offsetof(struct ethtool_tcpip4_spec, pdst));
  o.Set("tcp_ip4.tos", offsetof(struct ethtool_tcpip4_spec, tos));
  o.Set("usr_ip4.l4_4_bytes", offsetof(struct ethtool_usrip4_spec, l4_4_bytes));
  o.Set("usr_ip4.tos", offsetof(struct ethtool_usrip4_spec, tos));
  o.Set("usr_ip4.ip_ver", offsetof(struct ethtool_usrip4_spec, ip_ver));
  o.Set("usr_ip4.proto", offsetof(struct ethtool_usrip4_spec, proto));
  o.Set("tcp_ip6.ip6src", offsetof(struct ethtool_tcpip6_spec, ip6src));
  o.Set("tcp_ip6.ip6dst", offsetof(struct ethtool_tcpip6_spec, ip6dst));
  o.Set("tcp_ip6.psrc", offsetof(struct ethtool_tcpip6_spec, psrc));
  o.Set("tcp_ip6.pdst", offsetof(struct ethtool_tcpip6_spec, pdst));
  o.Set("tcp_ip6.tclass", offsetof(struct ethtool_tcpip6_spec, tclass));
  o.Set("usr_ip6.l4_4_bytes", offsetof(struct ethtool_usrip6_spec, l4_4_bytes));
  o.Set("usr_ip6.tclass", offsetof(struct ethtool_usrip6_spec, tclass));
  o.Set("usr_ip6.l4_proto", offsetof(struct ethtool_usrip6_spec, l4_proto));
  o.Set("ext.h_dest", offsetof(struct ethtool_flow_ext, h_dest));
  o.Set("ext.vlan_etype", offsetof(struct ethtool_flow_ext, vlan_etype));
  o.Set("ext.vlan_tci", offsetof(struct ethtool_flow_ext, vlan_tci));
  o.Set("ext.data", offsetof(struct ethtool_flow_ext, data));
  o.Set("TCP_V4_FLOW", TCP_V4_FLOW);
  o.Set("UDP_V4_FLOW", UDP_V4_FLOW);
  o.Set("SCTP_V4_FLOW", SCTP_V4_FLOW);
  o.Set("IPV4_USER_FLOW", IPV4_USER_FLOW);
  o.Set("TCP_V6_FLOW", TCP_V6_FLOW);
  o.Set("UDP_V6_FLOW", UDP_V6_FLOW);
  o.Set("SCTP_V6_FLOW", SCTP_V6_FLOW);
  o.Set("IPV6_USER_FLOW", IPV6_USER_FLOW);
  o.Set("FLOW_EXT", static_cast<double>(FLOW_EXT));
  o.Set("ETH_RX_NFC_IP4", ETH_RX_NFC_IP4);
  o.Set("RX_CLS_LOC_ANY", static_cast<double>(RX_CLS_LOC_ANY));
  o.Set("RX_CLS_LOC_SPECIAL", static_cast<double>(RX_CLS_LOC_SPECIAL));
  o.Set("ETH_FLAG_NTUPLE", static_cast<double>(ETH_FLAG_NTUPLE));
  o.Set("ETHTOOL_GRXRINGS", ETHTOOL_GRXRINGS);
  o.Set("ETHTOOL_GRXCLSRLCNT", ETHTOOL_GRXCLSRLCNT);
  o.Set("ETHTOOL_GRXCLSRULE", ETHTOOL_GRXCLSRULE);
  o.Set("ETHTOOL_GRXCLSRLALL", ETHTOOL_GRXCLSRLALL);
  o.Set("ETHTOOL_SRXCLSRLDEL", ETHTOOL_SRXCLSRLDEL);
  o.Set("ETHTOOL_SRXCLSRLINS", ETHTOOL_SRXCLSRLINS);
  return o;
}

void InitNetdev(Napi::Env env, Napi::Object exports) {
  exports.Set("ifInfo", Napi::Function::New(env, IfInfo));
  exports.Set("setIfFlags", Napi::Function::New(env, SetIfFlags));
  exports.Set("setMtu", Napi::Function::New(env, SetMtu));
  exports.Set("ethtoolDrvinfo", Napi::Function::New(env, EthtoolDrvinfo));
  exports.Set("ethtoolChannels", Napi::Function::New(env, EthtoolChannels));
  exports.Set("ethtoolLink", Napi::Function::New(env, EthtoolLink));
  exports.Set("ethtoolRxnfc", Napi::Function::New(env, EthtoolRxnfc));
  exports.Set("ethtoolFlags", Napi::Function::New(env, EthtoolFlags));
  exports.Set("ethtoolRxfhIndir", Napi::Function::New(env, EthtoolRxfhIndir));
  exports.Set("ethtoolRxnfcLayout", Napi::Function::New(env, EthtoolRxnfcLayout));
}

}  // namespace dpkit
