/**
 * A conformance case the options or the machine cannot run is reported as skipped, never as
 * passed: registerConformance registers it with the runner's skip, reportConformance prints
 * it as `{ name, skipped }` without running it.
 */
import test from 'ava';
import { onlineCpus } from '../args/corelist.js';
import { ethdevConformance, registerConformance, reportConformance, type ConformanceCase } from '../testing.js';

const rxCase = /rx sets every header field/;

test('without loopback or rxGenerates the rx case carries the reason it cannot run', (t) => {
  const cases = ethdevConformance({ drivers: [], vdev: 'net_tx_only0' });
  const rx = cases.find((c) => rxCase.test(c.name))!;
  t.is(rx.skip, 'rx has no packets to return here (neither loopback nor rxGenerates)');
  t.is(ethdevConformance({ drivers: [], vdev: 'net_x0', loopback: true }).find((c) => rxCase.test(c.name))!.skip, undefined);
  const worker = cases.find((c) => /worker lcore/.test(c.name))!;
  t.is(worker.skip, onlineCpus().length > 1 ? undefined : 'one CPU: no worker lcore to run them on');
});

test('registerConformance registers a case that cannot run as skipped, with the reason, and never runs it', (t) => {
  let ran = 0;
  const cases: ConformanceCase[] = [
    { name: 'runs', run: async () => { ran++; } },
    { name: 'cannot run', skip: 'no packets here', run: async () => { ran++; } },
  ];
  const registered: string[] = [];
  const skipped: string[] = [];
  const fn = Object.assign((title: string) => { registered.push(title); }, { skip: (title: string) => { skipped.push(title); } });
  registerConformance(fn, cases);
  t.deepEqual(registered, ['runs']);
  t.deepEqual(skipped, ['cannot run (skipped: no packets here)']);
  t.is(ran, 0, 'registering runs nothing');
});

test.serial('reportConformance prints a case that cannot run as skipped, without running it', async (t) => {
  let ran = 0;
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stdout.write;
  try {
    await reportConformance([
      { name: 'runs', run: async () => { ran++; } },
      { name: 'cannot run', skip: 'no packets here', run: async () => { ran++; } },
      { name: 'fails', run: async () => { throw new Error('boom'); } },
    ]);
  } finally {
    process.stdout.write = write;
  }
  t.is(ran, 1);
  t.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [
    { name: 'runs', ok: true }, { name: 'cannot run', skipped: 'no packets here' }, { name: 'fails', ok: false, error: 'boom' },
  ]);
});
