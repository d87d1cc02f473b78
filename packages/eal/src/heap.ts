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
 * context is created. So the flag is set for the time it takes to create one context, whose
 * `gc` is kept, and cleared again: no other context of the process gets a `gc` global.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A full (major) garbage collection of this thread's heap, now. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as () => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc();
}
