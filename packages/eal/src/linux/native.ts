/**
 * The loader of dpkit's Linux addon (native/, see binding.gyp), through node-gyp-build: a
 * build from source in build/Release when there is one (the repository's setup, or
 * `npx @dpkit/eal build-native`), else the prebuilt prebuilds/linux-x64 one that the published
 * tarball carries. `linux()` returns it, or throws one DpkitError saying that the feature needs
 * the addon and how to get it. Everything else in @dpkit/eal works without it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DpkitError } from '../errors.js';

/** The @dpkit/eal package directory (this file is dist/linux/native.js). */
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

export interface RingMapping {
  buffer: ArrayBuffer;
  producer: number;
  consumer: number;
  desc: number;
  flags: number;
}

export interface XskStatistics {
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  rxRingFull: number;
  rxFillRingEmptyDescs: number;
  txRingEmptyDescs: number;
}

/** TPACKET_V3 ring geometry for packetOpen (see native/packet.cc) */
export interface PacketRingOptions {
  blockSize: number;
  blockCount: number;
  frameSize: number;
  txFrames: number;
  /** ms before the kernel retires a partly filled rx block */
  retireMs: number;
  qdiscBypass: number;
  /** PACKET_FANOUT argument (group id | type << 16), 0 for none */
  fanout: number;
}

export interface LinuxBinding {
  memfdMap(name: string, size: number): { fd: number; buffer: ArrayBuffer };
  mapFd(fd: number, size: number): ArrayBuffer;
  unmap(buffer: ArrayBufferLike): boolean;
  close(fd: number): void;
  setAffinity(cpus: number[]): void;
  getAffinity(): number[];
  bufferAddress(buffer: ArrayBufferLike | ArrayBufferView): number;
  ifInfo(name: string): { ifindex: number; mac: number[]; mtu: number; flags: number };
  setIfFlags(name: string, set: number, clear: number): void;
  setMtu(name: string, mtu: number): void;
  ethtoolDrvinfo(name: string): { driver: string; version: string; firmware: string; busInfo: string };
  ethtoolChannels(name: string): { maxRx: number; maxTx: number; maxOther: number; maxCombined: number; rx: number; tx: number; other: number; combined: number };
  ethtoolLink(name: string): boolean;
  /** SIOCETHTOOL with `buf` (a struct ethtool_rxnfc, rxnfc commands only) as the command; the kernel's answer lands in `buf` */
  ethtoolRxnfc(name: string, buf: Uint8Array): void;
  ethtoolFlags(name: string): number;
  /** ETHTOOL_GRXFHINDIR: the rx queue of each RSS hash bucket */
  ethtoolRxfhIndir(name: string): number[];
  /** offsetof/sizeof of struct ethtool_rxnfc and its parts, and the uapi constants, as the addon was compiled */
  ethtoolRxnfcLayout(): Record<string, number>;
  xskSocket(): number;
  xskUmemReg(fd: number, buffer: ArrayBufferLike, byteOffset: number, length: number, chunkSize: number, headroom: number, flags: number): void;
  xskRingSize(fd: number, which: 'fill' | 'completion' | 'rx' | 'tx', size: number): void;
  xskMapRing(fd: number, which: 'fill' | 'completion' | 'rx' | 'tx', size: number): RingMapping;
  xskBind(fd: number, ifindex: number, queue: number, flags: number, sharedUmemFd: number): void;
  xskKick(fd: number): number;
  xskWakeup(fd: number): number;
  xskStatistics(fd: number): XskStatistics;
  xskOptions(fd: number): number;
  sockBusyPoll(fd: number, usecs: number, budget: number): { usecs: number; budget: number; prefer: boolean };
  bpfMapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, name: string): number;
  bpfMapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags: number): void;
  bpfMapLookup(fd: number, key: Uint8Array, valueOut: Uint8Array): boolean;
  bpfMapDelete(fd: number, key: Uint8Array): boolean;
  bpfMapNextKey(fd: number, key: Uint8Array | null, nextOut: Uint8Array): boolean;
  bpfProgLoad(type: number, insns: Uint8Array, license: string, name: string, expectedAttachType: number): number;
  bpfLinkCreate(progFd: number, targetIfindex: number, attachType: number, flags: number): number;
  bpfLinkUpdate(linkFd: number, newProgFd: number): void;
  bpfProgTestRun(progFd: number, data: Uint8Array, repeat: number, dataOut: Uint8Array | null): { retval: number; duration: number; dataSizeOut: number };
  tapOpen(name: string, multiQueue: boolean): { fd: number; name: string };
  fdRead(fd: number, buffer: Uint8Array): number;
  fdWrite(fd: number, buffer: Uint8Array, length: number): number;
  packetOpen(ifindex: number, o: PacketRingOptions): { fd: number; rxBytes: number; txBytes: number; txFrames: number };
  packetStatistics(fd: number): { packets: number; drops: number; freezeCount: number };
  packetKick(fd: number): number;
  copyBatch(dst: ArrayBufferLike | ArrayBufferView, src: ArrayBufferLike | ArrayBufferView, triples: Uint32Array, count: number): number;
  /** a non-blocking SOCK_SEQPACKET Unix socket bound to `path` and listening (a stale socket file is replaced) */
  seqpacketListen(path: string, backlog: number): number;
  /** accept4 on a listening socket: the connected fd (non-blocking), or -errno (-EAGAIN: none pending) */
  seqpacketAccept(fd: number): number;
  Poller: new (fd: number) => { start(events: number, cb: (status: number, events: number) => void): void; stop(): void; unref(): void };
}

let binding: LinuxBinding | undefined;
let failure: string | undefined;
let fix = 'build it from source with `npx @dpkit/eal build-native` in the application\'s directory (needs a C++17 compiler, make and python3)';

function load(): LinuxBinding | undefined {
  if (binding || failure) return binding;
  if (process.platform !== 'linux') {
    failure = `${process.platform} is not Linux`;
    fix = 'it exists only for Linux';
    return undefined;
  }
  try {
    const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;
    binding = nodeGypBuild(packageDir) as LinuxBinding;
  } catch (err) {
    failure = `no addon loads (${(err as Error).message.split('\n')[0]!.trim()})`;
  }
  return binding;
}

/** Is the Linux addon available? */
export function hasLinux(): boolean {
  return load() !== undefined;
}

/** The Linux addon, or one clear error for `feature`. */
export function linux(feature = 'this feature'): LinuxBinding {
  const b = load();
  if (!b) {
    throw new DpkitError(
      `${feature} needs dpkit's Linux addon, which is unavailable: ${failure}; ${fix}`,
      'ENOTSUP',
    );
  }
  return b;
}

/** Turns an addon error (with .code = errno name) into a one-line DpkitError with a hint. */
export function kernelError(err: unknown, what: string, hint = ''): DpkitError {
  const e = err as { message?: string; code?: string };
  const code = e.code ?? 'EIO';
  let fix = hint;
  if (!fix && code === 'EPERM') fix = 'run as root or with CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN';
  return new DpkitError(`${what}: ${e.message ?? String(err)}${fix ? `; ${fix}` : ''}`, code);
}
