/** rxonly: receives and frees (DPDK's rxonly.c). */
import { mbufFreeBulkUncounted } from '@dpkit/eal';
import { FwdStat, type ForwardEngine, type FwdStream } from '../engine.js';

const RX = FwdStat.RX;

export const engine: ForwardEngine = {
  name: 'rxonly',
  packetFwd(s: FwdStream): void {
    const nbRx = s.rxq.rxBurst(s.pkts, 0, s.burst);
    if (nbRx === 0) return;
    s.stats[RX] += nbRx;
    mbufFreeBulkUncounted(s.pkts, 0, nbRx); // nothing counts the bytes it frees
  },
};
