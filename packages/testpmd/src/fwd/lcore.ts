/**
 * The body of a forwarding lcore (run_pkt_fwd_on_lcore): rebuilds its streams' queues from
 * their descriptors, then calls the engine on each stream until the main lcore raises the
 * stop flag. The loop allocates nothing.
 */
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import { DpkitError, Mempool, collectGarbage, errorLine, type FastPathModule, type LaunchTarget, type QueueDescriptor, type RxQueue, type TxQueue } from '@dpkit/eal';
import { BURST_SPREAD, FWD_STAT_SLOTS, type ForwardEngine, type FwdStream, type FwdStreamConfig } from './engine.js';
import { MAX_PKT_BURST } from '../params.js';
import { RetryTxQueue } from './engines/retry.js';
import { ObservedRxQueue, ObservedTxQueue, StreamObservers } from './observe.js';

export interface ForwardLoopArg {
  engine: LaunchTarget;
  streams: FwdStreamConfig[];
  /** Int32Array: [0] != 0 asks to stop; [1] counts lcores that entered their loop */
  control: SharedArrayBuffer;
  /** send one txonly burst per stream first (start tx_first) */
  txFirst: number;
  txonly: LaunchTarget;
  /** this lcore's slot in a shared Float64Array: loop iterations so far, updated every chunk */
  iterations: { buffer: SharedArrayBuffer; index: number };
}

async function loadEngine(t: LaunchTarget): Promise<ForwardEngine> {
  const mod = (await import(t.module)) as Record<string, ForwardEngine>;
  const e = mod[t.export];
  if (!e || typeof e.packetFwd !== 'function') throw new Error(`${t.module} exports no forwarding engine '${t.export}'`);
  return e;
}

async function queue<K extends 'createRxQueue' | 'createTxQueue'>(d: QueueDescriptor, kind: K) {
  const mod = (await import(d.module)) as FastPathModule;
  return mod[kind](d) as ReturnType<FastPathModule[K]>;
}

/**
 * --record-burst-stats: a queue that counts each burst's size in the stream's spread (a
 * float64 slot increment: no allocation). Streams get these wrappers at build time when the
 * option is on, so the loop without it has no branch on it.
 */
class RecordingRxQueue implements RxQueue {
  constructor(readonly inner: RxQueue, private readonly spread: Float64Array) {}
  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const nb = this.inner.rxBurst(pkts, start, n);
    this.spread[nb]++;
    return nb;
  }
}

class RecordingTxQueue implements TxQueue {
  constructor(readonly inner: TxQueue, private readonly spread: Float64Array) {}
  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const nb = this.inner.txBurst(pkts, start, n);
    this.spread[nb]++;
    return nb;
  }
}

export async function buildStreams(cfgs: FwdStreamConfig[]): Promise<FwdStream[]> {
  const out: FwdStream[] = [];
  for (const cfg of cfgs) {
    let rxq: RxQueue = await queue(cfg.rx, 'createRxQueue');
    let txq: TxQueue = await queue(cfg.tx, 'createTxQueue');
    // set fwd MODE retry: inside the burst recorder, which counts what went after the retries (as DPDK's)
    if (cfg.retry) txq = new RetryTxQueue(txq, cfg.retry.num, cfg.retry.delayUs);
    if (cfg.bursts) {
      const b = cfg.bursts;
      rxq = new RecordingRxQueue(rxq, new Float64Array(b.buffer, b.index * 8, BURST_SPREAD));
      txq = new RecordingTxQueue(txq, new Float64Array(b.buffer, (b.index + BURST_SPREAD) * 8, BURST_SPREAD));
    }
    out.push({
      cfg,
      rxq,
      txq,
      pkts: new Uint32Array(MAX_PKT_BURST),
      burst: cfg.burst,
      stats: new Float64Array(cfg.stats.buffer, cfg.stats.index * 8, FWD_STAT_SLOTS),
      pool: Mempool.attach(cfg.pool),
      txMac: Uint8Array.from(cfg.txPortMac),
      peerMac: Uint8Array.from(cfg.peerMac),
      state: undefined,
    });
  }
  return out;
}

export interface ForwardLoopResult {
  /** garbage collections of this lcore's isolate that started after the warm-up */
  gcCount: number;
  /**
   * ...of them, young-generation collections (scavenges). Garbage made per packet or per burst
   * lands in the young generation, so this is the number that says the loop allocates; a
   * collection of the old generation alone (V8 compiling late, under load) is counted in
   * gcCount but is not the loop's garbage.
   */
  gcYoung: number;
  /** ...and during the warm-up, while V8 still ran the loop unoptimised (boxing doubles) */
  warmupGcCount: number;
}

/**
 * The loop runs in chunks of CHUNK iterations: the counter inside a chunk never leaves V8's
 * small-integer range, however long forwarding runs (a counter that passes 2^31 is boxed and
 * the loop allocates on every iteration). Between chunks the loop adds CHUNK to its slot of
 * `iterations` (a Float64Array element: a double in memory, no allocation) and updates the
 * streams' observers (`StreamObservers`: a `set verbose` or a capture takes effect within a
 * chunk: ~0.2 ms at net_null's rates, as long as 1024 rounds of the streams' bursts take in general).
 */
export const CHUNK = 1 << 10;

/**
 * The warm-up, before the loop proper: WARMUP_ROUNDS rounds of WARMUP_BURSTS calls of the
 * engine on each stream, each round followed by a pause of WARMUP_PAUSE_MS. Its bursts are
 * real (forwarded and counted); its garbage collections are counted apart.
 */
export const WARMUP_ROUNDS = 2;
export const WARMUP_BURSTS = 1 << 16;
const WARMUP_PAUSE_MS = 20;

/**
 * Counts this thread's garbage collections that start between `begin()` and `end()`. V8
 * reports each collection with its start time; the observer runs only when the thread yields,
 * so counting costs the loop nothing, and collections V8 runs after the loop yields (tasks it
 * queued meanwhile) fall outside the window.
 */
function gcCounter(): { begin(): void; end(): void; count(): Promise<{ all: number; young: number }> } {
  const seen: { start: number; young: boolean }[] = [];
  let from = Infinity;
  let to = Infinity;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      seen.push({ start: e.startTime, young: kind === perfConstants.NODE_PERFORMANCE_GC_MINOR });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    begin: () => { from = performance.now(); },
    end: () => { to = performance.now(); },
    async count() {
      await new Promise((r) => setTimeout(r, 50)); // let pending entries arrive
      obs.disconnect();
      const inside = seen.filter((g) => g.start >= from && g.start <= to);
      return { all: inside.length, young: inside.filter((g) => g.young).length };
    },
  };
}

export async function forwardLoop(arg: ForwardLoopArg): Promise<ForwardLoopResult> {
  const engine = await loadEngine(arg.engine);
  const streams = await buildStreams(arg.streams);
  // every pool's specialised fast path in this thread, before any burst runs (Mempool.specialise):
  // a burst before it would leave the generic functions in the call sites' feedback too
  await Mempool.specialiseAttached();
  // set verbose and capture: the wrappers go in while they are wanted (checked between chunks)
  const observers = new StreamObservers(streams);
  if (arg.txFirst > 0) {
    // start tx_first: one txonly burst per stream on the same queue objects, then the engine
    const txonly = await loadEngine(arg.txonly);
    for (const s of streams) {
      txonly.streamInit?.(s);
      for (let i = 0; i < arg.txFirst; i++) txonly.packetFwd(s);
      s.state = undefined;
    }
  }
  for (const s of streams) await engine.streamInit?.(s); // an engine may load per-stream code (macswap)
  const control = new Int32Array(arg.control);
  const iterations = new Float64Array(arg.iterations.buffer, arg.iterations.index * 8, 1);
  await new Promise((r) => setTimeout(r, 50)); // start-up garbage is collected before counting
  const warmup = gcCounter();
  const gc = gcCounter();
  Atomics.add(control, 1, 1);
  try {
    warmup.begin();
    await warmUp(engine.packetFwd, streams, control, iterations, observers);
    warmup.end();
    gc.begin();
    run(engine.packetFwd, streams, control, iterations, observers, CHUNK, FOREVER);
    gc.end();
    if (engine.streamEnd) for (const s of streams) engine.streamEnd(s);
  } catch (err) {
    // a driver or engine that throws ends this lcore's forwarding; the main lcore reports it at
    // once. What an engine still holds (noisy's FIFO) is sent or counted as dropped first; a
    // second failure there is not reported over the first.
    if (engine.streamEnd) {
      for (const s of streams) {
        try {
          engine.streamEnd(s);
        } catch {
          /* the first error is the one reported */
        }
      }
    }
    const what = err instanceof Error && !(err instanceof DpkitError) ? `${err.name}: ` : '';
    throw new DpkitError(`${engine.name} forwarding failed: ${what}${errorLine(err)}`, 'EFAULT');
  } finally {
    releaseStreams(streams);
  }
  const after = await gc.count();
  return { gcCount: after.all, gcYoung: after.young, warmupGcCount: (await warmup.count()).all };
}

/** Lets go of the queues the streams built (each queue object once). */
export function releaseStreams(streams: FwdStream[]): void {
  const done = new Set<object>();
  for (const s of streams) {
    for (const w of [s.rxq, s.txq]) {
      let q: RxQueue | TxQueue = w;
      while (q instanceof RecordingRxQueue || q instanceof RecordingTxQueue || q instanceof RetryTxQueue || q instanceof ObservedRxQueue || q instanceof ObservedTxQueue) q = q.inner;
      if (done.has(q)) continue;
      done.add(q);
      q.release?.();
    }
  }
}

/**
 * Why the warm-up is not simply the first chunks of run(): V8 compiles run() with the engine,
 * the queues' bursts and the mempool inlined into it, and what it inlines, and how well, depends
 * on the type feedback those functions have at that moment. Compiled while the cache's refill
 * and flush paths or run()'s own chunk-end code had not yet run, it was deoptimised when they
 * first ran and compiled again, and again when run() was entered a second time after a warm-up
 * of its own; each compilation could inline differently, so whole runs landed in a slower mode
 * (rxonly 62 or 93 Mpps for the same tree, bench/README.md). So: run() is first called for RUN_FEEDBACK_CHUNKS
 * chunks of one iteration while still interpreted, so that all its paths but the stop have feedback; the
 * engine then runs in a loop of its own (warmLoop), which gets the engine and everything it
 * calls optimised with complete feedback, with pauses that let V8's background compiler finish
 * and install that code; only then is run() entered for good, and compiled once.
 */
async function warmUp(fwd: (s: FwdStream) => void, streams: FwdStream[], control: Int32Array, iterations: Float64Array, observers: StreamObservers): Promise<void> {
  run(fwd, streams, control, iterations, observers, 1, RUN_FEEDBACK_CHUNKS);
  for (let r = 0; r < WARMUP_ROUNDS && Atomics.load(control, 0) === 0; r++) {
    for (let k = 0; k < WARMUP_BURSTS / CHUNK && Atomics.load(control, 0) === 0; k++) {
      iterations[0] += warmLoop(fwd, streams, control, CHUNK);
      observers.update();
    }
    await new Promise((resolve) => setTimeout(resolve, WARMUP_PAUSE_MS));
  }
  // compiling the engine filled old space: an incremental marking started by that would be
  // finished inside the loop, a 5-35 ms major collection (bench/README.md); done here instead
  collectGarbage();
}

/**
 * Chunks of one iteration that give run()'s chunk-end code its feedback: V8 gives a function a
 * feedback vector only after it has run a while (lazy feedback allocation), so a call of a
 * chunk or two records nothing and the first chunk end after compilation deoptimised it.
 */
const RUN_FEEDBACK_CHUNKS = 1000;

/** `bursts` iterations of the engine on every stream, fewer if the stop flag is raised; returns how many. */
function warmLoop(fwd: (s: FwdStream) => void, streams: FwdStream[], control: Int32Array, bursts: number): number {
  let i = 0;
  for (; i < bursts && Atomics.load(control, 0) === 0; i++) {
    for (let k = 0; k < streams.length; k++) fwd(streams[k]!);
  }
  return i;
}

/** `chunks` for run(): until the stop flag is raised */
const FOREVER = -1;

/**
 * Calls the engine on every stream until the stop flag is raised, or for `chunks` chunks of
 * `chunk` iterations. Every number here stays a small integer: `i` below `chunk`, `left`
 * counts down from a small bound or stays FOREVER (both Smis, so the type feedback of the
 * comparisons is the same for both).
 */
function run(fwd: (s: FwdStream) => void, streams: FwdStream[], control: Int32Array, iterations: Float64Array, observers: StreamObservers, chunk: number, chunks: number): void {
  const n = streams.length;
  let left = chunks;
  if (n === 1) {
    const s = streams[0]!;
    for (;;) {
      for (let i = 0; i < chunk; i++) {
        if (Atomics.load(control, 0) !== 0) {
          iterations[0] += i;
          return;
        }
        fwd(s);
      }
      iterations[0] += chunk;
      observers.update();
      if (left > 0 && --left === 0) return;
    }
  }
  for (;;) {
    for (let i = 0; i < chunk; i++) {
      if (Atomics.load(control, 0) !== 0) {
        iterations[0] += i;
        return;
      }
      for (let k = 0; k < n; k++) fwd(streams[k]!);
    }
    iterations[0] += chunk;
    observers.update();
    if (left > 0 && --left === 0) return;
  }
}
