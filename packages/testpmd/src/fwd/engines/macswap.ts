/**
 * macswap: swaps the source and destination MAC addresses (macswap.c) of every packet and
 * sends it. The loop is `swapMacsRun` (common.ts), run on each burst's runs of packets of one
 * pool. `streamInit` loads, once per pool and thread, an instance of the burst for the
 * stream's pool (macswap-pool.ts), where a burst array and the pool's views are module
 * constants, and resolves when it is loaded; `packetFwd` runs it from then on, and the same
 * loop on the stream's fields before.
 */
import { MBUF_POOL_SHIFT, type Mempool } from '@dpkit/eal';
import { mempools } from '@dpkit/eal/driver';
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { swapMacsRun } from './common.js';
import { instanceFor } from './specialised.js';

const RX = FwdStat.RX;
// module-local copies: imported bindings are re-checked on every use in hot loops
const POOL_SHIFT = MBUF_POOL_SHIFT;
const POOL_MODULE = new URL('./macswap-pool.js', import.meta.url).href;

type PoolFwd = (s: FwdStream) => void;
/** this thread's instances, by the pool they are for */
const instances = new Map<Mempool, Promise<PoolFwd>>();

export const engine: ForwardEngine = {
  name: 'macswap',
  async streamInit(s: FwdStream): Promise<void> {
    s.state = undefined;
    let fwd = instances.get(s.pool);
    if (fwd === undefined) {
      fwd = instanceFor<{ packetFwd: PoolFwd }>(POOL_MODULE, s.pool).then((m) => m.packetFwd);
      instances.set(s.pool, fwd);
    }
    s.state = await fwd;
  },
  packetFwd(s: FwdStream): void {
    const fwd = s.state as PoolFwd | undefined;
    if (fwd !== undefined) {
      fwd(s);
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
