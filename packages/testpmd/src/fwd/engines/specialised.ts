/**
 * Module instances of an engine's loop bound to one value (a pool's views), in the style of
 * the mempool's specialised bursts (`@dpkit/eal`'s burst.ts, `poolBursts`, loaded per pool by `Mempool.specialise`): `instanceFor` imports
 * the module once per value with a query of its own, so each import is a new module instance,
 * and that instance reads its value with `valueFor(import.meta.url)` into module-level
 * constants. V8 (Node 20's 11.3) compiles a function of such a module, which has one closure,
 * specialised to its module context, and then folds those constants into the code: the checks
 * and loads it repeats on every iteration for a typed array read from an object field go. That
 * is an optimisation of the engine, not a language guarantee: without it the instance runs as
 * fast as the generic loop. Each instance stays loaded for the life of the thread.
 */
import { DpkitError } from '@dpkit/eal';

const pending = new Map<string, unknown>();
let made = 0;

/** Imports a new instance of the module at `moduleUrl` that `valueFor` gives `value`. */
export async function instanceFor<T>(moduleUrl: string, value: unknown): Promise<T> {
  const token = String(++made);
  pending.set(token, value);
  try {
    return (await import(`${moduleUrl}?for=${token}`)) as T;
  } finally {
    pending.delete(token);
  }
}

/** The value the instance at `url` (its `import.meta.url`) was imported for. */
export function valueFor(url: string): unknown {
  const token = new URL(url).searchParams.get('for') ?? '';
  if (!pending.has(token)) throw new DpkitError(`${url}: not imported by instanceFor`);
  return pending.get(token);
}
