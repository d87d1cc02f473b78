/**
 * macswap: swaps the source and destination MAC addresses (macswap.c). Packet data starts
 * 4-byte aligned in practice (data room and headroom are multiples of 4), so the 12 address
 * bytes are three 32-bit words and the swap is three loads and three stores; an odd offset
 * takes the byte loop. The pool's views are loaded again only when a packet's pool differs
 * from the one before (a burst is usually of one pool), and `data_len` and `data_off` come in
 * one load (word M_LEN_OFF).
 */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M_LEN_OFF } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { swapBytes } from './common.js';

const RX = FwdStat.RX;
// module-local copies: imported bindings are re-checked on every use in hot loops
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const LEN_OFF = M_LEN_OFF;

export const engine: ForwardEngine = {
  name: 'macswap',
  packetFwd(s: FwdStream): void {
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    let id = pkts[0]! >>> POOL_SHIFT;
    let pool = mempools[id]!;
    let h32 = pool.h32;
    let words = pool.words;
    let dataOffset = pool.dataOffset;
    let eltSize = pool.eltSize;
    for (let i = 0; i < nbRx; i++) {
      const m = pkts[i]!;
      if (m >>> POOL_SHIFT !== id) {
        id = m >>> POOL_SHIFT;
        pool = mempools[id]!;
        h32 = pool.h32;
        words = pool.words;
        dataOffset = pool.dataOffset;
        eltSize = pool.eltSize;
      }
      const idx = m & INDEX_MASK;
      const lenOff = h32[(idx << 4) + LEN_OFF]!; // data_off << 16 | data_len
      if ((lenOff & 0xffff) < 14) continue;
      const off = dataOffset + idx * eltSize + (lenOff >>> 16);
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
        swapBytes(pool.bytes, off, off + 6, 6);
      }
    }
    transmit(s, nbRx);
  },
};
