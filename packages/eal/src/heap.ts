/**
 * A full garbage collection on request, for the moment before a loop that must not pause.
 * Compiling a burst function allocates in V8's old generation (code, deoptimisation data,
 * feedback); when that crosses the heap's limit V8 starts an incremental marking, which runs
 * on background threads and is finished on the isolate's own thread at its next interrupt
 * check: inside the forwarding loop, as a major collection of 5-35 ms seen here (txonly on
 * net_null, bench/README.md). A collection forced once the loop's code is compiled finishes any
 * marking in progress and sets the next limit from the heap that is left, so the loop, which
 * allocates nothing, does not reach it.
 *
 * JavaScript has no call for it: `gc` exists only with `--expose-gc`, which V8 reads when a
 * context is created. Started with `--expose-gc`, the thread's own `gc` is used. Otherwise the
 * flag is set for the time it takes to create one context, whose `gc` is kept, and cleared
 * again: this thread's other contexts get no `gc` global, but a context another thread creates
 * in that moment may, and two lcores doing this at once can clear the flag under each other,
 * so a context that came without `gc` is tried again (a few times; after that the collection
 * is skipped and `collectGarbage` returns false).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const exposed = (globalThis as { gc?: unknown }).gc;
let gc: (() => void) | undefined = typeof exposed === 'function' ? (exposed as () => void) : undefined;

function borrowGc(): (() => void) | undefined {
  for (let attempt = 0; attempt < 10; attempt++) {
    setFlagsFromString('--expose-gc');
    let f: unknown;
    try {
      f = runInNewContext('typeof gc === "function" ? gc : undefined');
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
    if (typeof f === 'function') return f as () => void;
  }
  return undefined;
}

/** A full (major) garbage collection of this thread's heap, now; false if no `gc` could be had (see above). */
export function collectGarbage(): boolean {
  gc ??= borrowGc();
  if (gc === undefined) return false;
  gc();
  return true;
}
