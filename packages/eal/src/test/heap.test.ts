import test from 'ava';
import { spawnSync } from 'node:child_process';

const heap = new URL('../heap.js', import.meta.url).href;

test('collectGarbage runs one forced major collection, twice when called twice, and leaves no gc global behind', (t) => {
  // in a child: the --expose-gc flag is process-wide while it is set
  const code = `
    import { PerformanceObserver, constants as c } from 'node:perf_hooks';
    import { runInNewContext } from 'node:vm';
    import { collectGarbage } from '${heap}';
    const seen = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) seen.push(e.detail); });
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((r) => setTimeout(r, 50));
    seen.length = 0;
    collectGarbage();
    collectGarbage();
    await new Promise((r) => setTimeout(r, 50));
    const forcedMajor = seen.filter((d) => d.kind === c.NODE_PERFORMANCE_GC_MAJOR && (d.flags & c.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0).length;
    console.log(JSON.stringify({ forcedMajor, here: typeof globalThis.gc, fresh: runInNewContext('typeof gc') }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), { forcedMajor: 2, here: 'undefined', fresh: 'undefined' });
});

test('eight threads collecting at the same moment all get their collection (the flag cleared under a thread is retried)', (t) => {
  const fixture = new URL('./fixtures/gc-race.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [fixture, '5', '8'], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim()), { ok: 40, failed: 0 });
});
