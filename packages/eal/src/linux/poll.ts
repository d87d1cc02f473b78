/**
 * Interrupt mode for kernel-backed queues: waits on the event loop (a uv_poll watcher from the
 * addon, epoll underneath) until one of some fds is readable — an AF_XDP socket whose rx ring
 * has descriptors, an AF_PACKET socket with a block handed over, a TAP fd with a frame —
 * instead of spinning on empty bursts.
 */
import { DpkitError } from '../errors.js';
import { linux } from './native.js';

export interface ReadableWait {
  /** resolves true when an fd is readable, false at the timeout or when cancelled */
  readonly done: Promise<boolean>;
  /** ends the wait now (false); the watchers are gone when it returns */
  cancel(): void;
}

/** Watches `fds` until one is readable or `timeoutMs` passes (one uv_poll watcher each). */
export function waitReadable(fds: readonly number[], timeoutMs: number): ReadableWait {
  const l = linux('interrupt mode');
  if (fds.length === 0) throw new DpkitError('nothing to wait on: the queue has no kernel fd (is the port started?)', 'EINVAL');
  const pollers = fds.map((fd) => new l.Poller(fd));
  let settle: (v: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => { settle = resolve; });
  let over = false;
  const finish = (v: boolean) => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    for (const p of pollers) p.stop();
    settle(v);
  };
  const timer = setTimeout(() => finish(false), timeoutMs);
  for (const p of pollers) p.start(1, (status) => finish(status === 0));
  return { done, cancel: () => finish(false) };
}
