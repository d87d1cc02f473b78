/**
 * Memory regions: the memory that mempools, rings and statistics live in. A region is shared
 * between the main thread and the worker lcores, so every fast-path structure built over it can
 * be rebuilt in a worker from a `RegionDescriptor` (structured-cloneable).
 *
 * Today a region is a SharedArrayBuffer. The Linux layer adds a second kind, memory mapped
 * from a memfd (registered as AF_XDP UMEM, or as DMA memory for a direct-ring PMD), which
 * workers map again by file descriptor; consumers only ever see `buffer` and `descriptor()`.
 * dpkit never uses hugepages: `--no-huge` is accepted and changes nothing.
 */
import { DpkitError } from '../errors.js';

export interface SharedRegionDescriptor {
  kind: 'shared';
  name: string;
  socket: number;
  buffer: SharedArrayBuffer;
}
export type RegionDescriptor = SharedRegionDescriptor;

export class MemoryRegion {
  constructor(
    readonly name: string,
    readonly buffer: SharedArrayBuffer,
    readonly socket: number,
  ) {}

  get size(): number {
    return this.buffer.byteLength;
  }

  descriptor(): RegionDescriptor {
    return { kind: 'shared', name: this.name, socket: this.socket, buffer: this.buffer };
  }

  static attach(d: RegionDescriptor): MemoryRegion {
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

  reserve(name: string, size: number, socket = 0): MemoryRegion {
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
    let buffer: SharedArrayBuffer;
    try {
      buffer = new SharedArrayBuffer(size);
    } catch {
      throw new DpkitError(`memory: cannot allocate ${mb(size)} for '${name}': out of memory`, 'ENOMEM');
    }
    const region = new MemoryRegion(name, buffer, socket);
    this.regions.set(name, region);
    this.usedPerSocket.set(socket, socketUsed + size);
    return region;
  }

  free(region: MemoryRegion): void {
    if (this.regions.get(region.name) !== region) return;
    this.regions.delete(region.name);
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
