/**
 * Memory regions: the memory that mempools, rings and statistics live in. A region is shared
 * between the main thread and the worker lcores, so every fast-path structure built over it can
 * be rebuilt in a worker from a `RegionDescriptor` (structured-cloneable).
 *
 * Two kinds: `shared`, a SharedArrayBuffer; and `memfd`, memory mapped from a memfd through
 * the Linux addon, page aligned, which can be registered as AF_XDP UMEM (or DMA memory for a
 * direct-ring PMD) and which workers map again by file descriptor. Consumers only ever see
 * `buffer` and `descriptor()`. dpkit never uses hugepages: `--no-huge` changes nothing.
 */
import { DpkitError } from '../errors.js';
import { kernelError, linux } from '../linux/native.js';

export type RegionKind = 'shared' | 'memfd';

export interface SharedRegionDescriptor {
  kind: 'shared';
  name: string;
  socket: number;
  buffer: SharedArrayBuffer;
}

export interface MemfdRegionDescriptor {
  kind: 'memfd';
  name: string;
  socket: number;
  fd: number;
  size: number;
}

export type RegionDescriptor = SharedRegionDescriptor | MemfdRegionDescriptor;

export class MemoryRegion {
  constructor(
    readonly name: string,
    readonly buffer: ArrayBufferLike,
    readonly socket: number,
    /** the memfd behind a `memfd` region, -1 for a `shared` one */
    readonly fd = -1,
  ) {}

  get kind(): RegionKind {
    return this.fd >= 0 ? 'memfd' : 'shared';
  }

  get size(): number {
    return this.buffer.byteLength;
  }

  descriptor(): RegionDescriptor {
    if (this.fd >= 0) return { kind: 'memfd', name: this.name, socket: this.socket, fd: this.fd, size: this.size };
    return { kind: 'shared', name: this.name, socket: this.socket, buffer: this.buffer as SharedArrayBuffer };
  }

  /** This thread's view of a region (a memfd region is mapped again). */
  static attach(d: RegionDescriptor): MemoryRegion {
    if (d.kind === 'memfd') return new MemoryRegion(d.name, linux('memfd regions').mapFd(d.fd, d.size), d.socket, d.fd);
    return new MemoryRegion(d.name, d.buffer, d.socket);
  }
}

/** Rounds `n` up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * Reserves named regions within the budget set by `-m` or `--socket-mem`, as memzones are
 * reserved from DPDK's heap. Without a budget, the machine's memory is the limit.
 */
export class MemoryManager {
  private readonly regions = new Map<string, MemoryRegion>();
  private readonly usedPerSocket = new Map<number, number>();

  constructor(
    /** total bytes, from -m */
    private readonly limit?: number,
    /** bytes per socket, from --socket-mem */
    private readonly socketLimits?: readonly number[],
  ) {}

  reserve(name: string, size: number, socket = 0, kind: RegionKind = 'shared'): MemoryRegion {
    if (this.regions.has(name)) throw new DpkitError(`memory: a region named '${name}' already exists`, 'EEXIST');
    const used = this.used();
    if (this.limit !== undefined && used + size > this.limit) {
      throw new DpkitError(
        `memory: cannot reserve ${mb(size)} for '${name}': -m allows ${mb(this.limit)} and ${mb(used)} is in use; raise -m or ask for less (fewer mbufs or descriptors)`,
        'ENOMEM',
      );
    }
    const socketLimit = this.socketLimits?.[socket];
    if (this.socketLimits && socketLimit === undefined) {
      throw new DpkitError(`memory: --socket-mem gives no memory for socket ${socket}, needed by '${name}'`, 'ENOMEM');
    }
    const socketUsed = this.usedPerSocket.get(socket) ?? 0;
    if (socketLimit !== undefined && socketUsed + size > socketLimit) {
      throw new DpkitError(
        `memory: cannot reserve ${mb(size)} for '${name}' on socket ${socket}: --socket-mem allows ${mb(socketLimit)} and ${mb(socketUsed)} is in use`,
        'ENOMEM',
      );
    }
    let region: MemoryRegion;
    if (kind === 'memfd') {
      try {
        const m = linux('memfd memory').memfdMap(`dpkit:${name}`, size);
        region = new MemoryRegion(name, m.buffer, socket, m.fd);
      } catch (err) {
        if (err instanceof DpkitError) throw err;
        throw kernelError(err, `memory: cannot map ${mb(size)} of memfd memory for '${name}'`);
      }
    } else {
      try {
        region = new MemoryRegion(name, new SharedArrayBuffer(size), socket);
      } catch {
        throw new DpkitError(`memory: cannot allocate ${mb(size)} for '${name}': out of memory`, 'ENOMEM');
      }
    }
    this.regions.set(name, region);
    this.usedPerSocket.set(socket, socketUsed + size);
    return region;
  }

  free(region: MemoryRegion): void {
    if (this.regions.get(region.name) !== region) return;
    this.regions.delete(region.name);
    // the mapping goes when its last view is collected; the fd is not needed for that
    if (region.fd >= 0) linux().close(region.fd);
    this.usedPerSocket.set(region.socket, (this.usedPerSocket.get(region.socket) ?? 0) - region.size);
  }

  lookup(name: string): MemoryRegion | undefined {
    return this.regions.get(name);
  }

  used(): number {
    let n = 0;
    for (const v of this.usedPerSocket.values()) n += v;
    return n;
  }
}

function mb(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MB`;
}
