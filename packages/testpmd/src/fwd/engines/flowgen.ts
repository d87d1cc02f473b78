/**
 * flowgen: like txonly, but spreads packets over 1024 flows (destination 10.253.0.0 + flow,
 * source 10.254.0.0, UDP 1000 -> 1001), as DPDK's flowgen.c; each packet gets its own IPv4
 * checksum.
 */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { dataOffset } from '../engine.js';
import { ipv4HeaderChecksum } from './common.js';
import { buildBurst, sendBurst, templateWords, udpTemplate, type TxonlyState } from './txonly.js';

export const NB_FLOWS = 1024;

interface FlowgenState extends TxonlyState {
  nextFlow: number;
}

export const engine: ForwardEngine = {
  name: 'flowgen',
  streamInit(s: FwdStream): void {
    const total = s.cfg.txpkts.reduce((a, b) => a + b, 0);
    const template = udpTemplate(s, total, (10 << 24) | (254 << 16), (10 << 24) | (253 << 16), 1000, 1001);
    s.state = { template, templateWords: templateWords(template), total, segs: [total], nextFlow: 0 } satisfies FlowgenState;
  },
  packetFwd(s: FwdStream): void {
    const st = s.state as FlowgenState;
    const n = buildBurst(s, st);
    const pool = s.pool;
    const b = pool.bytes;
    for (let i = 0; i < n; i++) {
      const ip = dataOffset(pool, s.pkts[i]!) + 14;
      const flow = st.nextFlow;
      st.nextFlow = (flow + 1) % NB_FLOWS;
      b[ip + 18] = flow >>> 8;
      b[ip + 19] = flow & 0xff;
      ipv4HeaderChecksum(b, ip);
    }
    sendBurst(s, n);
  },
};
