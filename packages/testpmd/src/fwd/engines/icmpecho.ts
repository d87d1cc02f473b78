/**
 * icmpecho: answers ARP requests (claiming the asked address with the port's MAC) and ICMP
 * echo requests; drops everything else (icmpecho.c).
 */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { rewriteAndForward, swapBytes } from './common.js';

function rewrite(s: FwdStream, b: Uint8Array, off: number, len: number): boolean {
  if (len < 14) return false;
  const type = (b[off + 12]! << 8) | b[off + 13]!;
  if (type === 0x0806) {
    const a = off + 14;
    // Ethernet/IPv4 ARP request
    if (len < 42 || b[a + 7] !== 1 || b[a + 1] !== 1 || b[a + 2] !== 0x08 || b[a + 3] !== 0x00) return false;
    const mac = s.txMac;
    for (let i = 0; i < 6; i++) b[off + i] = b[off + 6 + i]!; // reply to the sender
    for (let i = 0; i < 6; i++) b[off + 6 + i] = mac[i]!;
    b[a + 7] = 2; // reply
    swapBytes(b, a + 8, a + 18, 10); // sender <-> target (hw + ip)
    for (let i = 0; i < 6; i++) b[a + 8 + i] = mac[i]!; // we are the sender now
    return true;
  }
  if (type !== 0x0800 || len < 34) return false;
  const ip = off + 14;
  const ihl = (b[ip]! & 0x0f) * 4;
  const icmp = ip + ihl;
  if (b[ip + 9] !== 1 || icmp + 8 > off + len || b[icmp] !== 8 || b[icmp + 1] !== 0) return false;
  swapBytes(b, off, off + 6, 6);
  swapBytes(b, ip + 12, ip + 16, 4);
  b[icmp] = 0; // echo reply
  // incremental checksum update (RFC 1624): the type word went from 0x0800 to 0x0000
  let c = ((b[icmp + 2]! << 8) | b[icmp + 3]!) + 0x0800;
  c = (c & 0xffff) + (c >>> 16);
  b[icmp + 2] = c >>> 8;
  b[icmp + 3] = c & 0xff;
  return true;
}

export const engine: ForwardEngine = {
  name: 'icmpecho',
  packetFwd: (s) => rewriteAndForward(s, rewrite),
};
