/**
 * Forwarding engines by name. The built-in ones are DPDK testpmd's; `registerEngine` adds a
 * plugin: any module exporting a ForwardEngine. What an engine needs of the main lcore when
 * forwarding starts (DPDK's port_fwd_begin) is `engineBegin`'s.
 */
import { performance } from 'node:perf_hooks';
import { DpkitError } from '@dpkit/eal';
import type { LaunchTarget } from '@dpkit/eal';
import type { NoisyConfig } from './engine.js';
import type { TestpmdParams } from '../params.js';

const engines = new Map<string, LaunchTarget>();

for (const name of ['io', 'mac', 'macswap', 'rxonly', 'txonly', 'csum', 'flowgen', 'icmpecho', 'noisy', '5tswap']) {
  engines.set(name, { module: new URL(`./engines/${name}.js`, import.meta.url).href, export: 'engine' });
}

export function registerEngine(name: string, target: LaunchTarget): void {
  engines.set(name, target);
}

export function engineTarget(name: string): LaunchTarget {
  const t = engines.get(name);
  if (!t) throw new DpkitError(`unknown forwarding mode '${name}': available modes are ${engineNames().join(', ')}`);
  return t;
}

export function engineNames(): string[] {
  return [...engines.keys()];
}

/** The modes `set fwd MODE retry` takes: every mode but rxonly, as DPDK's list_pkt_forwarding_retry_modes. */
export function retryEngineNames(): string[] {
  return engineNames().filter((n) => n !== 'rxonly');
}

/** The noisy engine's millisecond clock: written by the main lcore while noisy forwards with a flush time. */
const noisyClock = new SharedArrayBuffer(8);

/** The stream configuration of the noisy engine's options. */
export function noisyConfig(p: TestpmdParams): NoisyConfig {
  return {
    bufferSize: p.noisyTxSwBufferSize, flushTimeMs: p.noisyTxSwBufferFlushtime, lkupMemoryMb: p.noisyLkupMemory,
    writes: p.noisyLkupNumWrites, reads: p.noisyLkupNumReads, readsWrites: p.noisyLkupNumReadsWrites, clock: noisyClock,
  };
}

/**
 * What the main lcore does for the engine when forwarding starts, after the forwarding
 * configuration is shown (DPDK's port_fwd_begin for each forwarding port): flowgen's
 * `  number of flows for port N: F` lines; noisy's checks (a refusal is one line and forwarding
 * does not start) and its clock. Returns the lines to print and what to do at stop.
 */
export function engineBegin(mode: string, p: TestpmdParams, ports: number[]): { lines: string[]; end: () => void } {
  if (mode === 'flowgen') return { lines: ports.map((pi) => `  number of flows for port ${pi}: ${p.flowgenFlows}`), end: () => undefined };
  if (mode !== 'noisy') return { lines: [], end: () => undefined };
  const size = p.noisyTxSwBufferSize;
  if (size > 0 && (size & (size - 1)) !== 0) {
    throw new DpkitError(`noisy: --noisy-tx-sw-buffer-size=${size} is not a power of 2 (the FIFO is a ring of a power of 2 slots, as DPDK's rte_ring; it holds size - 1 packets): give 1024, say`);
  }
  if (p.noisyLkupMemory === 0 && p.noisyLkupNumWrites + p.noisyLkupNumReads + p.noisyLkupNumReadsWrites > 0) {
    throw new DpkitError('noisy: --noisy-lkup-memory-size must be > 0: the --noisy-lkup-num-* lookups need --noisy-lkup-memory=MB');
  }
  const clock = new Float64Array(noisyClock);
  clock[0] = performance.now();
  if (p.noisyTxSwBufferFlushtime === 0) return { lines: [], end: () => undefined };
  const timer = setInterval(() => { clock[0] = performance.now(); }, 1);
  timer.unref();
  return { lines: [], end: () => clearInterval(timer) };
}
