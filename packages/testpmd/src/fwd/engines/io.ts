/** io: forwards what it receives unchanged (DPDK's iofwd.c). */
import { FwdStat, transmit, type ForwardEngine, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;

export const engine: ForwardEngine = {
  name: 'io',
  packetFwd(s: FwdStream): void {
    const pkts = s.pkts;
    const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    transmit(s, nbRx);
  },
};
