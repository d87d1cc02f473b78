/**
 * AF_XDP sockets with their four rings mapped into JavaScript (if_xdp.h). The kernel and the
 * application share each ring: one side produces, the other consumes, through free-running
 * 32-bit indices. JavaScript runs its side over typed arrays — reading the other side's index
 * with Atomics.load and publishing its own with Atomics.store, which orders the descriptor
 * writes before it — so a burst costs at most one system call (a kick or a wakeup).
 *
 * Fill and completion entries are UMEM addresses (u64, kept below 4 GiB: the high word is 0);
 * rx and tx entries are struct xdp_desc { u64 addr; u32 len; u32 options } = 4 words.
 */
import { AttachType, BpfAsm, BpfMap, Helper, MapType, R1, R2, R3, XdpAction, XdpMd, loadXdpProgram } from './bpf.js';
import { kernelError, linux } from './native.js';

export const XdpBind = { SHARED_UMEM: 1 << 0, COPY: 1 << 1, ZEROCOPY: 1 << 2, USE_NEED_WAKEUP: 1 << 3 } as const;
/** xdp ring flags: the kernel needs a syscall to go on (need_wakeup) */
export const XDP_RING_NEED_WAKEUP = 1;
export type RingName = 'fill' | 'completion' | 'rx' | 'tx';

export class XskRing {
  /** the mapping as 32-bit words */
  readonly w: Uint32Array;
  /** word indices of the producer index, consumer index, flags, and first entry */
  readonly prod: number;
  readonly cons: number;
  readonly flags: number;
  readonly desc: number;
  readonly mask: number;
  private readonly buffer: ArrayBuffer;

  private constructor(readonly name: RingName, readonly size: number, m: { buffer: ArrayBuffer; producer: number; consumer: number; flags: number; desc: number }) {
    this.buffer = m.buffer;
    this.w = new Uint32Array(m.buffer);
    this.prod = m.producer / 4;
    this.cons = m.consumer / 4;
    this.flags = m.flags / 4;
    this.desc = m.desc / 4;
    this.mask = size - 1;
  }

  /** Maps ring `name` of socket `fd` (also in a worker, for a socket opened elsewhere). */
  static map(fd: number, name: RingName, size: number): XskRing {
    try {
      return new XskRing(name, size, linux('AF_XDP').xskMapRing(fd, name, size));
    } catch (err) {
      throw kernelError(err, `cannot map the AF_XDP ${name} ring`);
    }
  }

  needsWakeup(): boolean {
    return (Atomics.load(this.w, this.flags) & XDP_RING_NEED_WAKEUP) !== 0;
  }

  /** Ends this thread's mapping now (the socket closes when no thread maps its rings). */
  unmap(): void {
    linux().unmap(this.buffer);
  }
}

export interface XskRingSizes {
  fill: number;
  completion: number;
  rx: number;
  tx: number;
}

export interface XskOpenOptions {
  ifindex: number;
  queue: number;
  /** the UMEM: `length` bytes of `buffer` from `offset`, page aligned, in `chunkSize` frames */
  umem: { buffer: ArrayBufferLike; offset: number; length: number; chunkSize: number; headroom: number };
  sizes: XskRingSizes;
  /** XdpBind flags (COPY, ZEROCOPY, USE_NEED_WAKEUP) */
  bindFlags: number;
  /** share the UMEM of this already bound socket instead of registering `umem` again
   * (XDP_SHARED_UMEM; this socket still gets its own fill and completion rings, and takes the
   * copy/zero-copy and need_wakeup mode of the first: the kernel refuses bindFlags with it) */
  sharedUmemFd?: number;
}

/** socket(AF_XDP), UMEM registration, ring sizes, bind: an open XSK's fd. */
export function openXsk(o: XskOpenOptions, label: string): number {
  const l = linux('AF_XDP');
  let fd = -1;
  try {
    fd = l.xskSocket();
    const shared = o.sharedUmemFd !== undefined && o.sharedUmemFd >= 0;
    if (!shared) l.xskUmemReg(fd, o.umem.buffer, o.umem.offset, o.umem.length, o.umem.chunkSize, o.umem.headroom, 0);
    l.xskRingSize(fd, 'fill', o.sizes.fill);
    l.xskRingSize(fd, 'completion', o.sizes.completion);
    if (o.sizes.rx) l.xskRingSize(fd, 'rx', o.sizes.rx);
    if (o.sizes.tx) l.xskRingSize(fd, 'tx', o.sizes.tx);
    l.xskBind(fd, o.ifindex, o.queue, shared ? XdpBind.SHARED_UMEM : o.bindFlags, shared ? o.sharedUmemFd! : 0);
    return fd;
  } catch (err) {
    if (fd >= 0) l.close(fd);
    const code = (err as { code?: string }).code;
    const hint = code === 'EBUSY' ? 'the queue is taken, or was released less than a second ago; retry'
      : code === 'EOPNOTSUPP' ? 'the driver cannot do this mode (zero-copy needs driver support; use copy mode)'
        : code === 'EINVAL' ? `queue ${o.queue} may not exist on this netdev` : '';
    throw kernelError(err, `${label}: cannot open an AF_XDP socket on ifindex ${o.ifindex} queue ${o.queue}`, hint);
  }
}

/**
 * The XDP program that hands a packet to the XSK of the queue it arrived on, or to the kernel
 * when that queue has none: bpf_redirect_map(xskmap, rx_queue_index, XDP_PASS).
 */
export function xskRedirectProgram(xskMap: BpfMap): BpfAsm {
  return new BpfAsm()
    .load(4, R2, R1, XdpMd.rxQueueIndex)
    .loadMap(R1, xskMap.fd)
    .mov(R3, XdpAction.PASS)
    .call(Helper.redirectMap)
    .exit();
}

/** An XSKMAP (queue → socket) with the redirect program loaded (not attached). */
export function xskRedirect(maxQueues: number, name: string): { map: BpfMap; progFd: number } {
  const map = new BpfMap(MapType.XSKMAP, 4, 4, maxQueues, `${name.slice(0, 10)}_xsks`);
  try {
    return { map, progFd: loadXdpProgram(xskRedirectProgram(map), `${name.slice(0, 10)}_xsk`) };
  } catch (err) {
    map.close();
    throw err;
  }
}

/** Puts socket `fd` in slot `queue` of an XSKMAP. */
export function xskMapSet(map: BpfMap, queue: number, fd: number): void {
  const key = new Uint8Array(new Uint32Array([queue]).buffer);
  const value = new Uint8Array(new Uint32Array([fd]).buffer);
  try {
    map.update(key, value);
  } catch (err) {
    throw kernelError(err, `cannot put the AF_XDP socket of queue ${queue} in the XSKMAP`);
  }
}

export function xskMapClear(map: BpfMap, queue: number): void {
  map.delete(new Uint8Array(new Uint32Array([queue]).buffer));
}

export { AttachType };

