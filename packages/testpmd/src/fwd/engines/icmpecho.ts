/**
 * icmpecho: answers ARP requests and ICMP echo requests, frees everything else, as DPDK's
 * icmpecho.c (behind one VLAN tag too). The replies leave by the port they came in on.
 * - ARP (Ethernet/IPv4, hlen 6, plen 4, op request): the reply goes to the asker's MAC from
 *   the tx port's MAC, op reply; the target hardware address becomes the asker's, the sender
 *   hardware address the port's, and the two IPv4 addresses are swapped (the port claims the
 *   asked address).
 * - ICMP echo request (type 8, code 0): MACs swapped, type 0, ICMP checksum updated
 *   incrementally (as DPDK computes it). The IPv4 addresses are swapped (the header checksum stays valid), except
 *   for a multicast destination: the reply goes to the request's source from that address
 *   with its two low bits set to 01 (10 when they were 01 already), checksum recomputed.
 */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { ipv4HeaderChecksum, rewriteAndForward, swapBytes } from './common.js';

function rewrite(s: FwdStream, b: Uint8Array, off: number, len: number): boolean {
  if (len < 14) return false;
  const end = off + len;
  let l3 = off + 14;
  let type = (b[off + 12]! << 8) | b[off + 13]!;
  if (type === 0x8100) {
    if (l3 + 4 > end) return false;
    type = (b[l3 + 2]! << 8) | b[l3 + 3]!;
    l3 += 4;
  }
  if (type === 0x0806) {
    const a = l3;
    // Ethernet (1) / IPv4 (0x0800), 6-byte and 4-byte addresses, request (1)
    if (a + 28 > end || b[a] !== 0 || b[a + 1] !== 1 || b[a + 2] !== 0x08 || b[a + 3] !== 0x00 || b[a + 4] !== 6 || b[a + 5] !== 4 ||
      b[a + 6] !== 0 || b[a + 7] !== 1) return false;
    const mac = s.txMac;
    for (let i = 0; i < 6; i++) b[off + i] = b[off + 6 + i]!; // reply to the sender
    for (let i = 0; i < 6; i++) b[off + 6 + i] = mac[i]!;
    b[a + 7] = 2; // reply
    for (let i = 0; i < 6; i++) b[a + 18 + i] = b[a + 8 + i]!; // target hw := the asker's
    for (let i = 0; i < 6; i++) b[a + 8 + i] = mac[i]!; // sender hw := ours
    swapBytes(b, a + 14, a + 24, 4); // sender ip <-> target ip
    return true;
  }
  if (type !== 0x0800 || l3 + 20 > end) return false;
  const ip = l3;
  const icmp = ip + (b[ip]! & 0x0f) * 4;
  if (b[ip + 9] !== 1 || icmp + 8 > end || b[icmp] !== 8 || b[icmp + 1] !== 0) return false;
  swapBytes(b, off, off + 6, 6);
  if ((b[ip + 16]! & 0xf0) === 0xe0) {
    // multicast destination: answer from a unicast address next to the asker's
    const low = b[ip + 15]!;
    for (let i = 0; i < 4; i++) b[ip + 16 + i] = b[ip + 12 + i]!;
    b[ip + 15] = (low & 0xfc) | ((low & 3) === 1 ? 2 : 1);
    ipv4HeaderChecksum(b, ip);
  } else {
    swapBytes(b, ip + 12, ip + 16, 4);
  }
  b[icmp] = 0; // echo reply
  // incremental checksum update (RFC 1624, HC' = ~(~HC + ~m + m')): the type word went from
  // m = 0x0800 to m' = 0x0000; computed as DPDK does, so a zero sum comes out as 0x0000
  let c = (~((b[icmp + 2]! << 8) | b[icmp + 3]!) & 0xffff) + 0xf7ff;
  c = (c & 0xffff) + (c >>> 16);
  c = (c & 0xffff) + (c >>> 16);
  c = ~c & 0xffff;
  b[icmp + 2] = c >>> 8;
  b[icmp + 3] = c & 0xff;
  return true;
}

export const engine: ForwardEngine = {
  name: 'icmpecho',
  packetFwd: (s) => rewriteAndForward(s, rewrite),
};
