/** What the engines that rewrite packets share: receive, rewrite each, send, drop the rest. */
import { MBUF_INDEX_MASK, M16_DATA_LEN, mbufFree } from '@dpkit/eal';
import { FwdStat, dataOffset, poolOf, transmit, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;
// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const DATA_LEN = M16_DATA_LEN;

/** Rewrites packet data at `bytes[off..]` for stream `s`; returns false to drop the packet. */
export type Rewrite = (s: FwdStream, bytes: Uint8Array, off: number, len: number) => boolean;

/** rx a burst, apply `rewrite` to each packet, tx the kept ones, free the rest. */
export function rewriteAndForward(s: FwdStream, rewrite: Rewrite): void {
  const pkts = s.pkts;
  const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
  if (nbRx === 0) return;
  const stats = s.stats;
  stats[RX] += nbRx;
  let keep = 0;
  for (let i = 0; i < nbRx; i++) {
    const m = pkts[i]!;
    const pool = poolOf(m);
    const idx = m & INDEX_MASK;
    const len = pool.h16[(idx << 5) + DATA_LEN]!;
    // a packet the engine does not answer is freed, not counted as dropped (as in DPDK)
    if (rewrite(s, pool.bytes, dataOffset(pool, m), len)) pkts[keep++] = m;
    else mbufFree(m);
  }
  if (keep > 0) transmit(s, keep);
}

export function swapBytes(b: Uint8Array, x: number, y: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = b[x + i]!;
    b[x + i] = b[y + i]!;
    b[y + i] = t;
  }
}

/** Internet checksum of b[off .. off+len) folded to 16 bits (not complemented). */
export function sum16(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let i = 0;
  for (; i + 1 < len; i += 2) sum += (b[off + i]! << 8) | b[off + i + 1]!;
  if (i < len) sum += b[off + i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function ipv4HeaderChecksum(b: Uint8Array, ip: number): void {
  b[ip + 10] = 0;
  b[ip + 11] = 0;
  const ihl = (b[ip]! & 0x0f) * 4;
  const c = ~sum16(b, ip, ihl) & 0xffff;
  b[ip + 10] = c >>> 8;
  b[ip + 11] = c & 0xff;
}
