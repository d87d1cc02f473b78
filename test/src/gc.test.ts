/**
 * The per-packet path allocates nothing: io forwarding on net_null runs millions of packets
 * on a worker lcore without one garbage collection there. The control shows the counter
 * works: an engine that allocates per burst does trigger collections. Bounded by packet
 * count and by time; no timing is asserted.
 */
import test from 'ava';
import { Eal } from '@dpkit/eal';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { Testpmd, parseTestpmdArgs, registerEngine } from '@dpkit/testpmd';

async function forward(mode: string, packets: number): Promise<{ gc: string; rx: number }> {
  const eal = await Eal.init(['-l', '0-1', '--no-pci', '--vdev=net_null0', `--file-prefix=gc-${process.pid}-${mode}`], { drivers: [nullDriver] });
  const lines: string[] = [];
  const app = new Testpmd(eal!, parseTestpmdArgs([`--forward-mode=${mode}`, '--port-topology=loop']), (s) => lines.push(s));
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  try {
    await app.init();
    await app.start();
    const port = eal!.ethdevs.get(0);
    const end = Date.now() + 30_000;
    while (port.statsGet().ipackets < packets && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await app.stop();
    return { gc: lines.find((l) => l.includes('garbage collections')) ?? '', rx: port.statsGet().ipackets };
  } finally {
    process.env.DPKIT_REPORT_GC = prev;
    await app.shutdown();
    await eal!.cleanup();
  }
}

test.serial('io forwarding on net_null collects no garbage on the forwarding lcore', async (t) => {
  const r = await forward('io', 20_000_000);
  t.true(r.rx >= 20_000_000, `forwarded ${r.rx}`);
  t.regex(r.gc, /^lcore 1: 0 garbage collections while forwarding \(after warm-up; \d+ during warm-up\)$/);
});

test.serial('control: an engine that allocates per burst is seen collecting', async (t) => {
  registerEngine('allocating', { module: new URL('./fixtures/allocating-engine.js', import.meta.url).href, export: 'engine' });
  const r = await forward('allocating', 20_000_000);
  const n = Number(/lcore 1: (\d+) garbage/.exec(r.gc)?.[1]);
  t.true(n > 0, r.gc);
});
