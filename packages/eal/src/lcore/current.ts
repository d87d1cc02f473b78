/**
 * The lcore id of the calling thread, as rte_lcore_id(): the main lcore in the main thread
 * once Eal.init has run, the worker's lcore in each worker lcore thread, and LCORE_ID_ANY in
 * any other thread (a plain worker_threads Worker, or the main thread before Eal.init). As in
 * DPDK, a thread with LCORE_ID_ANY has no mempool cache: its gets and puts go to the pool's
 * ring, so it never shares an lcore's cache with that lcore.
 */
export const LCORE_ID_ANY = -1;

let current = LCORE_ID_ANY;

export function lcoreId(): number {
  return current;
}

/** @internal set by the EAL (main thread) and the worker bootstrap */
export function setLcoreId(id: number): void {
  current = id;
}
