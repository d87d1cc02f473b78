/**
 * noisy: a "noisy neighbour" VNF (DPDK's noisy_vnf.c). It forwards as io does, and on the way:
 *
 * - with `--noisy-lkup-memory=N` (MB) and `--noisy-lkup-num-writes|reads|reads-writes`, does
 *   that many random writes, reads, and read-then-writes per packet in N MB of memory (one
 *   cache line each, spread over the whole area) to load the caches as a VNF's lookups would;
 *   lookups asked without memory are refused at start, as DPDK's `--noisy-lkup-memory-size
 *   must be > 0`;
 * - with `--noisy-tx-sw-buffer-size=N` (a power of 2, as DPDK's rte_ring needs; it holds N - 1
 *   packets), puts what it receives in a FIFO instead of sending it. When a burst does not
 *   fit, as many of the oldest packets as the burst has go out first and the burst takes their
 *   place; what still does not fit (a FIFO smaller than a burst) is freed and counted in
 *   TX-dropped (DPDK's 22.11 loses those mbufs);
 * - with `--noisy-tx-sw-buffer-flushtime=MS` as well, a poll that sent nothing sends the whole
 *   FIFO once MS milliseconds have passed since the last flush (the time is a millisecond
 *   clock the main lcore keeps in shared memory while forwarding: reading a clock on the
 *   forwarding lcore would allocate).
 *
 * What the tx queue refuses is freed and counted in TX-dropped, and at `stop` what the FIFO
 * still holds is sent (what the queue refuses then is counted too): nothing is lost silently.
 * dpkit keeps a FIFO and a memory area per stream (DPDK one per rx port); with one rx queue
 * per port that is the same. The variant (plain, buffered, buffered with a flush time) is chosen
 * at stream init.
 */
import { mbufFreeBulk } from '@dpkit/eal';
import { FwdStat, transmit, type ForwardEngine, type FwdStream, type NoisyConfig } from '../engine.js';
import { MAX_PKT_BURST } from '../../params.js';

const RX = FwdStat.RX;
const TX = FwdStat.TX;
const DROPPED = FwdStat.DROPPED;
const CACHE_LINE = 64;

interface NoisyState {
  cfg: NoisyConfig;
  /** the FIFO: a ring of `mask + 1` slots holding at most `mask` packets */
  fifo: Uint32Array;
  mask: number;
  /** [0] the next slot to take from, [1] packets in the FIFO, [2] the xorshift state */
  ring: Int32Array;
  /** packets taken from the FIFO to send */
  out: Uint32Array;
  /** [0] the clock at the last flush (ms) */
  lastFlush: Float64Array;
  clock: Float64Array;
  /** --noisy-lkup-memory, or an empty array when there are no lookups */
  memory: Uint8Array;
  lines: number;
  run: (s: FwdStream, st: NoisyState) => unknown;
}

/** xorshift32: the next pseudo-random non-negative 31-bit number (rte_rand's role). */
function random(ring: Int32Array): number {
  let x = ring[2]!;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  ring[2] = x;
  return x & 0x7fffffff;
}

/** sim_memory_lookups: the configured random accesses for `n` packets. */
function lookups(st: NoisyState, n: number): void {
  const mem = st.memory;
  const lines = st.lines;
  if (lines === 0) return;
  const ring = st.ring;
  const { writes, reads, readsWrites } = st.cfg;
  let sink = 0;
  for (let p = 0; p < n; p++) {
    for (let j = 0; j < writes; j++) mem[(random(ring) % lines) * CACHE_LINE] = random(ring);
    for (let j = 0; j < reads; j++) sink += mem[(random(ring) % lines) * CACHE_LINE]!;
    for (let j = 0; j < readsWrites; j++) {
      const at = (random(ring) % lines) * CACHE_LINE;
      sink += mem[at]!;
      mem[at] = random(ring);
    }
  }
  // the reads' results go somewhere, so that V8 cannot drop them
  ring[3] = sink;
}

/** Sends out[0..n): counts what went, frees and counts as dropped what the queue refused. Returns what went. */
function send(s: FwdStream, out: Uint32Array, n: number): number {
  const sent = s.txq.txBurst(out, 0, n);
  s.stats[TX] += sent;
  if (sent < n) {
    s.stats[DROPPED] += n - sent;
    mbufFreeBulk(out, sent, n - sent);
  }
  return sent;
}

/** Takes up to `n` of the oldest packets out of the FIFO into `st.out`; returns how many. */
function dequeue(st: NoisyState, n: number): number {
  const ring = st.ring;
  const k = Math.min(n, ring[1]!);
  const fifo = st.fifo;
  const out = st.out;
  const mask = st.mask;
  let at = ring[0]!;
  for (let i = 0; i < k; i++) {
    out[i] = fifo[at]!;
    at = (at + 1) & mask;
  }
  ring[0] = at;
  ring[1] = ring[1]! - k;
  return k;
}

/** Puts pkts[0..n) at the FIFO's end (the caller made room). */
function enqueue(st: NoisyState, pkts: Uint32Array, n: number): void {
  const ring = st.ring;
  const fifo = st.fifo;
  const mask = st.mask;
  let at = (ring[0]! + ring[1]!) & mask;
  for (let i = 0; i < n; i++) {
    fifo[at] = pkts[i]!;
    at = (at + 1) & mask;
  }
  ring[1] = ring[1]! + n;
}

/** No FIFO: io with the lookups. */
function forwardPlain(s: FwdStream, st: NoisyState): void {
  const nbRx = s.rxq.rxBurst(s.pkts, 0, s.burst);
  if (nbRx === 0) return;
  s.stats[RX] += nbRx;
  lookups(st, nbRx);
  transmit(s, nbRx);
}

/** With the FIFO: one burst in, and out what it pushes out; returns how many were sent. */
function forwardBuffered(s: FwdStream, st: NoisyState): number {
  const pkts = s.pkts;
  const nbRx = s.rxq.rxBurst(pkts, 0, s.burst);
  let sent = 0;
  if (nbRx > 0) {
    s.stats[RX] += nbRx;
    const ring = st.ring;
    if (st.mask - ring[1]! >= nbRx) {
      enqueue(st, pkts, nbRx);
      lookups(st, nbRx);
    } else {
      // full: the oldest go out, the new take their place
      const n = dequeue(st, nbRx);
      if (n > 0) sent = send(s, st.out, n);
      const fit = Math.min(nbRx, st.mask - ring[1]!);
      enqueue(st, pkts, fit);
      if (fit < nbRx) {
        s.stats[DROPPED] += nbRx - fit;
        mbufFreeBulk(pkts, fit, nbRx - fit);
      }
      lookups(st, fit);
    }
  }
  return sent;
}

/** With the FIFO and --noisy-tx-sw-buffer-flushtime: a poll that sent nothing sends the FIFO once the time has come. */
function forwardBufferedFlushed(s: FwdStream, st: NoisyState): void {
  if (forwardBuffered(s, st) > 0 || st.ring[1] === 0) return;
  const now = st.clock[0]!;
  if (now - st.lastFlush[0]! >= st.cfg.flushTimeMs) {
    flush(s, st);
    st.lastFlush[0] = now;
  }
}

/** Sends everything the FIFO holds, a burst at a time. */
function flush(s: FwdStream, st: NoisyState): void {
  while (st.ring[1]! > 0) send(s, st.out, dequeue(st, MAX_PKT_BURST));
}

export const engine: ForwardEngine = {
  name: 'noisy',
  streamInit(s: FwdStream): void {
    const cfg = s.cfg.noisy!;
    const size = cfg.bufferSize;
    const memory = cfg.lkupMemoryMb > 0 && cfg.writes + cfg.reads + cfg.readsWrites > 0 ? new Uint8Array(cfg.lkupMemoryMb * 1024 * 1024) : new Uint8Array(0);
    const clock = new Float64Array(cfg.clock);
    const ring = new Int32Array(4);
    ring[2] = 0x2545f491 ^ (s.cfg.rxPort << 8) ^ s.cfg.rxQueue; // any non-zero seed
    s.state = {
      cfg, fifo: new Uint32Array(Math.max(1, size)), mask: Math.max(0, size - 1), ring, out: new Uint32Array(MAX_PKT_BURST),
      lastFlush: Float64Array.of(clock[0]!), clock, memory, lines: memory.length / CACHE_LINE,
      run: size === 0 ? forwardPlain : cfg.flushTimeMs > 0 ? forwardBufferedFlushed : forwardBuffered,
    } satisfies NoisyState;
  },
  packetFwd(s: FwdStream): void {
    const st = s.state as NoisyState;
    st.run(s, st);
  },
  streamEnd(s: FwdStream): void {
    const st = s.state as NoisyState;
    if (st.mask > 0) flush(s, st);
  },
};
