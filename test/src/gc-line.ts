/**
 * testpmd's per-lcore garbage-collection line (printed at `stop` with DPKIT_REPORT_GC=1):
 * `lcore 1: N garbage collections while forwarding (after warm-up; W during warm-up) in I loop
 * iterations`, followed, when N > 0, by ` (young generation: Y, old: O)`.
 *
 * What the per-packet path allocates lands in V8's young generation, so a young-generation
 * collection after warm-up means the loop allocates. An old-generation (major) collection was
 * seen in some runs too, started by V8 compiling the loop's functions; since the lcore collects
 * once after its warm-up (`collectGarbage`, @dpkit/eal) none is, so none is allowed: the loop
 * must see no collection at all.
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

/** true when the line says no collection ran while forwarding (after the warm-up) */
export function noForwardingGarbage(g: ForwardingGarbage | undefined): boolean {
  return g !== undefined && g.all === 0;
}
