/**
 * mac: sets the destination MAC to the tx port's peer (--eth-peer) and the source to the tx
 * port's MAC (macfwd.c). The 12 bytes are three precomputed 32-bit words per stream, stored
 * with three stores when the data is 4-byte aligned.
 */
import { MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M16_DATA_OFF } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;
const INDEX_MASK = MBUF_INDEX_MASK;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const DATA_LEN = M16_DATA_LEN;
const DATA_OFF = M16_DATA_OFF;

interface MacState {
  words: Uint32Array;
  bytes: Uint8Array;
}

export const engine: ForwardEngine = {
  name: 'mac',
  streamInit(s: FwdStream): void {
    const bytes = new Uint8Array(12);
    bytes.set(s.peerMac, 0);
    bytes.set(s.txMac, 6);
    s.state = { bytes, words: new Uint32Array(bytes.buffer) } satisfies MacState;
  },
  packetFwd(s: FwdStream): void {
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    const st = s.state as MacState;
    const a0 = st.words[0]!;
    const a1 = st.words[1]!;
    const a2 = st.words[2]!;
    for (let i = 0; i < nbRx; i++) {
      const m = pkts[i]!;
      const pool = mempools[m >>> POOL_SHIFT]!;
      const idx = m & INDEX_MASK;
      const h16 = pool.h16;
      if (h16[(idx << 5) + DATA_LEN]! < 14) continue;
      const off = pool.dataOffset + idx * pool.eltSize + h16[(idx << 5) + DATA_OFF]!;
      if ((off & 3) === 0) {
        const w = pool.words;
        const k = off >>> 2;
        w[k] = a0;
        w[k + 1] = a1;
        w[k + 2] = a2;
      } else {
        pool.bytes.set(st.bytes, off);
      }
    }
    transmit(s, nbRx);
  },
};
