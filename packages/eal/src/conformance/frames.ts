/**
 * What the conformance suite checks in every mbuf a driver's rx returns, and the frames it
 * sends: a broadcast Ethernet frame of the local experimental ethertype 0x88b5 carrying
 * "dpkc", a sequence number, its own length and a pattern derived from both, so a frame that
 * comes back can be matched to the one sent and any changed byte is seen.
 */
import assert from 'node:assert/strict';
import {
  MBUF_HEADER_WORDS, MBUF_INDEX_MASK, MBUF_POOL_SHIFT, M16_DATA_LEN, M16_DATA_OFF, M16_NB_SEGS, M16_PORT, M16_REFCNT,
  M_NEXT, M_OL_FLAGS, M_OL_FLAGS_HI, M_PKT_LEN, OlFlags,
} from '../mbuf/layout.js';
import { mempools, type Mempool } from '../mbuf/mempool.js';

const ETHERTYPE = 0x88b5;
const MAGIC = [0x64, 0x70, 0x6b, 0x63]; // "dpkc"
/** bytes before the pattern: Ethernet header (14), magic (4), sequence (4), length (2) */
const HEADER = 24;
/** the smallest suite frame (a minimum Ethernet frame without its FCS) */
export const MIN_FRAME = 60;
/** the RX_* flags a driver may set (DPDK's RTE_MBUF_F_RX_* in the low 32 bits) */
const RX_FLAGS = Object.values(OlFlags).reduce((a, b) => a | b, 0) | (1 << 5) | (0xffff << 9);

const hex = (m: number) => `0x${m.toString(16)}`;

/** Writes suite frame `seq` of `len` bytes into the fresh mbuf `m`, setting pkt_len and data_len. */
export function writeSuiteFrame(pool: Mempool, m: number, len: number, seq: number): void {
  assert.ok(len >= MIN_FRAME && len <= 0xffff, `suite frames are ${MIN_FRAME}..65535 bytes`);
  const b = (m & MBUF_INDEX_MASK) * MBUF_HEADER_WORDS;
  const off = pool.bufOffset(m) + pool.h16[b * 2 + M16_DATA_OFF]!;
  assert.ok(pool.h16[b * 2 + M16_DATA_OFF]! + len <= pool.eltSize, `a ${len}-byte frame does not fit the pool's buffers`);
  const d = pool.bytes;
  d.fill(0xff, off, off + 6);
  d.set([0x02, 0, 0, 0xc0, 0xff, 0xee], off + 6);
  d[off + 12] = ETHERTYPE >> 8;
  d[off + 13] = ETHERTYPE & 0xff;
  d.set(MAGIC, off + 14);
  new DataView(d.buffer, d.byteOffset + off + 18, 6).setUint32(0, seq, true);
  new DataView(d.buffer, d.byteOffset + off + 22, 2).setUint16(0, len, true);
  for (let i = HEADER; i < len; i++) d[off + i] = (seq + i) & 0xff;
  pool.h32[b + M_PKT_LEN] = len;
  pool.h16[b * 2 + M16_DATA_LEN] = len;
}

/**
 * The sequence number of suite frame `m` after checking every byte of it against what was
 * sent, or 0 when `m` is not a suite frame (another sender on a live link).
 */
export function checkSuiteFrame(pool: Mempool, m: number, where: string): number {
  const b = (m & MBUF_INDEX_MASK) * MBUF_HEADER_WORDS;
  const len = pool.h16[b * 2 + M16_DATA_LEN]!;
  if (len < HEADER || pool.h32[b + M_NEXT] !== 0) return 0;
  const off = pool.bufOffset(m) + pool.h16[b * 2 + M16_DATA_OFF]!;
  const d = pool.bytes;
  if (d[off + 12] !== ETHERTYPE >> 8 || d[off + 13] !== (ETHERTYPE & 0xff) || MAGIC.some((x, i) => d[off + 14 + i] !== x)) return 0;
  const seq = new DataView(d.buffer, d.byteOffset + off + 18, 6).getUint32(0, true);
  const sentLen = new DataView(d.buffer, d.byteOffset + off + 22, 2).getUint16(0, true);
  assert.equal(len, sentLen, `${where}: frame ${seq} was sent with ${sentLen} bytes, rx says data_len ${len}`);
  for (let i = HEADER; i < len; i++) {
    if (d[off + i] !== ((seq + i) & 0xff)) assert.fail(`${where}: frame ${seq}: byte ${i} is ${d[off + i]}, it was sent as ${(seq + i) & 0xff}`);
  }
  return seq;
}

/**
 * Checks the header of mbuf `m` as rx returned it on the rig's port: a handle of the rx
 * queue's pool, one reference, `port` set to the port, a segment chain that ends after
 * `nb_segs` with data lengths adding up to `pkt_len`, each segment's data inside its buffer,
 * and only receive-side offload flags (no TX_* flags; VLAN_STRIPPED only with VLAN, and only
 * when VLAN stripping was asked for). Returns `pkt_len`.
 */
export function checkRxMbuf(r: { dev: { portId: number }; pool: Mempool }, m: number, where: string): number {
  const pool = mempools[m >>> MBUF_POOL_SHIFT];
  assert.ok(pool === r.pool, `${where}: mbuf ${hex(m)} is not a handle of the rx queue's pool`);
  const idx = m & MBUF_INDEX_MASK;
  assert.ok(idx < pool.size, `${where}: mbuf ${hex(m)} is past the end of its pool`);
  const b = idx * MBUF_HEADER_WORDS;
  const h16 = pool.h16;
  const h32 = pool.h32;
  assert.equal(h16[b * 2 + M16_PORT], r.dev.portId, `${where}: mbuf ${hex(m)}: port must be the receiving port`);
  assert.equal(Atomics.load(h16, b * 2 + M16_REFCNT), 1, `${where}: mbuf ${hex(m)}: refcnt`);
  const pktLen = h32[b + M_PKT_LEN]!;
  assert.ok(pktLen > 0, `${where}: mbuf ${hex(m)}: pkt_len is 0`);
  const nbSegs = h16[b * 2 + M16_NB_SEGS]!;
  assert.ok(nbSegs >= 1, `${where}: mbuf ${hex(m)}: nb_segs is 0`);
  let sum = 0;
  let seg = m;
  for (let s = 0; s < nbSegs; s++) {
    const sb = (seg & MBUF_INDEX_MASK) * MBUF_HEADER_WORDS;
    const sp = mempools[seg >>> MBUF_POOL_SHIFT];
    assert.ok(sp, `${where}: mbuf ${hex(m)}: segment ${s} (${hex(seg)}) names no pool`);
    const dataOff = sp.h16[sb * 2 + M16_DATA_OFF]!;
    const dataLen = sp.h16[sb * 2 + M16_DATA_LEN]!;
    assert.ok(dataOff + dataLen <= sp.eltSize, `${where}: mbuf ${hex(m)}: segment ${s} has data_off ${dataOff} + data_len ${dataLen} past its ${sp.eltSize}-byte buffer`);
    sum += dataLen;
    const next = sp.h32[sb + M_NEXT]!;
    if (s === nbSegs - 1) assert.equal(next, 0, `${where}: mbuf ${hex(m)}: the chain goes on after nb_segs ${nbSegs} segments`);
    else {
      assert.notEqual(next, 0, `${where}: mbuf ${hex(m)}: nb_segs is ${nbSegs}, the chain ends after ${s + 1}`);
      seg = next - 1;
    }
  }
  assert.equal(sum, pktLen, `${where}: mbuf ${hex(m)}: pkt_len must be the sum of its segments' data_len`);
  const flags = h32[b + M_OL_FLAGS]!;
  assert.equal(h32[b + M_OL_FLAGS_HI], 0, `${where}: mbuf ${hex(m)}: TX offload flags set on a received mbuf`);
  assert.equal(flags & ~RX_FLAGS, 0, `${where}: mbuf ${hex(m)}: ol_flags ${hex(flags)} has bits no RX flag uses`);
  assert.ok(!(flags & OlFlags.RX_VLAN_STRIPPED), `${where}: mbuf ${hex(m)}: VLAN_STRIPPED without VLAN stripping configured`);
  return pktLen;
}

/** Leaves garbage in every header field a driver must set on rx (as a recycled mbuf may). */
export function soilPool(pool: Mempool): void {
  const all = new Uint32Array(pool.size);
  let got = 0;
  while (got < pool.size && pool.getBulk(all, got, 1)) got++;
  for (let i = 0; i < got; i++) {
    const b = (all[i]! & MBUF_INDEX_MASK) * MBUF_HEADER_WORDS;
    pool.h32[b + M_PKT_LEN] = 0xdead;
    pool.h16[b * 2 + M16_DATA_LEN] = 0xbeef;
    pool.h16[b * 2 + M16_PORT] = 0xabc;
    pool.h32[b + M_OL_FLAGS] = 0xffffffff;
    pool.h32[b + M_OL_FLAGS_HI] = 0xffffffff;
  }
  pool.putBulk(all, 0, got);
}
