/**
 * The capture ring between a forwarding lcore's tap and the capturing process's reader, over
 * one memfd region mapped twice (as an lcore and dumpcap map it): the bytes, lengths, port,
 * queue and direction come back as captured, snaplen cuts, records never split at the ring's
 * end, a full ring (its record limit or its bytes) drops and counts instead of waiting, and the
 * selector picks the queue.
 */
import test from 'ava';
import { hasLinux, linux } from '../linux/native.js';
import { MemoryManager } from '../memory/region.js';
import { Mempool } from '../mbuf/mempool.js';
import { mbufFreeBulk, mbufSetRx, mbufWrite } from '../mbuf/mbuf.js';
import {
  ALL_QUEUES, DIR_IN, DIR_OUT, H_MAGIC, H_RECORDS, H_RING_BYTES, H_RINGS, H_SNAPLEN, H_VERSION, PDUMP_MAGIC, PDUMP_VERSION,
  regionSize, selectorIndex, type PdumpDescriptor,
} from '../pdump/layout.js';
import { PdumpTap } from '../pdump/tap.js';
import { PdumpReader, type PdumpRecord } from '../pdump/client.js';

const real = hasLinux() ? test : test.skip;
let seq = 0;
const pool = Mempool.create(new MemoryManager(), 'pdump-test', { size: 256, cacheSize: 0 });

/** A region of `rings` rings of `ringBytes`, its header set as Pdump.enable sets it. */
function region(ringBytes: number, snaplen: number, records: number) {
  const size = regionSize(2, ringBytes);
  const m = linux().memfdMap('pdump-test', size);
  const w = new Int32Array(m.buffer);
  Object.assign(w, { [H_MAGIC]: PDUMP_MAGIC, [H_VERSION]: PDUMP_VERSION, [H_RINGS]: 2, [H_RING_BYTES]: ringBytes, [H_SNAPLEN]: snaplen, [H_RECORDS]: records });
  const d: PdumpDescriptor = { id: `test:${m.fd}:${seq++}`, fd: m.fd, size, rings: 2, ringBytes };
  const reader = new PdumpReader({ ...d, pid: process.pid, base: {} });
  return { d, w, reader, close: () => linux().close(m.fd) };
}

/** n mbufs whose bytes are (seed + i) & 0xff, of the given lengths. */
function packets(lens: number[], seed: number): Uint32Array {
  const pkts = new Uint32Array(lens.length);
  if (!pool.allocBulk(pkts, 0, lens.length)) throw new Error('pool empty');
  lens.forEach((len, k) => {
    mbufSetRx(pkts[k]!, len, 0);
    mbufWrite(pkts[k]!, 0, len, Uint8Array.from({ length: len }, (_, i) => (seed + k + i) & 0xff), 0);
  });
  return pkts;
}

function drain(reader: PdumpReader): PdumpRecord[] {
  const out: PdumpRecord[] = [];
  reader.poll((r) => out.push({ ...r, data: Uint8Array.from(r.data) }));
  return out;
}

real('records come back with their bytes, cut at snaplen, across many wraps of a small ring', (t) => {
  const r = region(4096, 1000, 1000);
  t.teardown(r.close);
  r.w[selectorIndex(3, 'tx')] = ALL_QUEUES;
  const tap = new PdumpTap(r.d, 1, 3, 2, 'tx');
  t.true(tap.active());
  for (let round = 0; round < 40; round++) {
    const lens = [60, 1400, 333 + round, 64];
    const pkts = packets(lens, round);
    tap.capture(pkts, 0, lens.length);
    const got = drain(r.reader);
    t.is(got.length, 4, `round ${round}`);
    got.forEach((rec, k) => {
      const cap = Math.min(lens[k]!, 1000);
      t.deepEqual([rec.port, rec.queue, rec.dir, rec.origLen, rec.data.length], [3, 2, DIR_OUT, lens[k], cap]);
      t.deepEqual(rec.data, Uint8Array.from({ length: cap }, (_, i) => (round + k + i) & 0xff));
    });
    mbufFreeBulk(pkts, 0, pkts.length);
  }
  t.deepEqual(r.reader.counters(3), [160, 0]);
});

real('a full ring drops and counts the packets that do not fit, by records and by bytes; the reader frees the room', (t) => {
  const r = region(4096, 2000, 3);
  t.teardown(r.close);
  r.w[selectorIndex(0, 'rx')] = ALL_QUEUES;
  const tap = new PdumpTap(r.d, 0, 0, 0, 'rx');
  const small = packets([64, 64, 64, 64, 64], 1);
  tap.capture(small, 0, 5); // the record limit: 3
  t.deepEqual(r.reader.counters(0), [3, 2]);
  t.is(drain(r.reader).length, 3);
  const big = packets([1500, 1500, 1500], 7); // 1536 bytes each: two fit in 4096
  tap.capture(big, 0, 3);
  t.deepEqual(r.reader.counters(0), [5, 3]);
  const got = drain(r.reader);
  t.deepEqual(got.map((x) => [x.dir, x.data.length]), [[DIR_IN, 1500], [DIR_IN, 1500]]);
  tap.capture(big, 2, 1); // room again
  t.is(drain(r.reader).length, 1);
  t.deepEqual(r.reader.counters(0), [6, 3]);
  mbufFreeBulk(small, 0, 5);
  mbufFreeBulk(big, 0, 3);
});

real('the selector: off, every queue, or one queue of the port and direction', (t) => {
  const r = region(4096, 100, 10);
  t.teardown(r.close);
  const q0 = new PdumpTap(r.d, 0, 1, 0, 'rx');
  const q1 = new PdumpTap(r.d, 0, 1, 1, 'rx');
  const tx = new PdumpTap(r.d, 0, 1, 1, 'tx');
  t.deepEqual([q0.active(), q1.active(), tx.active()], [false, false, false]);
  r.w[selectorIndex(1, 'rx')] = 1 + 1; // queue 1
  t.deepEqual([q0.active(), q1.active(), tx.active()], [false, true, false]);
  r.w[selectorIndex(1, 'rx')] = ALL_QUEUES;
  t.deepEqual([q0.active(), q1.active(), tx.active()], [true, true, false]);
  t.false(new PdumpTap(undefined, 0, 1, 0, 'rx').active(), 'no region: never active');
});
