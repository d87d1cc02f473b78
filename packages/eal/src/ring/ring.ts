/**
 * Lock-free FIFO rings of 32-bit values (mbuf handles) over shared memory, after rte_ring:
 * producer and consumer each have a head and a tail; a single producer (or consumer) moves its
 * head with a plain store, several move it with compare-and-swap and then wait for earlier
 * ones to publish their tail. Bulk calls move all `n` or nothing; burst calls move as many as
 * fit. No call allocates.
 *
 * As with DPDK's rings, a multi-producer (or multi-consumer) operation that is preempted
 * between reserving its slots and publishing them makes the others spin until it runs again:
 * use MP/MC rings from threads that each have a CPU (lcores), not from more threads than CPUs.
 *
 * Layout (32-bit words from `byteOffset`): prod head at 0, prod tail at 16, cons head at 32,
 * cons tail at 48 (each on its own 64-byte line), slots from word 64.
 */
import { DpkitError } from '../errors.js';

export const RING_F_SP_ENQ = 0x1;
export const RING_F_SC_DEQ = 0x2;

const PROD_HEAD = 0;
const PROD_TAIL = 16;
const CONS_HEAD = 32;
const CONS_TAIL = 48;
const HEADER_WORDS = 64;

export interface RingDescriptor {
  name: string;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  size: number;
  flags: number;
}

export class Ring {
  /** ring bytes needed for `size` slots */
  static memSize(size: number): number {
    return (HEADER_WORDS + size) * 4;
  }

  readonly size: number;
  private readonly mask: number;
  private readonly head: Uint32Array;
  private readonly slots: Uint32Array;
  private readonly sp: boolean;
  private readonly sc: boolean;

  constructor(
    readonly name: string,
    readonly buffer: ArrayBufferLike,
    readonly byteOffset: number,
    size: number,
    readonly flags: number,
  ) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0 || size > 1 << 28) {
      throw new DpkitError(`ring '${name}': size ${size} must be a power of two between 2 and 2^28`);
    }
    if (byteOffset % 64 !== 0) throw new DpkitError(`ring '${name}': memory must be 64-byte aligned`);
    this.size = size;
    this.mask = size - 1;
    this.head = new Uint32Array(buffer, byteOffset, HEADER_WORDS);
    this.slots = new Uint32Array(buffer, byteOffset + HEADER_WORDS * 4, size);
    this.sp = (flags & RING_F_SP_ENQ) !== 0;
    this.sc = (flags & RING_F_SC_DEQ) !== 0;
  }

  /** A ring in its own SharedArrayBuffer. `count` is rounded up to a power of two. */
  static create(name: string, count: number, flags = 0): Ring {
    let size = 2;
    while (size < count) size *= 2;
    return new Ring(name, new SharedArrayBuffer(Ring.memSize(size)), 0, size, flags);
  }

  /** For a ring in a SharedArrayBuffer (a ring inside a memfd region travels with its region). */
  descriptor(): RingDescriptor {
    return { name: this.name, buffer: this.buffer as SharedArrayBuffer, byteOffset: this.byteOffset, size: this.size, flags: this.flags };
  }

  static attach(d: RingDescriptor): Ring {
    return new Ring(d.name, d.buffer, d.byteOffset, d.size, d.flags);
  }

  /** Entries in the ring (a snapshot). */
  count(): number {
    return (Atomics.load(this.head, PROD_TAIL) - Atomics.load(this.head, CONS_TAIL)) >>> 0;
  }

  freeCount(): number {
    return this.size - this.count();
  }

  enqueueBulk(objs: Uint32Array, start: number, n: number): number {
    return this.enqueue(objs, start, n, true);
  }

  enqueueBurst(objs: Uint32Array, start: number, n: number): number {
    return this.enqueue(objs, start, n, false);
  }

  dequeueBulk(objs: Uint32Array, start: number, n: number): number {
    return this.dequeue(objs, start, n, true);
  }

  dequeueBurst(objs: Uint32Array, start: number, n: number): number {
    return this.dequeue(objs, start, n, false);
  }

  private enqueue(objs: Uint32Array, start: number, want: number, fixed: boolean): number {
    const h = this.head;
    let head: number;
    let n: number;
    for (;;) {
      head = this.sp ? h[PROD_HEAD]! : Atomics.load(h, PROD_HEAD);
      // As DPDK: unsigned size + cons_tail - head. A stale head (consumers moved past it since
      // we read it) gives more than `size`; the CAS below then fails and we read again. The
      // count is recomputed from `want` on every try.
      const free = (this.size + Atomics.load(h, CONS_TAIL) - head) >>> 0;
      n = want;
      if (n > free) {
        if (fixed || free === 0) return 0;
        n = free;
      }
      if (n === 0) return 0;
      const next = (head + n) >>> 0;
      if (this.sp) {
        h[PROD_HEAD] = next;
        break;
      }
      if (Atomics.compareExchange(h, PROD_HEAD, head, next) === head) break;
    }
    const slots = this.slots;
    const mask = this.mask;
    for (let i = 0; i < n; i++) slots[(head + i) & mask] = objs[start + i]!;
    if (!this.sp) while (Atomics.load(h, PROD_TAIL) !== head) { /* an earlier producer is still copying */ }
    Atomics.store(h, PROD_TAIL, (head + n) >>> 0);
    return n;
  }

  private dequeue(objs: Uint32Array, start: number, want: number, fixed: boolean): number {
    const h = this.head;
    let head: number;
    let n: number;
    for (;;) {
      head = this.sc ? h[CONS_HEAD]! : Atomics.load(h, CONS_HEAD);
      const avail = (Atomics.load(h, PROD_TAIL) - head) >>> 0;
      n = want;
      if (n > avail) {
        if (fixed || avail === 0) return 0;
        n = avail;
      }
      if (n === 0) return 0;
      const next = (head + n) >>> 0;
      if (this.sc) {
        h[CONS_HEAD] = next;
        break;
      }
      if (Atomics.compareExchange(h, CONS_HEAD, head, next) === head) break;
    }
    const slots = this.slots;
    const mask = this.mask;
    for (let i = 0; i < n; i++) objs[start + i] = slots[(head + i) & mask]!;
    if (!this.sc) while (Atomics.load(h, CONS_TAIL) !== head) { /* an earlier consumer is still copying */ }
    Atomics.store(h, CONS_TAIL, (head + n) >>> 0);
    return n;
  }
}
