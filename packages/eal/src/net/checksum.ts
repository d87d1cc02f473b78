/**
 * Internet checksums on packet bytes, allocation-free, for the fast path.
 *
 * A Linux sender with checksum offload (a local socket sending through veth, say) leaves a
 * TCP or UDP packet with a *partial* checksum: the checksum field holds only the pseudo-header
 * sum, and the rest is to be done by the NIC or trusted by a local receiver. Once such a frame
 * is handed to user space through XDP, that information is gone, and a frame sent back out
 * unchanged would be dropped by its receiver as corrupt. `fixPartialL4Checksum` recognises
 * the pattern (cheaply: a pseudo-header sum and one compare) and only then sums the payload.
 */

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** One's-complement sum of the 16-bit big-endian words of b[from..to) (odd tail padded). */
export function sum16(b: Uint8Array, from: number, to: number, sum = 0): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < to) sum += b[i]! << 8;
  return fold(sum);
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const TCP = 6;
const UDP = 17;

/**
 * If the TCP or UDP packet (over IPv4 or IPv6, after up to two VLAN tags) in b[off..off+len)
 * carries a partial checksum, writes the full one and returns true. Anything else — other
 * protocols, fragments, IPv6 extension headers, truncated headers, UDP without checksum,
 * complete checksums — is left alone (false). A complete checksum that happens to equal the
 * pseudo-header sum is rewritten with the same correct value, so the result is always valid.
 */
export function fixPartialL4Checksum(b: Uint8Array, off: number, len: number): boolean {
  const end = off + len;
  let p = off + 12;
  if (p + 2 > end) return false;
  let type = (b[p]! << 8) | b[p + 1]!;
  for (let tags = 0; (type === ETH_VLAN || type === ETH_QINQ) && tags < 2; tags++) {
    p += 4;
    if (p + 2 > end) return false;
    type = (b[p]! << 8) | b[p + 1]!;
  }
  const ip = p + 2;
  let l4: number;
  let l4len: number;
  let proto: number;
  let pseudo: number;
  if (type === ETH_IPV4) {
    if (ip + 20 > end) return false;
    const ihl = (b[ip]! & 0x0f) * 4;
    if ((b[ip]! >>> 4) !== 4 || ihl < 20) return false;
    if (((b[ip + 6]! & 0x3f) | b[ip + 7]!) !== 0) return false; // MF or a fragment offset
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    if (ip + total > end || total < ihl) return false;
    proto = b[ip + 9]!;
    l4 = ip + ihl;
    l4len = total - ihl;
    pseudo = sum16(b, ip + 12, ip + 20) + proto + l4len;
  } else if (type === ETH_IPV6) {
    if (ip + 40 > end || (b[ip]! >>> 4) !== 6) return false;
    proto = b[ip + 6]!;
    l4 = ip + 40;
    l4len = (b[ip + 4]! << 8) | b[ip + 5]!;
    if (l4 + l4len > end) return false;
    pseudo = sum16(b, ip + 8, ip + 40) + proto + l4len;
  } else {
    return false;
  }
  let field: number;
  if (proto === UDP) {
    if (l4len < 8) return false;
    field = l4 + 6;
  } else if (proto === TCP) {
    if (l4len < 20) return false;
    field = l4 + 16;
  } else {
    return false;
  }
  const stored = (b[field]! << 8) | b[field + 1]!;
  if (stored === 0 && proto === UDP) return false; // no checksum
  if (stored !== fold(pseudo)) return false;
  b[field] = 0;
  b[field + 1] = 0;
  let c = (~sum16(b, l4, l4 + l4len, pseudo)) & 0xffff;
  if (c === 0 && proto === UDP) c = 0xffff;
  b[field] = c >>> 8;
  b[field + 1] = c & 0xff;
  return true;
}

/** Is the TCP/UDP checksum of the IPv4 packet at b[ip..] valid? (tests and tools) */
export function l4ChecksumValid(b: Uint8Array, ip: number): boolean {
  const ihl = (b[ip]! & 0x0f) * 4;
  const total = (b[ip + 2]! << 8) | b[ip + 3]!;
  const proto = b[ip + 9]!;
  const pseudo = sum16(b, ip + 12, ip + 20) + proto + (total - ihl);
  return sum16(b, ip + ihl, ip + total, pseudo) === 0xffff;
}
