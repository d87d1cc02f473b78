/**
 * 5tswap: swaps MAC addresses (behind any VLAN/QinQ tags), IPv4/IPv6 addresses and UDP/TCP
 * ports, so a packet goes back the way it came (DPDK's 5tswap.h); other protocols keep their
 * ports, as there. Swapping leaves the IP, UDP and TCP checksums valid: they are sums. Unlike
 * DPDK, a non-first IPv4 fragment keeps its bytes after the IP header (they are payload, not
 * ports).
 */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { rewriteAndForward, swapBytes } from './common.js';

function rewrite(_s: FwdStream, b: Uint8Array, off: number, len: number): boolean {
  if (len < 14) return true;
  swapBytes(b, off, off + 6, 6);
  let l3 = off + 14;
  let type = (b[off + 12]! << 8) | b[off + 13]!;
  while ((type === 0x8100 || type === 0x88a8) && l3 + 4 <= off + len) {
    type = (b[l3 + 2]! << 8) | b[l3 + 3]!;
    l3 += 4;
  }
  let proto = -1;
  let l4 = 0;
  if (type === 0x0800 && l3 + 20 <= off + len) {
    swapBytes(b, l3 + 12, l3 + 16, 4);
    proto = b[l3 + 9]!;
    l4 = l3 + (b[l3]! & 0x0f) * 4;
    if (((b[l3 + 6]! & 0x1f) << 8 | b[l3 + 7]!) !== 0) proto = -1; // not the first fragment: no ports
  } else if (type === 0x86dd && l3 + 40 <= off + len) {
    swapBytes(b, l3 + 8, l3 + 24, 16);
    proto = b[l3 + 6]!;
    l4 = l3 + 40;
  }
  if ((proto === 6 || proto === 17) && l4 + 4 <= off + len) swapBytes(b, l4, l4 + 2, 2);
  return true;
}

export const engine: ForwardEngine = {
  name: '5tswap',
  packetFwd: (s) => rewriteAndForward(s, rewrite),
};
