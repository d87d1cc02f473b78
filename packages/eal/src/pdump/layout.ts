/**
 * The capture region's layout (dpkit's rte_pdump): one memfd the application creates at
 * start-up, mapped by its main thread, by each forwarding lcore and, through
 * `/proc/<pid>/fd/<fd>`, by the capturing process (dpkit-dumpcap). All offsets are bytes from
 * the start of the region; every field is a 32-bit word unless said otherwise.
 *
 * ```text
 * header (HEADER_BYTES)
 *   word 0  magic (PDUMP_MAGIC)           word 1  layout version (PDUMP_VERSION)
 *   word 2  rings                         word 3  bytes of data per ring (a power of two)
 *   word 4  snaplen of the session        word 5  records a ring may hold (dumpcap's -N)
 *   f64 at byte 64: the clock, microseconds since the epoch, kept by the capturing process
 *   word 64 + 2 * port + dir (dir 0 rx, 1 tx): the selector: 0 off, ALL_QUEUES, or queue + 1
 * ring r at HEADER_BYTES + r * (RING_CTRL_BYTES + ring bytes)
 *   control: word 0 head, 1 records written (the lcore's); word 16 tail, 17 records read
 *   (the capturing process's); f64 at byte 256 + 8 * port: packets captured on the port,
 *   at byte 512 + 8 * port: packets not captured because the ring was full
 *   data (RING_CTRL_BYTES on): records, each 8-byte aligned, never split at the ring's end
 * record
 *   word 0 record bytes (header + data, rounded up to 8), or WRAP: the rest of the ring is
 *   padding, the next record is at its start; word 1 port | queue << 16; f64 at byte 8 the
 *   timestamp (the clock, microseconds); word 4 original length; word 5 captured length;
 *   word 6 direction (DIR_IN, DIR_OUT); word 7 0; data from byte RECORD_HEADER_BYTES
 * ```
 *
 * One ring per lcore: each lcore is the only writer of its ring's head and counters, the
 * capturing process the only writer of the tails and the clock.
 */
import { MAX_ETHPORTS } from '../ethdev/types.js';

export const PDUMP_MAGIC = 0x706d7564; // 'dump'
export const PDUMP_VERSION = 1;
export const HEADER_BYTES = 4096;
export const RING_CTRL_BYTES = 4096;
export const RECORD_HEADER_BYTES = 32;

// header words
export const H_MAGIC = 0;
export const H_VERSION = 1;
export const H_RINGS = 2;
export const H_RING_BYTES = 3;
export const H_SNAPLEN = 4;
export const H_RECORDS = 5;
/** Float64Array index of the clock */
export const H_CLOCK_F64 = 8;
/** first selector word */
export const H_SELECT = 64;
/** a selector: capture every queue */
export const ALL_QUEUES = -1;

// ring control words (from the ring's first word)
export const R_HEAD = 0;
export const R_HEAD_COUNT = 1;
export const R_TAIL = 16;
export const R_TAIL_COUNT = 17;
/** Float64Array index (from the ring's first f64) of port 0's captured count */
export const R_CAPTURED_F64 = 32;
/** ...and of its not-captured (ring full) count */
export const R_DROPPED_F64 = R_CAPTURED_F64 + MAX_ETHPORTS;

/** record word 0 that sends the reader back to the ring's start */
export const WRAP = -1;
/** pcapng's epb_flags directions */
export const DIR_IN = 1;
export const DIR_OUT = 2;

/** The snaplen dpdk-dumpcap takes by default (RTE_MBUF_DEFAULT_BUF_SIZE). */
export const DEFAULT_SNAPLEN = 2176;
/** dpdk-dumpcap's default ring size (-N) */
export const DEFAULT_RECORDS = 2048;
/** Bytes of data per lcore ring unless the application asks otherwise (memfd pages are only
 * committed when a capture writes them). */
export const DEFAULT_RING_BYTES = 8 << 20;

/** What an lcore (or the capturing process) needs to map the region. */
export interface PdumpDescriptor {
  /** tells this region from an earlier one that had the same fd number */
  id: string;
  fd: number;
  size: number;
  rings: number;
  ringBytes: number;
}

export function regionSize(rings: number, ringBytes: number): number {
  return HEADER_BYTES + rings * (RING_CTRL_BYTES + ringBytes);
}

/** Byte offset of ring r's control block. */
export function ringOffset(r: number, ringBytes: number): number {
  return HEADER_BYTES + r * (RING_CTRL_BYTES + ringBytes);
}

/** The header word of a (port, direction) selector. */
export function selectorIndex(port: number, dir: 'rx' | 'tx'): number {
  return H_SELECT + 2 * port + (dir === 'rx' ? 0 : 1);
}

/** A port's captured and not-captured (ring full) packets since start-up, summed over every ring. */
export function portCounters(f64: Float64Array, rings: number, ringBytes: number, port: number): [number, number] {
  let captured = 0;
  let dropped = 0;
  for (let r = 0; r < rings; r++) {
    const f = ringOffset(r, ringBytes) >> 3;
    captured += f64[f + R_CAPTURED_F64 + port]!;
    dropped += f64[f + R_DROPPED_F64 + port]!;
  }
  return [captured, dropped];
}
