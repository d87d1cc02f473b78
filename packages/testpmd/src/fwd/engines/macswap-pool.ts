/**
 * One pool's instance of macswap's burst (specialised.ts: a module instance per pool and
 * thread), for the streams whose pool it is: its own burst array and the pool's views are
 * module-level constants, which V8 folds into the compiled loop. The streams of an lcore run
 * one at a time and a burst leaves nothing in the array, so they can share it. Packets of
 * another pool take the same loop on that pool's fields.
 */
import { MBUF_POOL_SHIFT, type Mempool } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { MAX_PKT_BURST } from '../../params.js';
import { FwdStat, transmit, type FwdStream } from '../engine.js';
import { swapMacsRun } from './common.js';
import { valueFor } from './specialised.js';

const RX = FwdStat.RX;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const POOL = valueFor(import.meta.url) as Mempool;
const PKTS = new Uint32Array(MAX_PKT_BURST);
const H32 = POOL.h32;
const WORDS = POOL.words;
const BYTES = POOL.bytes;
const BASE = POOL.dataOffset;
const ELT_SIZE = POOL.eltSize;
const ID = POOL.id;

/** macswap's packetFwd for a stream of this pool, on this module's burst array (not `s.pkts`). */
export function packetFwd(s: FwdStream): void {
  const nbRx = s.rxq.rxBurst(PKTS, 0, s.burst);
  if (nbRx === 0) return;
  const stats = s.stats;
  stats[RX] += nbRx;
  let i = 0;
  do {
    const id = PKTS[i]! >>> POOL_SHIFT;
    if (id === ID) {
      i = swapMacsRun(H32, WORDS, BYTES, BASE, ELT_SIZE, ID, PKTS, i, nbRx);
    } else {
      const p = mempools[id]!;
      i = swapMacsRun(p.h32, p.words, p.bytes, p.dataOffset, p.eltSize, id, PKTS, i, nbRx);
    }
  } while (i < nbRx);
  transmit(s, nbRx, PKTS);
}
