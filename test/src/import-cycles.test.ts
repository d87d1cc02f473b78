/**
 * No import cycles: madge reads every package's TypeScript sources (type-only imports
 * included, so a cycle that only the type checker sees counts too) and the workspace's
 * package dependencies are checked for cycles between packages.
 *
 * Precise, not madge's list of the cycles its search happened to meet: every strongly
 * connected component of each package's import graph must be a single file. No cycle is
 * allowed (the type-level one driver/types.ts - ethdev/ethdev.ts - ethdev/ops.ts went with
 * issue 9 item 1: drivers see a DriverPort, not the application's EthDev).
 */
import test from 'ava';
import madge from 'madge';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sources = ['packages/eal', 'packages/pmd-null', 'packages/pmd-ring', 'packages/pmd-af-xdp', 'packages/pmd-af-packet', 'packages/bifurc', 'packages/testpmd', 'packages/ixgbe-defs', 'packages/sim-82599', 'packages/pmd-ixgbe', 'packages/dumpcap', 'test'];

type Graph = Record<string, string[]>;

/** Tarjan's strongly connected components with more than one node, or a node importing itself. */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph[v] ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph[v] ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of Object.keys(graph).sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The import edges "from -> to" among the files of one cycle. */
function edgesWithin(graph: Graph, scc: string[]): string[] {
  return scc.flatMap((from) => (graph[from] ?? []).filter((to) => scc.includes(to)).map((to) => `${from} -> ${to}`)).sort();
}

/** Cycles of `graph` and their edges, one list of "from -> to" lines per cycle. */
function cycleReport(graph: Graph): string[][] {
  return cycles(graph).map((scc) => edgesWithin(graph, scc));
}

test('the cycle finder finds what madge must not hide: every cycle, including ones that share files', (t) => {
  // a -> b -> a and b -> c -> b share b: one component, four edges
  t.deepEqual(cycleReport({ a: ['b'], b: ['a', 'c'], c: ['b'], d: ['a'] }), [['a -> b', 'b -> a', 'b -> c', 'c -> b']]);
  t.deepEqual(cycleReport({ a: ['a'] }), [['a -> a']]);
  t.deepEqual(cycleReport({ a: ['b'], b: ['c'], c: [] }), []);
});

for (const pkg of sources) {
  test(`no import cycles in ${pkg}/src (type-only imports included)`, async (t) => {
    const dir = join(root, pkg);
    const result = await madge(join(dir, 'src'), {
      fileExtensions: ['ts'],
      tsConfig: join(dir, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    const graph = result.obj();
    t.true(Object.keys(graph).length > 1, `madge read ${Object.keys(graph).length} files of ${pkg}/src`);
    // an import madge cannot resolve would hide its edges: only other @dpkit packages may be unresolved
    t.deepEqual(result.warnings().skipped.filter((s) => !/^@dpkit\//.test(s)), [], 'imports madge could not resolve');
    t.deepEqual(cycleReport(graph), [], `import cycles in ${pkg}/src`);
  });
}

/** Every file `from` reaches through its imports (itself excluded). */
function reach(graph: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph[from] ?? [])];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph[f] ?? []));
  }
  return seen;
}

// packages/eal/README.md "Layering": the driver contract and the netdev helpers never reach
// the application's port, the buses or the composition root
const APP_SIDE = /^(ethdev\/ethdev\.ts|ethdev\/binding\.ts|bus\/.*|eal\.ts|index\.ts)$/;
const CONTRACT = ['driver/port.ts', 'driver/types.ts', 'ethdev/ops.ts', 'ethdev/fastpath.ts', 'ethdev/types.ts', 'linux/netdev.ts'];

test('layering of packages/eal/src: the driver contract does not reach the application side', async (t) => {
  const dir = join(root, 'packages/eal');
  const graph = (await madge(join(dir, 'src'), {
    fileExtensions: ['ts'], tsConfig: join(dir, 'tsconfig.json'), detectiveOptions: { ts: { skipTypeImports: false } },
  })).obj();
  const found = Object.fromEntries(CONTRACT.map((f) => [f, [...reach(graph, f)].filter((g) => APP_SIDE.test(g)).sort()]));
  t.true(CONTRACT.every((f) => f in graph), 'madge read every contract file');
  t.deepEqual(found, Object.fromEntries(CONTRACT.map((f) => [f, []])));
});

test('no dependency cycles between the workspace packages', (t) => {
  const graph: Graph = {};
  for (const pkg of sources) {
    const json = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
    const deps = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys((json[k] as Record<string, string> | undefined) ?? {}));
    graph[json.name as string] = deps.filter((d) => d.startsWith('@dpkit/'));
  }
  t.true(Object.keys(graph).length === sources.length);
  t.deepEqual(cycleReport(graph), []);
});
