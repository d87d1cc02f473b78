/**
 * macswap: swaps the source and destination MAC addresses (macswap.c) of every packet and
 * sends it. The loop is `swapMacsRun` (common.ts), run on each burst's runs of packets of one
 * pool. `streamInit` loads the stream's own instance of the burst (macswap-stream.ts), where
 * the stream's burst array and queues and its pool's views are module constants, and resolves
 * when it is loaded; `packetFwd` runs it from then on, and the same loop on the stream's
 * fields before.
 */
import { MBUF_POOL_SHIFT } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { swapMacsRun } from './common.js';
import { instanceFor } from './specialised.js';

const RX = FwdStat.RX;
// module-local copies: imported bindings are re-checked on every use in hot loops
const POOL_SHIFT = MBUF_POOL_SHIFT;
const STREAM_MODULE = new URL('./macswap-stream.js', import.meta.url).href;

type StreamFwd = () => void;

export const engine: ForwardEngine = {
  name: 'macswap',
  async streamInit(s: FwdStream): Promise<void> {
    s.state = undefined;
    s.state = (await instanceFor<{ packetFwd: StreamFwd }>(STREAM_MODULE, s)).packetFwd;
  },
  packetFwd(s: FwdStream): void {
    const fwd = s.state as StreamFwd | undefined;
    if (fwd !== undefined) {
      fwd();
      return;
    }
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    let i = 0;
    do {
      const id = pkts[i]! >>> POOL_SHIFT;
      const p = mempools[id]!;
      i = swapMacsRun(p.h32, p.words, p.bytes, p.dataOffset, p.eltSize, id, pkts, i, nbRx);
    } while (i < nbRx);
    transmit(s, nbRx);
  },
};
