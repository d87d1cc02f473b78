/**
 * The driver-facing mbuf helpers (next segment, rx lengths/port, copy in and out across
 * chains, the one header reset), checked on exact header words and packet bytes, and the
 * published declarations checked for a doc comment on every export.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { MemoryManager } from '../memory/region.js';
import { Mempool } from '../mbuf/mempool.js';
import {
  MBUF_INDEX_MASK, MBUF_PORT_INVALID, MBUF_POOL_SHIFT, mbufHeaderReset,
} from '../mbuf/layout.js';
import {
  mbufAppend, mbufChain, mbufDataLen, mbufFree, mbufHeader, mbufNbSegs, mbufNext, mbufPktLen, mbufPort, mbufRead,
  mbufReset, mbufSetRx, mbufWrite,
} from '../mbuf/mbuf.js';
import * as driverSdk from '../driver.js';
import { setLcoreId } from '../lcore/current.js';

setLcoreId(0);

const SOIL = 0xdeadbeef;

/** The 16 header words of `m`. */
function words(m: number): number[] {
  const pool = Mempool.fromHandle(m);
  const b = mbufHeader(m);
  return [...pool.h32.subarray(b, b + 16)];
}

function soil(m: number): void {
  const pool = Mempool.fromHandle(m);
  const b = mbufHeader(m);
  for (let i = 0; i < 16; i++) if (i !== 4) pool.h32[b + i] = SOIL; // word 4: refcnt | pool id
}

/** Fills the data of every segment of `m` with its packet offset + `base` (mod 256). */
function fillData(m: number, base: number): void {
  let off = 0;
  for (let s = m; s !== -1; s = mbufNext(s)) {
    const pool = Mempool.fromHandle(s);
    const at = pool.bufOffset(s) + pool.h16[mbufHeader(s) * 2 + 5]!;
    for (let i = 0; i < mbufDataLen(s); i++) pool.bytes[at + i] = (base + off++) & 0xff;
  }
}

/** The packet's bytes, read straight from the segments. */
function packetBytes(m: number): number[] {
  const out: number[] = [];
  for (let s = m; s !== -1; s = mbufNext(s)) {
    const pool = Mempool.fromHandle(s);
    const at = pool.bufOffset(s) + pool.h16[mbufHeader(s) * 2 + 5]!;
    out.push(...pool.bytes.subarray(at, at + mbufDataLen(s)));
  }
  return out;
}

const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** Two pools (the second's handles carry pool id 1 in their top bits) and a 3-segment chain
 * of 10 + 20 + 30 bytes whose middle segment is in the second pool. */
function withChain(run: (a: number, b: number, c: number, p0: Mempool, p1: Mempool) => void): void {
  const mem = new MemoryManager();
  const p0 = Mempool.create(mem, `h0-${Math.random()}`, { size: 64, headroom: 64, dataRoomSize: 64 + 256 });
  const p1 = Mempool.create(mem, `h1-${Math.random()}`, { size: 64 });
  try {
    const a = p0.alloc();
    const b = p1.alloc();
    const c = p0.alloc();
    mbufAppend(a, 10); mbufAppend(b, 20); mbufAppend(c, 30);
    mbufChain(a, b);
    mbufChain(a, c);
    run(a, b, c, p0, p1);
  } finally {
    p0.release(mem);
    p1.release(mem);
  }
}

test('mbufHeaderReset writes exactly the reset header, with data_off, lengths and port given', (t) => {
  withChain((a, b, c) => {
    mbufFree(a);
    t.not(b >>> MBUF_POOL_SHIFT, c >>> MBUF_POOL_SHIFT, 'the chain spans two pools');
    const pool = Mempool.fromHandle(a);
    const m = pool.alloc();
    const refPool = words(m)[4]!;
    soil(m);
    const h = mbufHeader(m);
    mbufHeaderReset(pool.h32, pool.h64, h, 200, 60, 3);
    t.deepEqual(words(m), [
      0, 60, ((200 << 16) | 60) >>> 0, (1 << 16) | 3, refPool, SOIL, 0, 0, 0, 0, 0, 0, SOIL, SOIL, SOIL, SOIL,
    ], 'next, pkt_len, data_off|data_len, nb_segs|port, flags/ptype/vlan/offloads cleared; refcnt, rss, user words kept');
    soil(m);
    mbufReset(m);
    t.deepEqual(words(m), [
      0, 0, (64 << 16) >>> 0, (1 << 16) | MBUF_PORT_INVALID, refPool, SOIL, 0, 0, 0, 0, 0, 0, SOIL, SOIL, SOIL, SOIL,
    ], 'mbufReset: data_off = the pool headroom, lengths 0, port invalid');
    mbufFree(m);
  });
});

test('mbufNext walks a chain across pools and ends with -1', (t) => {
  withChain((a, b, c) => {
    t.is(b >>> MBUF_POOL_SHIFT, 1);
    t.is(mbufNext(a), b);
    t.is(mbufNext(b), c);
    t.is(mbufNext(c), -1);
    mbufFree(a);
  });
});

test('mbufSetRx sets pkt_len, data_len and port, and refuses a length past the buffer', (t) => {
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, `rx-${Math.random()}`, { size: 8, headroom: 128, dataRoomSize: 128 + 1000 });
  try {
    const m = pool.alloc();
    t.true(mbufSetRx(m, 1000, 5), 'exactly the data room fits');
    t.deepEqual([mbufPktLen(m), mbufDataLen(m), mbufPort(m), mbufNbSegs(m)], [1000, 1000, 5, 1]);
    const before = words(m);
    t.false(mbufSetRx(m, 1001, 6), 'one byte more does not');
    t.deepEqual(words(m), before, 'and writes nothing');
    mbufFree(m);
  } finally {
    pool.release(mem);
  }
});

test('mbufRead copies out across segment boundaries, exactly, and refuses out-of-range reads', (t) => {
  withChain((a) => {
    fillData(a, 100);
    t.deepEqual(packetBytes(a), seq(100, 60));
    const dst = new Uint8Array(70).fill(0xee);
    t.is(mbufRead(a, 0, 60, dst, 5), 60, 'the whole packet');
    t.deepEqual([...dst], [...Array(5).fill(0xee), ...seq(100, 60), ...Array(5).fill(0xee)], 'at dstOff, nothing around it');
    const cases: [number, number][] = [[5, 30], [10, 20], [9, 2], [29, 2], [30, 30], [59, 1], [0, 10], [60, 0]];
    for (const [off, len] of cases) {
      dst.fill(0xee);
      t.is(mbufRead(a, off, len, dst, 0), len, `off ${off} len ${len}`);
      t.deepEqual([...dst.subarray(0, len + 1)], [...seq(100 + off, len), 0xee], `off ${off} len ${len}: bytes`);
    }
    dst.fill(0xee);
    t.is(mbufRead(a, 30, 31, dst, 0), -1, 'one past pkt_len');
    t.is(mbufRead(a, 0, 60, dst, 11), -1, 'dst one byte short');
    t.is(mbufRead(a, -1, 2, dst, 0), -1, 'negative offset');
    t.true(dst.every((x) => x === 0xee), 'a refused read copies nothing');
    mbufFree(a);
  });
});

test('mbufWrite copies in across segment boundaries, exactly, within the segments\' lengths', (t) => {
  withChain((a, b, c, p0) => {
    const src = Uint8Array.from(seq(0, 80));
    // every byte of each buffer soiled, so a write past data_len (headroom, tailroom) shows
    for (const s of [a, b, c]) {
      const pool = Mempool.fromHandle(s);
      pool.bytes.fill(0x55, pool.bufOffset(s), pool.bufOffset(s) + pool.eltSize);
    }
    t.is(mbufWrite(a, 5, 40, src, 7), 40, 'from the first segment into the third');
    t.deepEqual(packetBytes(a), [...Array(5).fill(0x55), ...seq(7, 40), ...Array(15).fill(0x55)]);
    t.is(mbufWrite(a, 0, 60, src, 20), 60, 'the whole packet');
    t.deepEqual(packetBytes(a), seq(20, 60));
    for (const s of [a, b, c]) {
      const pool = Mempool.fromHandle(s);
      const start = pool.bufOffset(s) + pool.h16[mbufHeader(s) * 2 + 5]!;
      const end = start + mbufDataLen(s);
      t.true(pool.bytes.subarray(pool.bufOffset(s), start).every((x) => x === 0x55), 'headroom untouched');
      t.true(pool.bytes.subarray(end, pool.bufOffset(s) + pool.eltSize).every((x) => x === 0x55), 'tailroom untouched');
    }
    const before = packetBytes(a);
    t.is(mbufWrite(a, 1, 60, src, 0), -1, 'past pkt_len');
    t.is(mbufWrite(a, 0, 60, src, 21), -1, 'src one byte short');
    t.deepEqual(packetBytes(a), before, 'a refused write copies nothing');
    // a whole source array landing in one segment (the TypedArray.set path)
    const ten = Uint8Array.from(seq(200, 10));
    t.is(mbufWrite(a, 0, 10, ten, 0), 10);
    const twenty = Uint8Array.from(seq(150, 20));
    t.is(mbufWrite(a, 10, 20, twenty, 0), 20, 'into the second segment, exactly');
    t.deepEqual(packetBytes(a), [...seq(200, 10), ...seq(150, 20), ...seq(50, 30)]);
    // part of a source array into one segment: only those bytes, nothing after them
    const pool = Mempool.fromHandle(a);
    pool.bytes.fill(0x55, pool.bufOffset(a), pool.bufOffset(a) + pool.eltSize);
    t.is(mbufWrite(a, 2, 5, src, 0), 5);
    t.deepEqual(packetBytes(a).slice(0, 10), [0x55, 0x55, ...seq(0, 5), 0x55, 0x55, 0x55]);
    const tail = pool.bufOffset(a) + pool.h16[mbufHeader(a) * 2 + 5]! + 10;
    t.true(pool.bytes.subarray(tail, pool.bufOffset(a) + pool.eltSize).every((x) => x === 0x55), 'tailroom untouched');
    t.is(Mempool.fromHandle(c), p0);
    mbufFree(a);
  });
});

test('the helpers allocate nothing: 0 garbage collections over 300k calls each', async (t) => {
  const mem = new MemoryManager();
  const pool = Mempool.create(mem, `gc-${Math.random()}`, { size: 8 });
  try {
    const a = pool.alloc();
    const b = pool.alloc();
    mbufAppend(a, 700); mbufAppend(b, 700);
    mbufChain(a, b);
    const buf = new Uint8Array(1400);
    const one = new Uint8Array(700);
    const b0 = mbufHeader(a);
    const loop = (n: number): number => {
      let x = 0;
      for (let i = 0; i < n; i++) {
        x += mbufRead(a, i & 63, 1000, buf, 0);
        x += mbufWrite(a, i & 63, 1000, buf, 0);
        x += mbufWrite(a, 0, 700, one, 0);
        x += mbufNext(a);
        x += mbufSetRx(b, 700, i & 7) ? 1 : 0;
        mbufHeaderReset(pool.h32, pool.h64, (b & MBUF_INDEX_MASK) << 4, 128, 700, 1);
        x += pool.h32[b0]!;
      }
      return x;
    };
    loop(20_000); // warm up: compile
    let gcs = 0;
    const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
    obs.observe({ entryTypes: ['gc'] });
    loop(300_000);
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    t.is(gcs, 0);
    mbufFree(a);
  } finally {
    pool.release(mem);
  }
});

test('the published declarations document every mbuf export, and the driver SDK exports them', (t) => {
  for (const f of ['layout', 'mbuf', 'mempool']) {
    const lines = readFileSync(new URL(`../mbuf/${f}.d.ts`, import.meta.url), 'utf8').split('\n');
    const bare = lines.filter((l, i) => /^\s*(export declare|export interface|readonly |static |[a-zA-Z]\w*\??[(:])/.test(l) &&
      !/^\s*private /.test(l) && !/^\s*\*\/\s*$|\*\/\s*$/.test(lines[i - 1] ?? ''));
    t.deepEqual(bare, [], `${f}.d.ts: exports without a doc comment`);
  }
  for (const name of ['mbufHeaderReset', 'mbufNext', 'mbufSetRx', 'mbufRead', 'mbufWrite', 'mbufReset', 'M_PKT_LEN', 'M64_OL_FLAGS', 'M16_PORT']) {
    t.is(typeof (driverSdk as Record<string, unknown>)[name] === 'undefined', false, `@dpkit/eal/driver exports ${name}`);
  }
});
