/** io: forwards what it receives unchanged (DPDK's iofwd.c). */
import { mbufFreeBulk } from '@dpkit/eal';
import { FwdStat, type ForwardEngine, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;
const TX = FwdStat.TX;
const DROPPED = FwdStat.DROPPED;

export const engine: ForwardEngine = {
  name: 'io',
  packetFwd(s: FwdStream): void {
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    const stats = s.stats;
    stats[RX] += nbRx;
    const nbTx = s.txq.txBurst(pkts, 0, nbRx);
    stats[TX] += nbTx;
    if (nbTx < nbRx) {
      stats[DROPPED] += nbRx - nbTx;
      mbufFreeBulk(pkts, nbTx, nbRx - nbTx);
    }
  },
};
