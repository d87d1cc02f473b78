/**
 * One emulated 82599: its BAR0 (shared memory, the register file a driver writes), its DMA
 * domain (memory registered with an IOVA), its engine thread, and optionally its kernel side
 * (a TAP netdev) and wire (a netdev; without one, MAC loopback). See the README's Status.
 */
import { simNative, type DeviceHandle, type EngineCounters } from './native.js';

export class Sim82599 {
  /** BAR0 as 32-bit registers: index = byte offset / 4 */
  readonly regs: Uint32Array;
  /** the memfd behind BAR0 (what the control channel's `map` will pass to a driver) */
  readonly barFd: number;
  private readonly device: DeviceHandle;
  private closed = false;

  constructor() {
    const { device, barFd, bar } = simNative().create();
    this.device = device;
    this.barFd = barFd;
    this.regs = new Uint32Array(bar);
  }

  /**
   * Registers [offset, offset + length) of memfd `fd` as DMA memory at `iova` (4 KiB aligned)
   * in the DMA domain of `window` (0: the kernel side's).
   */
  mapDma(fd: number, offset: number, length: number, iova: number, window = 0): void {
    simNative().dmaMap(this.device, fd, offset, length, iova, window);
  }

  /**
   * A new owner's register window: the full BAR0 layout (`regs`, index = byte offset / 4, and
   * the memfd behind it), in which the device decodes only the queues assigned to it, with its
   * own DMA domain.
   */
  addWindow(): { window: number; fd: number; regs: Uint32Array } {
    const w = simNative().addWindow(this.device);
    return { window: w.window, fd: w.fd, regs: new Uint32Array(w.regs) };
  }

  /**
   * Gives queue pairs start..start+count-1 (all the kernel side's) to `window`, stopping any
   * started one first; false when one of them is not the kernel side's. Returns once the
   * engine has done it.
   */
  assign(window: number, start: number, count: number): boolean {
    return simNative().assign(this.device, window, start, count);
  }

  /**
   * Takes every queue pair of `window` back (stopped, ENABLE cleared in the window) and drops its
   * DMA domain; returns how many queue pairs it held. When it returns, the engine no longer
   * touches that window's rings or memory.
   */
  reclaim(window: number): number {
    return simNative().reclaim(this.device, window);
  }

  /** Takes queue pairs start..start+count-1 back from `window` (stopped); its DMA domain stays. */
  release(window: number, start: number, count: number): number {
    return simNative().reclaim(this.device, window, start, count);
  }

  /**
   * Before start: creates the kernel side, TAP netdev `ifname` whose queues carry what the NIC
   * gives kernel queues 0..kernelQueues-1, and opens the wire netdev (`wire` undefined: MAC
   * loopback). Throws an Error whose .code is the errno name (EPERM, ENODEV, EBUSY...).
   */
  attach(ifname: string, kernelQueues: number, wire?: string): void {
    simNative().attach(this.device, ifname, Math.min(kernelQueues, 16), kernelQueues, wire ?? '');
  }

  /**
   * Before start, instead of `attach`: queues 0..count-1 are the kernel side's but there is no
   * TAP, so what the filters give them is counted (`rxQueueFrames`, `kernelDropped`) and dropped.
   */
  kernelQueuesWithoutTap(count: number): void {
    simNative().kernelQueues(this.device, count);
  }

  /**
   * Before start: generator mode. `flows` UDP/IPv4 flows of `size`-byte frames (CRC excluded)
   * are received at the rate the rings take them (only where a ring has room; flows the filters
   * give to kernel queues are skipped); what is transmitted is counted and dropped.
   */
  generator(flows: number, size: number): void {
    simNative().generator(this.device, flows, size);
  }

  /** Starts the engine thread. */
  start(): void {
    simNative().start(this.device);
  }

  /** Stops the engine thread; the registers and DMA memory stay. */
  stop(): void {
    simNative().stop(this.device);
  }

  counters(): EngineCounters {
    return simNative().counters(this.device);
  }

  /** Share of wall time the engine spent in passes that moved descriptors, 0..1. */
  busyShare(): number {
    const c = this.counters();
    return c.wallNs > 0 ? c.busyNs / c.wallNs : 0;
  }

  /** Descriptors the engine moves per second of busy time: what it could move if always busy. */
  capacity(): number {
    const c = this.counters();
    return c.busyNs > 0 ? (c.descriptors * 1e9) / c.busyNs : 0;
  }

  /** Stops the engine and releases the device (BAR0 views stay readable until collected). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    simNative().destroy(this.device);
  }
}
