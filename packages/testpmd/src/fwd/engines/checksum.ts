/**
 * The checksums the csum engine checks and writes, over packet bytes in place: the IPv4 header
 * checksum, the TCP/UDP checksum over the IPv4 or IPv6 pseudo-header (RFC 768, 793, 8200) and
 * SCTP's CRC32c (RFC 4960 appendix B, 9260). Each is a plain loop over the bytes: nothing is
 * allocated (the CRC table is built once, at import).
 */
import { sum16 } from './common.js';

/** True when the IPv4 header at `ip` (`ihl` bytes) sums to 0xffff: its checksum is right. */
export function ipv4HeaderOk(b: Uint8Array, ip: number, ihl: number): boolean {
  return sum16(b, ip, ihl) === 0xffff;
}

/**
 * The pseudo-header sum (not complemented) of the L3 header at `l3` for an L4 segment of
 * `l4Len` bytes of protocol `proto`: IPv4's addresses at 12..20, IPv6's at 8..40.
 */
export function pseudoSum(b: Uint8Array, l3: number, ipv6: boolean, proto: number, l4Len: number): number {
  return ipv6 ? sum16(b, l3 + 8, 32, proto + l4Len) : sum16(b, l3 + 12, 8, proto + l4Len);
}

/** True when the TCP/UDP segment at `l4` (`l4Len` bytes) sums to 0xffff with its pseudo-header. */
export function l4ChecksumOk(b: Uint8Array, l4: number, l4Len: number, pseudo: number): boolean {
  return sum16(b, l4, l4Len, pseudo) === 0xffff;
}

/**
 * Writes the TCP/UDP checksum of the segment at `l4` into `b[l4 + at]` (6 for UDP, 16 for TCP),
 * as rte_ipv4_udptcp_cksum / rte_ipv6_udptcp_cksum compute it: a UDP sum of 0 is sent as
 * 0xffff (RFC 768: 0 means no checksum).
 */
export function writeL4Checksum(b: Uint8Array, l4: number, l4Len: number, pseudo: number, at: number, udp: boolean): void {
  b[l4 + at] = 0;
  b[l4 + at + 1] = 0;
  let c = ~sum16(b, l4, l4Len, pseudo) & 0xffff;
  if (c === 0 && udp) c = 0xffff;
  b[l4 + at] = c >>> 8;
  b[l4 + at + 1] = c & 0xff;
}

/** CRC32c (Castagnoli, reflected polynomial 0x82f63b78), one entry per byte value */
const CRC32C = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC32C[n] = c;
}

/** CRC32c of the SCTP packet at `l4` (`len` bytes) with its checksum field (bytes 8..12) taken as zero. */
function sctpCrc(b: Uint8Array, l4: number, len: number): number {
  const t = CRC32C;
  let crc = -1;
  for (let i = 0; i < len; i++) {
    const x = i >= 8 && i < 12 ? 0 : b[l4 + i]!;
    crc = t[(crc ^ x) & 0xff]! ^ (crc >>> 8);
  }
  return ~crc;
}

/** True when the SCTP packet's checksum field holds its CRC32c (least significant byte first, as RFC 4960's sample code stores it). */
export function sctpChecksumOk(b: Uint8Array, l4: number, len: number): boolean {
  const c = sctpCrc(b, l4, len);
  return b[l4 + 8] === (c & 0xff) && b[l4 + 9] === ((c >>> 8) & 0xff) && b[l4 + 10] === ((c >>> 16) & 0xff) && b[l4 + 11] === ((c >>> 24) & 0xff);
}

export function writeSctpChecksum(b: Uint8Array, l4: number, len: number): void {
  const c = sctpCrc(b, l4, len);
  b[l4 + 8] = c & 0xff;
  b[l4 + 9] = (c >>> 8) & 0xff;
  b[l4 + 10] = (c >>> 16) & 0xff;
  b[l4 + 11] = (c >>> 24) & 0xff;
}
