/**
 * --txonly-multi-flow rewrites each packet's IPv4 source on the forwarding lcore, and
 * --record-burst-stats counts each burst's size there: those paths allocate nothing
 * (DPKIT_REPORT_GC's count after warm-up is 0), as the engines' own.
 */
import test, { type ExecutionContext } from 'ava';
import { TestpmdProcess, prefix } from './testpmd-process.js';
import { forwardingGarbage, noForwardingGarbage } from './gc-line.js';

const WARMUP_PACKETS = 2 * 65536 * 32; // WARMUP_ROUNDS of WARMUP_BURSTS bursts (fwd/lcore.ts), 32 packets a burst

/**
 * Forwards on net_null0 with `opts` until twice the warm-up's packets have gone by the port's
 * `counter` (`RX` or `TX`), stops, and checks the forwarding lcore's GC count after warm-up is 0;
 * returns the stop output.
 */
async function noGarbage(t: ExecutionContext, opts: string[], counter: 'RX' | 'TX'): Promise<string> {
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i', ...opts, '--port-topology=loop']);
  process.env.DPKIT_REPORT_GC = prev;
  try {
    await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
    await p.command('start');
    // well past the warm-up: twice its packets
    const re = new RegExp(`${counter}-packets: (\\d+)`);
    for (let i = 0; i < 600; i++) {
      const n = Number(re.exec(await p.command('show port stats 0'))?.[1] ?? 0);
      if (n > 2 * WARMUP_PACKETS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = await p.command('stop');
    const gc = forwardingGarbage(stop);
    t.truthy(gc, stop);
    t.true(gc!.iterations > 2 * 65536, `past the warm-up: ${gc!.iterations} iterations`);
    t.true(noForwardingGarbage(gc), stop);
    await p.command('quit').catch(() => undefined);
    return stop;
  } finally {
    p.kill();
  }
}

test('txonly --txonly-multi-flow forwarding on net_null collects no garbage on the forwarding lcore', async (t) => {
  await noGarbage(t, ['--forward-mode=txonly', '--txonly-multi-flow'], 'TX');
});

test('io --record-burst-stats forwarding on net_null collects no garbage on the forwarding lcore', async (t) => {
  t.regex(await noGarbage(t, ['--record-burst-stats'], 'RX'), /RX-bursts : \d+ \[/);
});
