// AF_PACKET sockets with TPACKET_V3 memory-mapped rx and tx rings (the fallback datapath),
// and a batch memcpy for the copies such a datapath makes. The rings' logic runs in
// JavaScript over the mapping (packages/pmd-af-packet).
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace dpkit {

static void SetOpt(Napi::Env env, int fd, int opt, const void* v, socklen_t len, const char* what) {
  if (setsockopt(fd, SOL_PACKET, opt, v, len) < 0) {
    int e = errno;
    close(fd);
    throw ErrnoError(env, what, e);
  }
}

// packetOpen(ifindex, { blockSize, blockCount, frameSize, rxFrames, txFrames, retireMs,
//   qdiscBypass, fanout }) -> { fd, rxBytes, txBytes }:
// socket(AF_PACKET, SOCK_RAW, ETH_P_ALL), PACKET_VERSION = TPACKET_V3, PACKET_IGNORE_OUTGOING,
// [PACKET_QDISC_BYPASS], PACKET_RX_RING (blockCount blocks of blockSize), PACKET_TX_RING
// (txFrames frames of frameSize, in blocks of blockSize), bind to the ifindex, then
// [PACKET_FANOUT with fanout = id | type << 16]. The rings are mapped with mapFd(fd,
// rxBytes + txBytes): rx ring first, tx ring after it.
static Napi::Value PacketOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ifindex = I32(info, 0);
  Napi::Object o = info[1].As<Napi::Object>();
  auto u = [&](const char* k) { return o.Get(k).As<Napi::Number>().Uint32Value(); };
  unsigned blockSize = u("blockSize"), blockCount = u("blockCount"), frameSize = u("frameSize");
  unsigned txFrames = u("txFrames"), retireMs = u("retireMs"), bypass = u("qdiscBypass"), fanout = u("fanout");
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) throw ErrnoError(env, "socket(AF_PACKET)", errno);
  int v = TPACKET_V3;
  SetOpt(env, fd, PACKET_VERSION, &v, sizeof(v), "PACKET_VERSION TPACKET_V3");
  int one = 1;
  SetOpt(env, fd, PACKET_IGNORE_OUTGOING, &one, sizeof(one), "PACKET_IGNORE_OUTGOING");
  if (bypass) SetOpt(env, fd, PACKET_QDISC_BYPASS, &one, sizeof(one), "PACKET_QDISC_BYPASS");
  struct tpacket_req3 rx = {};
  rx.tp_block_size = blockSize;
  rx.tp_block_nr = blockCount;
  rx.tp_frame_size = frameSize;
  rx.tp_frame_nr = static_cast<unsigned>((static_cast<uint64_t>(blockSize) * blockCount) / frameSize);
  rx.tp_retire_blk_tov = retireMs;
  SetOpt(env, fd, PACKET_RX_RING, &rx, sizeof(rx), "PACKET_RX_RING");
  struct tpacket_req3 tx = {};  // a V3 tx ring: fixed frames, no block timeout or private area
  unsigned perBlock = blockSize / frameSize;
  tx.tp_block_size = blockSize;
  tx.tp_block_nr = (txFrames + perBlock - 1) / perBlock;
  tx.tp_frame_size = frameSize;
  tx.tp_frame_nr = tx.tp_block_nr * perBlock;
  SetOpt(env, fd, PACKET_TX_RING, &tx, sizeof(tx), "PACKET_TX_RING");
  struct sockaddr_ll sll = {};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sll), sizeof(sll)) < 0) {
    int e = errno;
    close(fd);
    throw ErrnoError(env, "bind(AF_PACKET)", e);
  }
  if (fanout) {
    int f = static_cast<int>(fanout);
    SetOpt(env, fd, PACKET_FANOUT, &f, sizeof(f), "PACKET_FANOUT");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", fd);
  out.Set("rxBytes", static_cast<double>(blockSize) * blockCount);
  out.Set("txBytes", static_cast<double>(blockSize) * tx.tp_block_nr);
  out.Set("txFrames", tx.tp_frame_nr);
  return out;
}

// packetStatistics(fd) -> { packets, drops, freezeCount }: PACKET_STATISTICS (tpacket_stats_v3).
// The kernel zeroes its counters at each read: the caller accumulates.
static Napi::Value PacketStatistics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct tpacket_stats_v3 st = {};
  socklen_t len = sizeof(st);
  if (getsockopt(I32(info, 0), SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) throw ErrnoError(env, "PACKET_STATISTICS", errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("packets", static_cast<double>(st.tp_packets));
  out.Set("drops", static_cast<double>(st.tp_drops));
  out.Set("freezeCount", static_cast<double>(st.tp_freeze_q_cnt));
  return out;
}

// copyBatch(dst, src, triples, count) -> count: for i < count, copies triples[3i+2] bytes from
// src + triples[3i] to dst + triples[3i+1] (dst, src: ArrayBuffers or typed arrays, offsets
// from their start). One call per burst for all its packet copies. A triple outside either
// buffer throws RangeError before anything is copied.
static Napi::Value CopyBatch(const Napi::CallbackInfo& info) {
  size_t dlen, slen, tlen;
  uint8_t* d = Bytes(info[0], &dlen);
  uint8_t* s = Bytes(info[1], &slen);
  const uint32_t* t = reinterpret_cast<const uint32_t*>(Bytes(info[2], &tlen));
  size_t n = U32(info, 3);
  if (n * 3 * sizeof(uint32_t) > tlen) throw Napi::RangeError::New(info.Env(), "copyBatch: count exceeds the triples");
  for (size_t i = 0; i < n; i++) {
    uint64_t from = t[3 * i], to = t[3 * i + 1], len = t[3 * i + 2];
    if (from + len > slen || to + len > dlen) throw Napi::RangeError::New(info.Env(), "copyBatch: a copy reaches outside its buffer");
  }
  for (size_t i = 0; i < n; i++) std::memcpy(d + t[3 * i + 1], s + t[3 * i], t[3 * i + 2]);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

void InitPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("packetOpen", Napi::Function::New(env, PacketOpen));
  exports.Set("packetStatistics", Napi::Function::New(env, PacketStatistics));
  // packetKick(fd) -> 0 | errno: the same sendto(fd, NULL, 0, MSG_DONTWAIT) as xskKick (xsk.cc):
  // the kernel sends every tx frame marked TP_STATUS_SEND_REQUEST
  exports.Set("packetKick", exports.Get("xskKick"));
  exports.Set("copyBatch", Napi::Function::New(env, CopyBatch));
}

}  // namespace dpkit
