/**
 * The loader of this package's addon (native/, binding.gyp): the emulated 82599's engine.
 * Loaded with node-gyp-build: build/Release (built from source: the repository's scripts/setup.sh,
 * or `npx @dpkit/sim-82599 build-native`) first, else the tarball's prebuilds/linux-x64.
 * `simNative()` returns it or throws one line saying why it is missing and how to build it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** An opaque device handle. */
export type DeviceHandle = { readonly __sim82599Device: unique symbol };

export type ChannelServerHandle = { readonly __sim82599Channel: unique symbol };
export type ChannelEvent =
  | { type: 'open'; conn: number; pid: number; uid: number }
  | { type: 'message'; conn: number; text: string; fds: number[] }
  | { type: 'close'; conn: number };

/** The engine's own counters (native/device.h, struct Counters). */
export interface EngineCounters {
  passes: number;
  busyNs: number;
  wallNs: number;
  descriptors: number;
  badConfig: number;
  badTail: number;
  txMalformed: number;
  rxNotStarted: number;
  rxNoDescriptors: number;
  /** frames written to the TAP (kernel queues), and those a full TAP queue dropped */
  kernelFrames: number;
  kernelDropped: number;
  wireTxErrors: number;
  wireRxOversize: number;
  /** flow director adds refused because the table was full */
  fdirFull: number;
  /** generator mode: frames written to rings, generated frames the filters gave to kernel queues (not written), transmitted frames dropped */
  generated: number;
  generatorSkipped: number;
  txSunk: number;
  /** frames delivered per rx queue: written to its ring, or for a kernel queue to the TAP */
  rxQueueFrames: number[];
  rxDmaFaults: number[];
  txDmaFaults: number[];
}

export interface SimBinding {
  create(): { device: DeviceHandle; barFd: number; bar: ArrayBuffer };
  dmaMap(device: DeviceHandle, fd: number, offset: number, length: number, iova: number, window?: number): void;
  addWindow(device: DeviceHandle): { window: number; fd: number; regs: ArrayBuffer };
  assign(device: DeviceHandle, window: number, start: number, count: number): boolean;
  reclaim(device: DeviceHandle, window: number, start?: number, count?: number): number;
  /** the control channel's transport (native/channel.cc) */
  channelListen(name: string, onEvent: (e: ChannelEvent) => void): ChannelServerHandle;
  channelSend(server: ChannelServerHandle, conn: number, text: string, fds: number[]): boolean;
  channelDrop(server: ChannelServerHandle, conn: number): void;
  channelClose(server: ChannelServerHandle): void;
  channelConnect(name: string): number;
  channelRequest(fd: number, text: string, fds: number[], timeoutMs: number): { text: string; fds: number[] };
  channelDisconnect(fd: number): void;
  /** the kernel side (TAP `ifname`, `taps` queues, kernel queues 0..kernelQueues-1) and the wire ('' = loopback) */
  attach(device: DeviceHandle, ifname: string, taps: number, kernelQueues: number, wire: string): void;
  kernelQueues(device: DeviceHandle, count: number): void;
  generator(device: DeviceHandle, flows: number, size: number): void;
  start(device: DeviceHandle): void;
  stop(device: DeviceHandle): void;
  destroy(device: DeviceHandle): void;
  counters(device: DeviceHandle): EngineCounters;
  /** the register offsets the engine decodes, for the test that holds them against @dpkit/ixgbe-defs/regs */
  layout(): Record<string, number>;
}

const packageDir = fileURLToPath(new URL('../', import.meta.url));

/** The addon did not load: its message is the one line to show (what failed, how to build it). */
export class AddonLoadError extends Error {}
let binding: SimBinding | undefined;

export function simNative(): SimBinding {
  if (binding) return binding;
  if (process.platform !== 'linux') throw new Error(`@dpkit/sim-82599: the emulated NIC runs only on Linux, not ${process.platform}`);
  try {
    const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown;
    binding = nodeGypBuild(packageDir) as SimBinding;
  } catch (err) {
    throw new AddonLoadError(`@dpkit/sim-82599: its addon does not load (${(err as Error).message.split('\n')[0]!.trim()}); build it from source with \`npx @dpkit/sim-82599 build-native\` in the application's directory (needs a C++17 compiler, make and python3)`);
  }
  return binding;
}
