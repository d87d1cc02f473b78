/**
 * macswap: swaps the source and destination MAC addresses (macswap.c). Packet data starts
 * 4-byte aligned in practice (data room and headroom are multiples of 4), so the 12 address
 * bytes are three 32-bit words and the swap is three loads and three stores; an odd offset
 * takes the byte loop.
 */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M16_DATA_OFF } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { swapBytes } from './common.js';

const RX = FwdStat.RX;
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const DATA_LEN = M16_DATA_LEN;
const DATA_OFF = M16_DATA_OFF;

export const engine: ForwardEngine = {
  name: 'macswap',
  packetFwd(s: FwdStream): void {
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    for (let i = 0; i < nbRx; i++) {
      const m = pkts[i]!;
      const pool = mempools[m >>> POOL_SHIFT]!;
      const idx = m & INDEX_MASK;
      const h16 = pool.h16;
      if (h16[(idx << 5) + DATA_LEN]! < 14) continue; // data_len
      const off = pool.dataOffset + idx * pool.eltSize + h16[(idx << 5) + DATA_OFF]!; // + data_off
      if ((off & 3) === 0) {
        const w = pool.words;
        const k = off >>> 2;
        const w0 = w[k]!;
        const w1 = w[k + 1]!;
        const w2 = w[k + 2]!;
        // little-endian: w0 = d0..d3, w1 = d4 d5 s0 s1, w2 = s2..s5
        w[k] = (w1 >>> 16) | (w2 << 16);
        w[k + 1] = (w2 >>> 16) | (w0 << 16);
        w[k + 2] = (w0 >>> 16) | (w1 << 16);
      } else {
        swapBytes(pool.bytes, off, off + 6, 6);
      }
    }
    transmit(s, nbRx);
  },
};
