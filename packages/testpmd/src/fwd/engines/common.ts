/** What the engines that rewrite packets share: receive, rewrite each, send, drop the rest. */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M_LEN_OFF, mbufFree } from '@dpkit/eal';
import { FwdStat, dataOffset, poolOf, transmit, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;
// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const DATA_LEN = M16_DATA_LEN;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const LEN_OFF = M_LEN_OFF;

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

/**
 * macswap's loop: swaps the destination and source MAC of pkts[i..end) while they are of pool
 * `id` (views `h32`, `words`, `bytes`; data area at byte `base`, buffers `eltSize` apart) and
 * returns the index of the first that is not (or `end`). A packet under 14 bytes is left
 * alone. Data that starts 4-byte aligned (the usual case: data room and headroom are
 * multiples of 4) is three 32-bit words, swapped with three loads and three stores; an odd
 * offset takes the byte loop. `data_len` and `data_off` come in one load (word M_LEN_OFF).
 * Written once with every view a parameter: the generic engine passes a pool's fields, a
 * pool's specialised instance (macswap-pool.ts) its module constants.
 */
export function swapMacsRun(
  h32: Uint32Array, words: Uint32Array, bytes: Uint8Array, base: number, eltSize: number, id: number,
  pkts: Uint32Array, i: number, end: number,
): number {
  for (; i < end; i++) {
    const m = pkts[i]!;
    if (m >>> POOL_SHIFT !== id) break;
    const idx = m & INDEX_MASK;
    const lenOff = h32[(idx << 4) + LEN_OFF]!; // data_off << 16 | data_len
    if ((lenOff & 0xffff) < 14) continue;
    const off = (base + Math.imul(idx, eltSize) + (lenOff >>> 16)) >>> 0; // 32-bit arithmetic: no overflow checks
    if ((off & 3) === 0) {
      const k = off >>> 2;
      const w0 = words[k]!;
      const w1 = words[k + 1]!;
      const w2 = words[k + 2]!;
      // little-endian: w0 = d0..d3, w1 = d4 d5 s0 s1, w2 = s2..s5
      words[k] = (w1 >>> 16) | (w2 << 16);
      words[k + 1] = (w2 >>> 16) | (w0 << 16);
      words[k + 2] = (w0 >>> 16) | (w1 << 16);
    } else {
      swapBytes(bytes, off, off + 6, 6);
    }
  }
  return i;
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
