// The device's two outsides: the kernel side (a multi-queue TAP netdev: what the filters give
// to kernel queues is written to it, what the kernel sends on it goes to the wire) and the
// wire (an AF_PACKET socket on a netdev, or MAC loopback when there is none). One frame per
// system call for now; the engine thread calls these, never JavaScript per packet.
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include "device.h"
#include "regs.h"

namespace sim82599 {

// struct virtio_net_hdr of include/uapi/linux/virtio_net.h (that header does not compile as
// C++: a field is named `class`), in host byte order as packet sockets use it.
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10, "virtio_net_hdr is 10 bytes");
constexpr uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;

// Opens `queues` queues of a new TAP netdev `name` (IFF_TAP|IFF_NO_PI|IFF_MULTI_QUEUE), each
// fd non-blocking. Returns 0, or an errno with the fds opened so far closed.
int OpenTap(const char* name, int queues, int* fds) {
  for (int i = 0; i < queues; i++) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) {
      int err = errno;
      if (fd >= 0) close(fd);
      while (i-- > 0) close(fds[i]);
      return err;
    }
    fds[i] = fd;
  }
  return 0;
}

// An AF_PACKET socket bound to netdev `name`, promiscuous, non-blocking; -errno on failure.
// With PACKET_VNET_HDR every frame comes with a virtio-net header, which says when a local
// sender's checksum offload left a TCP/UDP checksum partial (a frame on a real wire is
// always complete, so the device completes it; see PollWire), and is sent with one.
int OpenWire(const char* name) {
  unsigned index = if_nametoindex(name);
  if (index == 0) return -ENODEV;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) return -errno;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = int(index);
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  packet_mreq mr{};
  mr.mr_ifindex = int(index);
  mr.mr_type = PACKET_MR_PROMISC;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0 || setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

void Device::AttachKernel(int kernelQueues, const int* tapFds, int taps) {
  kernelQueues_ = kernelQueues;
  taps_ = taps;
  for (int i = 0; i < taps; i++) tapFds_[i] = tapFds[i];
}

void Device::AttachWire(int fd) { wireFd_ = fd; }

// A frame leaving the NIC: onto the wire, or received again in loopback.
void Device::Transmit(const uint8_t* frame, uint32_t length) {
  if (flowCount_) {
    counters_.txSunk.fetch_add(1, std::memory_order_relaxed);  // generator mode: the sink
  } else if (wireFd_ < 0) {
    Receive(frame, length);
  } else {
    virtio_net_hdr vh{};  // no offload asked of the kernel
    iovec iov[2] = {{&vh, sizeof vh}, {const_cast<uint8_t*>(frame), length}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    if (sendmsg(wireFd_, &msg, MSG_DONTWAIT) == ssize_t(sizeof vh + length)) return;
    counters_.wireTxErrors.fetch_add(1, std::memory_order_relaxed);
  }
}

// Completes a partial checksum: the field at start+offset holds the pseudo-header sum; the
// one's-complement sum of frame[start..length) with it in place, inverted, is the checksum.
static void CompleteChecksum(uint8_t* frame, uint32_t length, uint32_t start, uint32_t offset) {
  if (start >= length || offset + 2 > length - start) return;
  uint32_t sum = 0, i = start;
  for (; i + 1 < length; i += 2) sum += uint32_t(frame[i]) << 8 | frame[i + 1];
  if (i < length) sum += uint32_t(frame[i]) << 8;
  while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  uint16_t c = uint16_t(~sum);
  if (c == 0) c = 0xFFFF;  // UDP sends a computed 0 as 0xFFFF; for TCP they are equal anyway
  frame[start + offset] = uint8_t(c >> 8);
  frame[start + offset + 1] = uint8_t(c);
}

// A frame for kernel queue q: written to TAP queue q mod taps; a full TAP queue drops it.
void Device::ToKernel(int q, const uint8_t* frame, uint32_t length) {
  if (taps_ == 0 || write(tapFds_[q % taps_], frame, length) != ssize_t(length)) {
    counters_.kernelDropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  counters_.kernelFrames.fetch_add(1, std::memory_order_relaxed);
}

// What the kernel sent on the TAP (up to 32 frames per queue per pass) goes out.
uint32_t Device::PollKernel() {
  uint32_t n = 0;
  for (int i = 0; i < taps_; i++) {
    for (int k = 0; k < 32; k++) {
      ssize_t got = read(tapFds_[i], io_, sizeof io_);
      if (got <= 0) break;
      Transmit(io_, uint32_t(got));
      n++;
    }
  }
  return n;
}

// What arrives on the wire (up to 32 frames per pass) is received; the socket also sees the
// frames this device sent (PACKET_OUTGOING), which are skipped.
uint32_t Device::PollWire() {
  uint32_t n = 0;
  for (int k = 0; wireFd_ >= 0 && k < 32; k++) {
    sockaddr_ll from{};
    virtio_net_hdr vh{};
    iovec iov[2] = {{&vh, sizeof vh}, {io_, sizeof io_}};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t got = recvmsg(wireFd_, &msg, MSG_TRUNC);
    if (got < ssize_t(sizeof vh)) break;
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    got -= sizeof vh;
    if (size_t(got) > sizeof io_ || vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
      counters_.wireRxOversize.fetch_add(1, std::memory_order_relaxed);  // larger than a frame on a wire
      continue;
    }
    if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) CompleteChecksum(io_, uint32_t(got), vh.csum_start, vh.csum_offset);
    Receive(io_, uint32_t(got));
    n++;
  }
  return n;
}

}  // namespace sim82599
