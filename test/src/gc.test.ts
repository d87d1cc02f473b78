/**
 * The per-packet path allocates nothing: io, rxonly, macswap and txonly on net_null move
 * millions of packets on a worker lcore without one garbage collection there after its warm-up
 * (young or old, gc-line.ts), and an idle port is polled past 2^31 loop iterations (where a plain loop counter leaves V8's
 * small integers and is boxed) without one either. The control shows the counter works: an engine that allocates per
 * burst does trigger collections. Bounded by packet count, iteration count and time; no
 * timing is asserted.
 */
import test from 'ava';
import { Eal } from '@dpkit/eal';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { Testpmd, parseTestpmdArgs, registerEngine } from '@dpkit/testpmd';
import { forwardingGarbage, noForwardingGarbage } from './gc-line.js';

/** Forwards until the port has received or sent `packets` (and the loop ran `iterations`); `moved` is the larger of its rx and tx packet counts. */
async function forward(mode: string, packets: number, iterations = 0, vdev = 'net_null0'): Promise<{ gc: string; moved: number; rx: number; iterations: number }> {
  const eal = await Eal.init(['-l', '0-1', '--no-pci', `--vdev=${vdev}`, `--file-prefix=gc-${process.pid}-${mode}`], { drivers: [nullDriver] });
  const lines: string[] = [];
  const app = new Testpmd(eal!, parseTestpmdArgs([`--forward-mode=${mode}`, '--port-topology=loop']), (s) => lines.push(s));
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  try {
    await app.init();
    await app.start();
    const port = eal!.ethdevs.get(0);
    const polled = () => app.loopIterations()[0]![1];
    const moved = () => Math.max(port.statsGet().ipackets, port.statsGet().opackets);
    // ~120 M idle iterations a second here: 2^31 takes ~20 s; the bound leaves room for a slower machine
    const end = Date.now() + (iterations > 0 ? 100_000 : 30_000);
    while ((moved() < packets || polled() < iterations) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await app.stop();
    return { gc: lines.find((l) => l.includes('garbage collections')) ?? '', moved: moved(), rx: port.statsGet().ipackets, iterations: polled() };
  } finally {
    process.env.DPKIT_REPORT_GC = prev;
    await app.shutdown();
    await eal!.cleanup();
  }
}

// twice each: a major collection left over from compiling the loop came in about one run in
// three before the lcore collected after its warm-up (bench/README.md), so one run alone
// would often miss its return
for (const mode of ['io', 'rxonly', 'macswap', 'txonly']) {
  test.serial(`${mode} on net_null collects no garbage on the forwarding lcore, twice`, async (t) => {
    for (let run = 0; run < 2; run++) {
      const r = await forward(mode, 20_000_000);
      t.true(r.moved >= 20_000_000, `moved ${r.moved}`);
      t.true(noForwardingGarbage(forwardingGarbage(r.gc)), `run ${run + 1}: ${r.gc}`);
    }
  });
}

test.serial('an idle port polled past 2^31 loop iterations collects no garbage on the forwarding lcore', async (t) => {
  t.timeout(115_000); // under ava's 120 s inactivity timeout (test/package.json)
  const past = 2 ** 31 + 2 ** 27;
  const r = await forward('rxonly', 0, past, 'net_null0,no-rx=1');
  t.true(r.iterations >= past, `polled ${r.iterations} times, not past 2^31`);
  t.is(r.rx, 0);
  t.is(forwardingGarbage(r.gc)?.iterations, r.iterations, r.gc);
  t.true(noForwardingGarbage(forwardingGarbage(r.gc)), r.gc);
});

test.serial('control: an engine that allocates per burst is seen collecting', async (t) => {
  registerEngine('allocating', { module: new URL('./fixtures/allocating-engine.js', import.meta.url).href, export: 'engine' });
  const r = await forward('allocating', 20_000_000);
  t.true((forwardingGarbage(r.gc)?.young ?? 0) > 0, r.gc);
});
