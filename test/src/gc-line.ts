/**
 * testpmd's per-lcore garbage-collection line (printed at `stop` with DPKIT_REPORT_GC=1):
 * `lcore 1: N garbage collections while forwarding (after warm-up; W during warm-up) in I loop
 * iterations`, followed, when N > 0, by ` (young generation: Y, old: O)`.
 *
 * What the per-packet path allocates lands in V8's young generation, so "allocates nothing"
 * means no young-generation collection after warm-up. An old-generation collection alone
 * (seen at most once per run, in loaded runs, on net_null and net_ixgbe; our reading, not
 * proven: V8 compiling late fills old space) is allowed once and no more.
 */
const GC_LINE = /lcore 1: (\d+) garbage collections while forwarding \(after warm-up; (\d+) during warm-up\) in (\d+) loop iterations(?: \(young generation: (\d+), old: (\d+)\))?/;

export interface ForwardingGarbage {
  all: number;
  young: number;
  old: number;
  iterations: number;
}

export function forwardingGarbage(out: string): ForwardingGarbage | undefined {
  const m = GC_LINE.exec(out);
  if (!m) return undefined;
  return { all: Number(m[1]), young: Number(m[4] ?? 0), old: Number(m[5] ?? 0), iterations: Number(m[3]) };
}

/** true when the line says the loop made no garbage: no young-generation collection, at most one old-generation one */
export function noForwardingGarbage(g: ForwardingGarbage | undefined): boolean {
  return g !== undefined && g.young === 0 && g.old <= 1 && g.all === g.young + g.old;
}
