/**
 * One stream's instance of macswap's burst (specialised.ts: a module instance per stream and
 * forwarding start): the stream's burst array, queues and counters and its pool's views are
 * module-level constants, which V8 folds into the compiled loop. Packets of another pool than
 * the stream's take the same loop on that pool's fields.
 */
import { MBUF_POOL_SHIFT } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type FwdStream } from '../engine.js';
import { swapMacsRun } from './common.js';
import { valueFor } from './specialised.js';

const RX = FwdStat.RX;
const POOL_SHIFT = MBUF_POOL_SHIFT;
const S = valueFor(import.meta.url) as FwdStream;
const PKTS = S.pkts;
const RXQ = S.rxq;
const STATS = S.stats;
const POOL = S.pool;
const H32 = POOL.h32;
const WORDS = POOL.words;
const BYTES = POOL.bytes;
const BASE = POOL.dataOffset;
const ELT_SIZE = POOL.eltSize;
const ID = POOL.id;

/** macswap's packetFwd for this stream. */
export function packetFwd(): void {
  const nbRx = RXQ.rxBurst(PKTS, 0, S.burst);
  if (nbRx === 0) return;
  STATS[RX] += nbRx;
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
  transmit(S, nbRx);
}
