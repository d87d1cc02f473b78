/**
 * txonly: sends UDP/IPv4 packets from 198.18.0.1:9 to 198.18.0.2:9 (`--tx-ip`, `--tx-udp`),
 * with the tx port's MAC as source and its peer's as destination, `--txpkts` long (several
 * values make a chain of segments), as DPDK's txonly.c. The headers are built once per stream
 * and copied in. With `--txonly-multi-flow` each packet's IPv4 source is
 * `(destination | n << 8) + lcore`, n counting 0-255 per lcore, and its header checksum is
 * recomputed, as DPDK's; the variant is chosen once per stream at init.
 */
import { MBUF_INDEX_MASK, MBUF_PORT_INVALID, M16_DATA_LEN, M16_NB_SEGS, M_NEXT, mbufFreeBulk, type Mempool } from '@dpkit/eal';
import { dataOffset, transmit, type ForwardEngine, type FwdStream } from '../engine.js';
import { ipv4HeaderChecksum } from './common.js';

const INDEX_MASK = MBUF_INDEX_MASK;
// module-local copies: imported bindings are re-checked on every use in hot loops
const NEXT = M_NEXT;
const DATA_LEN = M16_DATA_LEN;
const NB_SEGS = M16_NB_SEGS;
const PORT_INVALID = MBUF_PORT_INVALID;
export const HEADERS = 42;

export interface TxonlyState {
  template: Uint8Array;
  /** the template as 11 little-endian words (44 bytes: the 42 header bytes and 2 of payload) */
  templateWords: Uint32Array;
  total: number;
  segs: number[];
  /** segments 2..N of one packet, allocated together (preallocated) */
  segScratch: Uint32Array;
}

/** txonly's per-stream state: the burst builder chosen at init (single- or multi-flow). */
interface TxonlyStreamState extends TxonlyState {
  build: (s: FwdStream, st: TxonlyStreamState) => number;
  /** the single- or multi-segment builder (multi-flow rewrites what it built) */
  buildPackets: (s: FwdStream, st: TxonlyState) => number;
  /** multi-flow: the destination address and the lcore id the source is made from */
  flowBase: number;
  lcore: number;
}

/** The template padded to 44 bytes, as words. */
export function templateWords(t: Uint8Array): Uint32Array {
  const padded = new Uint8Array(44);
  padded.set(t);
  return new Uint32Array(padded.buffer);
}

/** Ethernet + IPv4 + UDP headers for a packet of `total` bytes. */
export function udpTemplate(dstMac: ArrayLike<number>, srcMac: ArrayLike<number>, total: number, src: number, dst: number, sport: number, dport: number): Uint8Array {
  const t = new Uint8Array(HEADERS);
  t.set(dstMac, 0);
  t.set(srcMac, 6);
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

/** this lcore's next multi-flow source number (DPDK's per-lcore ip_var; each lcore imports this module in its own thread) */
const lcoreVar = { ip: 0 };

/**
 * Allocates a burst with its lengths set, chains extra segments, and copies the template in.
 * Returns how many packets it built: when the segments of a packet cannot be allocated, that
 * packet and the rest of the burst go back to the pool and the burst is sent short, as
 * DPDK's txonly does. (txonly itself picks buildSingleSegment or buildSegmented once per
 * stream; this is for engines that share txonly's state.)
 */
export function buildBurst(s: FwdStream, st: TxonlyState): number {
  return st.segs.length > 1 ? buildSegmented(s, st) : buildSingleSegment(s, st);
}

/** One segment a packet: allocated with pkt_len = data_len = the packet's length (allocBulkLen), the template copied in. */
function buildSingleSegment(s: FwdStream, st: TxonlyState): number {
  const pkts = s.pkts;
  const n = s.burst;
  if (!s.pool.allocBulkLen(pkts, 0, n, st.total, PORT_INVALID)) return 0;
  copyTemplate(s.pool, pkts, n, st);
  return n;
}

/** --txpkts of several values: as buildSingleSegment, then each first segment's data_len set and segments 2..N chained. */
function buildSegmented(s: FwdStream, st: TxonlyState): number {
  const pool = s.pool;
  const pkts = s.pkts;
  const n = s.burst;
  if (!pool.allocBulkLen(pkts, 0, n, st.total, PORT_INVALID)) return 0;
  const h16 = pool.h16;
  const first = st.segs[0]!;
  for (let i = 0; i < n; i++) {
    const b = (pkts[i]! & INDEX_MASK) << 4;
    if (!chainSegments(pool, b, st)) {
      mbufFreeBulk(pkts, i, n - i);
      copyTemplate(pool, pkts, i, st);
      return i;
    }
    h16[(b << 1) + DATA_LEN] = first;
  }
  copyTemplate(pool, pkts, n, st);
  return n;
}

/**
 * Copies the template into the first segment of pkts[0..n), fresh from allocBulkLen (so their
 * data starts at the pool's headroom).
 */
function copyTemplate(pool: Mempool, pkts: Uint32Array, n: number, st: TxonlyState): void {
  const words = pool.words;
  const dataStart = pool.dataOffset + pool.headroom;
  const elt = pool.eltSize;
  const tw = st.templateWords;
  const t0 = tw[0]!, t1 = tw[1]!, t2 = tw[2]!, t3 = tw[3]!, t4 = tw[4]!, t5 = tw[5]!;
  const t6 = tw[6]!, t7 = tw[7]!, t8 = tw[8]!, t9 = tw[9]!, t10 = tw[10]!;
  for (let i = 0; i < n; i++) {
    const off = dataStart + (pkts[i]! & INDEX_MASK) * elt;
    if ((off & 3) === 0) {
      // 11 word stores instead of a TypedArray.set call per packet; the 2 bytes past the
      // headers land in the payload (or the buffer's tailroom for a 42-byte packet)
      const k = off >>> 2;
      words[k] = t0; words[k + 1] = t1; words[k + 2] = t2; words[k + 3] = t3;
      words[k + 4] = t4; words[k + 5] = t5; words[k + 6] = t6; words[k + 7] = t7;
      words[k + 8] = t8; words[k + 9] = t9; words[k + 10] = t10;
    } else {
      pool.bytes.set(st.template, off);
    }
  }
}

/**
 * --txpkts with several segments: allocates segments 2..N together and chains them behind
 * header `b` (pkt_len is the caller's); false, with nothing allocated, when the pool has not
 * enough.
 */
function chainSegments(pool: Mempool, b: number, st: TxonlyState): boolean {
  const segs = st.segScratch;
  const nsegs = st.segs.length;
  if (!pool.allocBulk(segs, 0, nsegs - 1)) return false;
  const h32 = pool.h32;
  const h16 = pool.h16;
  let last = b;
  for (let k = 1; k < nsegs; k++) {
    const seg = segs[k - 1]!;
    const sb = (seg & INDEX_MASK) << 4;
    h16[(sb << 1) + DATA_LEN] = st.segs[k]!;
    h32[last + NEXT] = seg + 1; // handle + 1
    last = sb;
  }
  h16[(b << 1) + NB_SEGS] = nsegs;
  return true;
}

/** --txonly-multi-flow: buildBurst, then each packet's IPv4 source varied and its checksum redone. */
function buildBurstMultiFlow(s: FwdStream, st: TxonlyStreamState): number {
  const n = st.buildPackets(s, st);
  const pool = s.pool;
  const b = pool.bytes;
  const pkts = s.pkts;
  const base = st.flowBase;
  const lcore = st.lcore;
  let v = lcoreVar.ip;
  for (let i = 0; i < n; i++) {
    const ip = dataOffset(pool, pkts[i]!) + 14;
    const src = ((base | (v << 8)) + lcore) | 0;
    b[ip + 12] = src >>> 24;
    b[ip + 13] = (src >>> 16) & 0xff;
    b[ip + 14] = (src >>> 8) & 0xff;
    b[ip + 15] = src & 0xff;
    ipv4HeaderChecksum(b, ip);
    v = (v + 1) & 0xff;
  }
  lcoreVar.ip = v;
  return n;
}

export function sendBurst(s: FwdStream, n: number): void {
  if (n > 0) transmit(s, n);
}

export function txonlyInit(s: FwdStream): void {
  const total = s.cfg.txpkts.reduce((a, b) => a + b, 0);
  const segs = s.cfg.txpkts.length > 1 && s.cfg.txpkts[0]! < HEADERS ? [total] : s.cfg.txpkts;
  const tx = s.cfg.txonly;
  const template = udpTemplate(s.peerMac, s.txMac, total, tx.ipSrc, tx.ipDst, tx.udpSrc, tx.udpDst);
  const buildPackets = segs.length > 1 ? buildSegmented : buildSingleSegment;
  s.state = {
    template, templateWords: templateWords(template), total, segs, segScratch: new Uint32Array(Math.max(1, segs.length - 1)),
    buildPackets, build: tx.multiFlow ? buildBurstMultiFlow : buildPackets, flowBase: tx.ipDst | 0, lcore: s.cfg.lcore,
  } satisfies TxonlyStreamState;
}

export const engine: ForwardEngine = {
  name: 'txonly',
  streamInit: txonlyInit,
  packetFwd(s: FwdStream): void {
    const st = s.state as TxonlyStreamState;
    sendBurst(s, st.build(s, st));
  },
};
