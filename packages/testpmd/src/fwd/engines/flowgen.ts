/**
 * flowgen: drains and counts what the stream receives (the packets are freed), then sends a
 * burst of UDP/IPv4 packets spread over 1024 flows (`--flowgen-flows`), as DPDK's flowgen.c: source
 * 00:01:02:03:04:00 and 10.254.0.0 port 1000, destination 00:01:02:03:04:01 and
 * 10.253.0.0 + flow port 1001, `--txpkts` total minus 4 (the FCS) long, one segment, each
 * packet with its own IPv4 checksum. The flow number is per lcore (it runs on across the
 * lcore's streams) and is backed out for packets the tx queue refused.
 */
import { DpkitError, mbufFreeBulk } from '@dpkit/eal';
import { FwdStat, dataOffset, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { ipv4HeaderChecksum } from './common.js';
import { buildBurst, templateWords, udpTemplate, type TxonlyState } from './txonly.js';

/** the default of --flowgen-flows */
export const NB_FLOWS = 1024;
/** DPDK's flowgen leaves 4 bytes of --txpkts for the FCS */
const FCS = 4;
const ETHER_SRC = [0x00, 0x01, 0x02, 0x03, 0x04, 0x00];
const ETHER_DST = [0x00, 0x01, 0x02, 0x03, 0x04, 0x01];
const IP_SRC = (10 << 24) | (254 << 16);
const IP_DST = (10 << 24) | (253 << 16);
const RX = FwdStat.RX;

interface FlowgenState extends TxonlyState {
  flows: number;
}

/** this lcore's next flow (each lcore imports this module in its own thread) */
const lcore = { nextFlow: 0 };

export const engine: ForwardEngine = {
  name: 'flowgen',
  streamInit(s: FwdStream): void {
    const total = s.cfg.txpkts.reduce((a, b) => a + b, 0) - FCS;
    // the 42 header bytes must fit once the FCS is taken off: refused, not sent malformed
    if (total < 42) throw new DpkitError(`flowgen needs --txpkts of at least 46 bytes (42 for Ethernet, IPv4 and UDP headers, 4 for the FCS); got ${total + FCS}`);
    const template = udpTemplate(ETHER_DST, ETHER_SRC, total, IP_SRC, IP_DST, 1000, 1001);
    // a run with fewer flows than the last one on this lcore starts again at flow 0
    if (lcore.nextFlow >= s.cfg.flowgenFlows) lcore.nextFlow = 0;
    s.state = { template, templateWords: templateWords(template), total, segs: [total], segScratch: new Uint32Array(1), flows: s.cfg.flowgenFlows } satisfies FlowgenState;
  },
  packetFwd(s: FwdStream): void {
    const nbRx = s.rxq.rxBurst(s.pkts, 0, s.burst);
    if (nbRx > 0) {
      s.stats[RX] += nbRx;
      mbufFreeBulk(s.pkts, 0, nbRx);
    }
    const st = s.state as FlowgenState;
    const n = buildBurst(s, st);
    if (n === 0) return;
    const flows = st.flows;
    const pool = s.pool;
    const b = pool.bytes;
    let flow = lcore.nextFlow;
    for (let i = 0; i < n; i++) {
      const ip = dataOffset(pool, s.pkts[i]!) + 14;
      const dst = (IP_DST + flow) >>> 0;
      b[ip + 16] = dst >>> 24;
      b[ip + 17] = (dst >>> 16) & 0xff;
      b[ip + 18] = (dst >>> 8) & 0xff;
      b[ip + 19] = dst & 0xff;
      ipv4HeaderChecksum(b, ip);
      if (++flow >= flows) flow = 0;
    }
    const nbTx = transmit(s, n);
    // the flows of the packets the queue refused are sent again next time
    flow -= n - nbTx;
    while (flow < 0) flow += flows;
    lcore.nextFlow = flow;
  },
};
