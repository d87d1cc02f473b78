/**
 * The body of a worker lcore thread: sets its lcore id and log levels, then runs launched
 * functions one at a time. Internal to the EAL.
 */
import '../instance.js';
import { parentPort, workerData } from 'node:worker_threads';
import { errorLine } from '../errors.js';
import { logs } from '../log/log.js';
import { hasLinux, linux } from '../linux/native.js';
import { Mempool, type MempoolDescriptor } from '../mbuf/mempool.js';
import { setLcoreId } from './current.js';

interface LaunchMessage {
  type: 'launch';
  seq: number;
  module: string;
  export: string;
  arg: unknown;
  pools: MempoolDescriptor[];
}

const data = workerData as { lcoreId: number; cpus: number[]; logs: ReturnType<typeof logs.snapshot> };
setLcoreId(data.lcoreId);
logs.restore(data.logs);

/** Pins this thread to its lcore's CPUs; the reason it could not, or undefined. */
function pin(): string | undefined {
  if (!hasLinux()) return 'the Linux addon is unavailable';
  try {
    linux().setAffinity(data.cpus);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
const pinError = pin();

parentPort!.on('message', (msg: LaunchMessage) => {
  if (msg.type !== 'launch') return;
  void run(msg);
});
parentPort!.postMessage({ type: 'ready', pinError });

async function run(msg: LaunchMessage): Promise<void> {
  try {
    for (const d of msg.pools) Mempool.attach(d);
    const mod = (await import(msg.module)) as Record<string, unknown>;
    const fn = mod[msg.export];
    if (typeof fn !== 'function') throw new Error(`${msg.module} has no exported function '${msg.export}'`);
    const result = await (fn as (arg: unknown) => unknown)(msg.arg);
    parentPort!.postMessage({ type: 'done', seq: msg.seq, result });
  } catch (err) {
    parentPort!.postMessage({
      type: 'error', seq: msg.seq, message: errorLine(err),
      code: (err as { code?: string }).code,
    });
  }
}
