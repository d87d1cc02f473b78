/**
 * txonly: sends UDP/IPv4 packets from 198.18.0.1:9 to 198.18.0.2:9, with the tx port's MAC
 * as source and its peer's as destination, `--txpkts` long (several values make a chain of
 * segments), as DPDK's txonly.c. The headers are built once per stream and copied in.
 */
import { MBUF_INDEX_MASK, mbufFreeBulk } from '@dpkit/eal';
import { FwdStat, dataOffset, type ForwardEngine, type FwdStream } from '../engine.js';
import { ipv4HeaderChecksum } from './common.js';

const TX = FwdStat.TX;
const DROPPED = FwdStat.DROPPED;
const INDEX_MASK = MBUF_INDEX_MASK;
export const HEADERS = 42;

export interface TxonlyState {
  template: Uint8Array;
  total: number;
  segs: number[];
}

/** Ethernet + IPv4 + UDP headers for a packet of `total` bytes. */
export function udpTemplate(s: FwdStream, total: number, src: number, dst: number, sport: number, dport: number): Uint8Array {
  const t = new Uint8Array(HEADERS);
  t.set(s.peerMac, 0);
  t.set(s.txMac, 6);
  t[12] = 0x08;
  const ip = 14;
  t[ip] = 0x45;
  const ipLen = total - 14;
  t[ip + 2] = ipLen >>> 8;
  t[ip + 3] = ipLen & 0xff;
  t[ip + 8] = 64; // TTL
  t[ip + 9] = 17; // UDP
  for (let i = 0; i < 4; i++) {
    t[ip + 12 + i] = (src >>> (24 - 8 * i)) & 0xff;
    t[ip + 16 + i] = (dst >>> (24 - 8 * i)) & 0xff;
  }
  ipv4HeaderChecksum(t, ip);
  const udp = 34;
  t[udp] = sport >>> 8;
  t[udp + 1] = sport & 0xff;
  t[udp + 2] = dport >>> 8;
  t[udp + 3] = dport & 0xff;
  const udpLen = total - 34;
  t[udp + 4] = udpLen >>> 8;
  t[udp + 5] = udpLen & 0xff; // UDP checksum 0: none, valid for IPv4
  return t;
}

const IP_SRC = (198 << 24) | (18 << 16) | 1;
const IP_DST = (198 << 24) | (18 << 16) | 2;

/** Allocates a burst, sets lengths (chaining extra segments), and copies `template` in. */
export function buildBurst(s: FwdStream, st: TxonlyState): number {
  const pool = s.pool;
  const pkts = s.pkts;
  const n = s.burst;
  if (!pool.allocBulk(pkts, 0, n)) return 0;
  const h32 = pool.h32;
  const h16 = pool.h16;
  const first = st.segs[0]!;
  for (let i = 0; i < n; i++) {
    const m = pkts[i]!;
    const b = (m & INDEX_MASK) << 4;
    h32[b + 1] = st.total; // pkt_len
    h16[b * 2 + 4] = first; // data_len
    pool.bytes.set(st.template, dataOffset(pool, m));
    let last = b;
    for (let k = 1; k < st.segs.length; k++) {
      const seg = pool.alloc();
      if (seg < 0) break;
      const sb = (seg & INDEX_MASK) << 4;
      h16[sb * 2 + 4] = st.segs[k]!;
      h32[last] = seg + 1; // next
      h16[b * 2 + 7] = k + 1; // nb_segs
      last = sb;
    }
  }
  return n;
}

export function sendBurst(s: FwdStream, n: number): void {
  if (n === 0) return;
  const nbTx = s.txq.txBurst(s.pkts, 0, n);
  s.stats[TX] += nbTx;
  if (nbTx < n) {
    s.stats[DROPPED] += n - nbTx;
    mbufFreeBulk(s.pkts, nbTx, n - nbTx);
  }
}

export function txonlyInit(s: FwdStream): void {
  const total = s.cfg.txpkts.reduce((a, b) => a + b, 0);
  const segs = s.cfg.txpkts.length > 1 && s.cfg.txpkts[0]! < HEADERS ? [total] : s.cfg.txpkts;
  s.state = { template: udpTemplate(s, total, IP_SRC, IP_DST, 9, 9), total, segs } satisfies TxonlyState;
}

export const engine: ForwardEngine = {
  name: 'txonly',
  streamInit: txonlyInit,
  packetFwd(s: FwdStream): void {
    sendBurst(s, buildBurst(s, s.state as TxonlyState));
  },
};
