/**
 * The lcore id of the calling thread, as rte_lcore_id(): the main lcore in the main thread,
 * the worker's lcore in each worker thread. Set once per thread by the EAL.
 */
export const LCORE_ID_ANY = -1;

let current = 0;

export function lcoreId(): number {
  return current;
}

/** @internal set by the EAL (main thread) and the worker bootstrap */
export function setLcoreId(id: number): void {
  current = id;
}
