/**
 * Logical cores, after rte_launch.h. The main lcore is the main thread; every other lcore of
 * the core list is a worker thread started at EAL init. Work is launched on an lcore by naming
 * a function exported by a module (`{ module: import.meta.url, export: 'run' }`), because
 * functions cannot cross threads; the argument is structured-cloned (SharedArrayBuffers are
 * shared, not copied). Before each launch the worker attaches every mempool of the process, so
 * mbuf handles mean the same thing on every lcore.
 *
 * Each worker thread pins itself to its lcore's CPUs (`-l 1`, `--lcores 1@3`) with
 * sched_setaffinity before it reports ready, as DPDK's lcore threads do; `Eal.init` pins the
 * main thread to the main lcore's CPUs and gives it its old mask back at cleanup. Without the
 * Linux addon, or where the kernel refuses a CPU (a cgroup cpuset), the thread floats and a
 * warning says so. One EAL per thread is the model (as one per process in DPDK): two EALs
 * started and cleaned up concurrently in one thread give its mask back in either order.
 */
import { Worker } from 'node:worker_threads';
import { DpkitError } from '../errors.js';
import { logs, type LogType } from '../log/log.js';
import type { MempoolDescriptor } from '../mbuf/mempool.js';
import { hasLinux, linux, type LinuxBinding } from '../linux/native.js';

/** A function an lcore can run: `export async function NAME(arg)` in `module` (a URL or path). */
export interface LaunchTarget {
  module: string;
  export: string;
}

export type LcoreState = 'WAIT' | 'RUNNING' | 'FINISHED';

interface WorkerLcore {
  id: number;
  cpus: number[];
  worker: Worker;
  state: LcoreState;
  seq: number;
  pending: { resolve(v: unknown): void; reject(e: Error): void } | undefined;
  result: Promise<unknown> | undefined;
  /** pinned to `cpus` */
  pinned: boolean;
}

export interface LcoreManagerOptions {
  lcores: Map<number, number[]>;
  mainLcore: number;
  /** every mempool of the process, attached by workers before each launch */
  pools: () => MempoolDescriptor[];
  /**
   * The Linux binding that pins the main thread to the main lcore's CPUs (undefined: it is not
   * pinned). Default: the addon, when it loads. The EAL passes the one its container resolves.
   */
  kernel?: () => LinuxBinding | undefined;
}

export class LcoreManager {
  readonly mainLcore: number;
  private readonly all: Map<number, number[]>;
  private readonly workers = new Map<number, WorkerLcore>();
  private readonly pools: () => MempoolDescriptor[];
  private readonly kernel: () => LinuxBinding | undefined;
  private readonly log: LogType = logs.register('eal', 6);
  /** the main thread's CPU mask before start() pinned it (given back at shutdown) */
  private mainMask: number[] | undefined;

  constructor(o: LcoreManagerOptions) {
    this.mainLcore = o.mainLcore;
    this.all = o.lcores;
    this.pools = o.pools;
    this.kernel = o.kernel ?? (() => (hasLinux() ? linux() : undefined));
  }

  /** Starts one worker thread per non-main lcore; resolves when all are ready. */
  async start(): Promise<void> {
    this.pinMain();
    const url = new URL('./worker.js', import.meta.url);
    const ready: Promise<void>[] = [];
    for (const [id, cpus] of this.all) {
      if (id === this.mainLcore) continue;
      const worker = new Worker(url, { workerData: { lcoreId: id, cpus, logs: logs.snapshot() } });
      const w: WorkerLcore = { id, cpus, worker, state: 'WAIT', seq: 0, pending: undefined, result: undefined, pinned: false };
      this.workers.set(id, w);
      ready.push(new Promise((resolve, reject) => {
        // an idle worker must not keep the process alive, but one starting up must
        worker.once('message', (m: { type: string; pinError?: string }) => {
          worker.unref();
          w.pinned = m.pinError === undefined;
          if (m.pinError !== undefined) this.log.warn(`lcore ${id} is not pinned to cpu ${cpus.join(',')}: ${m.pinError}`);
          if (m.type === 'ready') resolve();
          else reject(new Error(String(m.type)));
        });
        worker.once('error', reject);
      }));
      worker.on('message', (m: { type: string; seq: number; result?: unknown; message?: string; code?: string }) => {
        if (m.type === 'ready' || m.seq !== w.seq || !w.pending) return;
        const p = w.pending;
        w.pending = undefined;
        w.state = 'FINISHED';
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(new DpkitError(`lcore ${id}: ${m.message}`, m.code ?? 'EFAULT'));
      });
      worker.on('error', (err) => {
        this.log.err(`lcore ${id} died: ${err.message}`);
        w.state = 'FINISHED';
        w.pending?.reject(new DpkitError(`lcore ${id} died: ${err.message}`, 'EFAULT'));
        w.pending = undefined;
      });
    }
    await Promise.all(ready);
  }

  /** Every lcore id, main first. */
  ids(): number[] {
    return [this.mainLcore, ...[...this.all.keys()].filter((l) => l !== this.mainLcore).sort((a, b) => a - b)];
  }

  /** Worker lcore ids in order (RTE_LCORE_FOREACH_WORKER). */
  workerIds(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Is worker `lcore`'s thread pinned to its CPUs? */
  pinned(lcore: number): boolean {
    return this.workers.get(lcore)?.pinned ?? false;
  }

  cpusOf(lcore: number): number[] {
    return this.all.get(lcore) ?? [];
  }

  state(lcore: number): LcoreState {
    const w = this.workers.get(lcore);
    if (!w) throw new DpkitError(`lcore ${lcore} is not a worker lcore`, 'EINVAL');
    return w.state;
  }

  /** rte_eal_remote_launch: runs `target(arg)` on worker `lcore`. Throws EBUSY while it runs. */
  remoteLaunch(target: LaunchTarget, arg: unknown, lcore: number): void {
    const w = this.workers.get(lcore);
    if (!w) throw new DpkitError(`cannot launch on lcore ${lcore}: not a worker lcore (workers: ${this.workerIds().join(',') || 'none'})`);
    if (w.state === 'RUNNING') throw new DpkitError(`cannot launch on lcore ${lcore}: it is busy`, 'EBUSY');
    w.state = 'RUNNING';
    w.seq++;
    w.worker.ref();
    w.result = new Promise<unknown>((resolve, reject) => {
      w.pending = { resolve, reject };
    }).finally(() => w.worker.unref());
    w.result.catch(() => undefined); // a failure is reported through wait()
    w.worker.postMessage({ type: 'launch', seq: w.seq, module: target.module, export: target.export, arg, pools: this.pools() });
  }

  /** rte_eal_wait_lcore: resolves with the launched function's result (rejects with its error). */
  async wait(lcore: number): Promise<unknown> {
    const w = this.workers.get(lcore);
    if (!w) throw new DpkitError(`lcore ${lcore} is not a worker lcore`);
    if (!w.result) return undefined;
    try {
      return await w.result;
    } finally {
      if (w.state === 'FINISHED') w.state = 'WAIT';
    }
  }

  /** rte_eal_mp_wait_lcore */
  async waitAll(): Promise<void> {
    await Promise.all(this.workerIds().map((l) => this.wait(l)));
  }

  /** Ends every worker thread and unpins the main thread (at EAL cleanup). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.worker.terminate()));
    this.workers.clear();
    if (this.mainMask) {
      try {
        this.kernel()?.setAffinity(this.mainMask);
      } catch { /* the mask was this thread's own a moment ago */ }
      this.mainMask = undefined;
    }
  }

  /** Pins the calling (main) thread to the main lcore's CPUs, remembering its mask. */
  private pinMain(): void {
    const cpus = this.all.get(this.mainLcore);
    const l = cpus && !this.mainMask ? this.kernel() : undefined;
    if (!cpus || !l) return;
    const before = l.getAffinity();
    try {
      l.setAffinity(cpus);
      this.mainMask = before;
    } catch (err) {
      this.log.warn(`main lcore ${this.mainLcore} is not pinned to cpu ${cpus.join(',')}: ${(err as Error).message}`);
    }
  }
}
