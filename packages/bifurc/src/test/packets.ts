/** Crafted frames for classifier tests (Ethernet, optional VLAN tags, IPv4/IPv6, TCP/UDP). */
export interface PacketSpec {
  v?: 4 | 6;
  proto?: number;
  src?: number[];
  dst?: number[];
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  vlans?: number[];
  /** IPv4 options bytes (IHL grows) */
  ipOptions?: number;
  /** IPv4: more-fragments flag / fragment offset */
  fragment?: 'first' | 'later';
  /** IPv6: a hop-by-hop extension header before L4 */
  ext?: boolean;
  payload?: number;
}

export function packet(s: PacketSpec = {}): Uint8Array {
  const v = s.v ?? 4;
  const proto = s.proto ?? 17;
  const out: number[] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
  for (const tci of s.vlans ?? []) out.push(0x81, 0x00, tci >> 8, tci & 0xff);
  const l4: number[] = [];
  const sp = s.sport ?? 40000;
  const dp = s.dport ?? 7777;
  if (proto === 6) l4.push(sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, s.tcpFlags ?? 0x02, 0xff, 0xff, 0, 0, 0, 0);
  else if (proto === 17) l4.push(sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, 0, 8 + (s.payload ?? 4), 0, 0);
  for (let i = 0; i < (s.payload ?? 4); i++) l4.push(i);
  if (v === 4) {
    const opt = s.ipOptions ?? 0;
    const ihl = 5 + opt / 4;
    const total = ihl * 4 + l4.length;
    const frag = s.fragment === 'first' ? [0x20, 0] : s.fragment === 'later' ? [0, 10] : [0x40, 0];
    out.push(0x08, 0x00, 0x40 | ihl, 0, total >> 8, total & 0xff, 0, 1, ...frag, 64, proto, 0, 0,
      ...(s.src ?? [10, 9, 0, 2]), ...(s.dst ?? [10, 9, 0, 1]), ...new Array(opt).fill(1));
  } else {
    const ext = s.ext ? [proto, 0, 1, 4, 0, 0, 0, 0] : [];
    const len = ext.length + l4.length;
    const src = s.src ?? [0xfd, 0, ...new Array(13).fill(0), 2];
    const dst = s.dst ?? [0xfd, 0, ...new Array(13).fill(0), 1];
    out.push(0x86, 0xdd, 0x60, 0, 0, 0, len >> 8, len & 0xff, s.ext ? 0 : proto, 64, ...src, ...dst, ...ext);
  }
  out.push(...l4);
  while (out.length < 60) out.push(0);
  return Uint8Array.from(out);
}
