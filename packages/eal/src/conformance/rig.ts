/**
 * The conformance suite's rig: an EAL with the device under test, a pool as the port needs
 * it, queues set up; and the helpers its cases share (expected errors, sending frames,
 * receiving them with every mbuf inspected). Internal to @dpkit/eal/testing.
 */
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { onlineCpus } from '../args/corelist.js';
import type { Bus, Driver } from '../driver/types.js';
import { Eal } from '../eal.js';
import { DpkitError } from '../errors.js';
import type { EthDev } from '../ethdev/ethdev.js';
import { mbufFreeBulk } from '../mbuf/mbuf.js';
import type { Mempool } from '../mbuf/mempool.js';
import { checkRxMbuf, checkSuiteFrame, writeSuiteFrame } from './frames.js';

export interface ConformanceOptions {
  /** the drivers to register */
  drivers: readonly Driver[];
  /** extra buses the device needs */
  buses?: () => readonly Bus[];
  /** devargs of one device under test (its first port is tested), e.g. `net_null0,size=64` */
  vdev: string;
  /** rx returns packets without anything sent (net_null) */
  rxGenerates?: boolean;
  /** what a tx queue sends comes back on the same port's rx queue (net_ring) */
  loopback?: boolean;
  /** queue pairs to configure (default 2, or 1 if the driver has one) */
  queues?: number;
  /** extra EAL arguments */
  eal?: readonly string[];
}

export const POOL_SIZE = 4096;
let prefixSeq = 0;

export interface Rig {
  o: ConformanceOptions;
  eal: Eal;
  dev: EthDev;
  pool: Mempool;
  queues: number;
}

export async function withRig(o: ConformanceOptions, fn: (r: Rig) => Promise<void>, setup = true): Promise<void> {
  const lcores = onlineCpus().length > 1 ? '0-1' : '0';
  const prefix = `conformance-${process.pid}-${threadId}-${prefixSeq++}`; // test runners' worker threads share a pid
  const eal = await Eal.init(['-l', lcores, '--no-pci', `--file-prefix=${prefix}`, `--vdev=${o.vdev}`, ...(o.eal ?? [])], {
    drivers: o.drivers, buses: o.buses?.(),
  });
  assert.ok(eal, 'Eal.init returned no EAL');
  try {
    const dev = eal.ethdevs.list()[0];
    assert.ok(dev, `probing ${o.vdev} created no port`);
    const info = dev.info();
    // pools as the port needs them (AF_XDP: memfd memory, 2048-byte buffers)
    const needs = info.rxPoolNeeds;
    const pool = eal.mempoolCreate('conformance', {
      size: POOL_SIZE, cacheSize: 64, ...(needs?.memory ? { memory: needs.memory } : {}),
      ...(needs?.bufSizes ? { dataRoomSize: needs.bufSizes[0] } : {}),
    });
    const queues = Math.min(o.queues ?? 2, info.maxRxQueues, info.maxTxQueues);
    if (setup) await setUp(dev, pool, queues);
    await fn({ o, eal, dev, pool, queues });
  } finally {
    for (const d of eal.ethdevs.list()) {
      if (d.started) await d.stop();
    }
    await eal.cleanup();
  }
}

export async function setUp(dev: EthDev, pool: Mempool, queues: number): Promise<void> {
  const info = dev.info();
  const rxd = clampDesc(512, info.rxDescLimits);
  const txd = clampDesc(512, info.txDescLimits);
  await dev.configure(queues, queues);
  for (let q = 0; q < queues; q++) {
    await dev.rxQueueSetup(q, rxd, 0, {}, pool);
    await dev.txQueueSetup(q, txd, 0, {});
  }
}

function clampDesc(want: number, lim: { min: number; max: number; align: number }): number {
  const n = Math.min(Math.max(want, lim.min), lim.max);
  return n - (n % lim.align);
}

export async function rejects(p: Promise<unknown> | (() => unknown), code: string | undefined, what: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof DpkitError, `${what}: expected a DpkitError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `${what}: the error must be one line`);
    if (code) assert.equal(err.code, code, `${what}: error code`);
    return;
  }
  assert.fail(`${what}: expected an error`);
}

let frameSeq = 1;

/**
 * Allocates `n` suite frames of `len(i)` bytes into pkts[start..start+n) (numbered from a
 * suite-wide sequence); returns their sequence numbers.
 */
export function makeFrames(r: Rig, pkts: Uint32Array, start: number, n: number, len: (i: number) => number): number[] {
  assert.ok(r.pool.allocBulk(pkts, start, n), 'pool ran dry');
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const seq = frameSeq++;
    writeSuiteFrame(r.pool, pkts[start + i]!, len(i), seq);
    seqs.push(seq);
  }
  return seqs;
}

/** Sends `n` fresh suite frames of `len` bytes on (port, queue); returns how many went and their bytes. */
export function sendFresh(r: Rig, queue: number, n: number, len: number | ((i: number) => number)): { sent: number; bytes: number; seqs: number[] } {
  const pkts = new Uint32Array(n);
  const lenOf = typeof len === 'number' ? () => len : len;
  const seqs = makeFrames(r, pkts, 0, n, lenOf);
  const sent = r.dev.txBurst(queue, pkts, 0, n);
  if (sent < n) mbufFreeBulk(pkts, sent, n - sent);
  let bytes = 0;
  for (let i = 0; i < sent; i++) bytes += lenOf(i);
  return { sent, bytes, seqs: seqs.slice(0, sent) };
}

/** How long the suite waits for packets a port has not delivered yet (real NICs and kernel
 * rings deliver late: TPACKET_V3 hands a block over after a timer) */
export const RX_WAIT_MS = 2000;
const nap = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps this thread ~1 ms (between empty polls). */
export function pause(): void {
  Atomics.wait(nap, 0, 0, 1);
}

export interface Received {
  count: number;
  /** sum of pkt_len of what rx returned */
  bytes: number;
  /** sequence numbers of the suite frames among them (intact: length and content checked) */
  seqs: number[];
}

/**
 * Receives until `want` packets (or, with `untilSeqs`, until every one of those suite frames
 * came), or RX_WAIT_MS without one; checks every mbuf's header (and, on a loopback port, the
 * bytes of the suite frames); frees them.
 */
export function receive(r: Rig, queue: number, want: number, untilSeqs?: readonly number[]): Received {
  const pkts = new Uint32Array(32);
  const out: Received = { count: 0, bytes: 0, seqs: [] };
  const missing = new Set(untilSeqs);
  const more = () => (untilSeqs ? missing.size > 0 : out.count < want);
  let last = Date.now();
  for (let tries = 0; more() && tries < 100_000; tries++) {
    const ask = untilSeqs ? 32 : Math.min(32, want - out.count);
    const n = r.dev.rxBurst(queue, pkts, 0, ask);
    if (n === 0 && !r.dev.started) break;
    assert.ok(n <= ask, `rx queue ${queue} returned ${n} packets for a burst of ${ask}`);
    for (let i = 0; i < n; i++) {
      const m = pkts[i]!;
      out.bytes += checkRxMbuf(r, m, `rx queue ${queue}`);
      // a port that makes packets up (net_null) returns whatever its buffers held: only
      // loopback ports bring back what the suite sent
      const seq = r.o.loopback ? checkSuiteFrame(r.pool, m, `rx queue ${queue}`) : 0;
      if (seq > 0) {
        out.seqs.push(seq);
        missing.delete(seq);
      }
    }
    out.count += n;
    mbufFreeBulk(pkts, 0, n);
    if (n > 0) last = Date.now();
    else if (Date.now() - last > RX_WAIT_MS) break;
    else if (tries > 1000) pause();
  }
  return out;
}

/** Frees whatever queue `queue` holds now (bounded: at most 1000 bursts). */
export function drain(r: Rig, queue: number): void {
  const pkts = new Uint32Array(32);
  for (let i = 0, n = 1; n > 0 && i < 1000; i++) {
    n = r.dev.rxBurst(queue, pkts, 0, 32);
    mbufFreeBulk(pkts, 0, n);
  }
}
