/**
 * --txonly-multi-flow rewrites each packet's IPv4 source on the forwarding lcore, and
 * --record-burst-stats counts each burst's size there: those paths allocate nothing
 * (DPKIT_REPORT_GC's count after warm-up is 0), as the engines' own.
 */
import test from 'ava';
import { TestpmdProcess, prefix } from './testpmd-process.js';

const WARMUP_PACKETS = 2 * 65536 * 32; // WARMUP_CHUNKS of CHUNK iterations, 32 packets a burst

test('txonly --txonly-multi-flow forwarding on net_null collects no garbage on the forwarding lcore', async (t) => {
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i', '--forward-mode=txonly', '--txonly-multi-flow', '--port-topology=loop']);
  process.env.DPKIT_REPORT_GC = prev;
  try {
    await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
    await p.command('start');
    // well past the warm-up: twice its packets sent
    for (let i = 0; i < 600; i++) {
      const tx = Number(/TX-packets: (\d+)/.exec(await p.command('show port stats 0'))?.[1] ?? 0);
      if (tx > 2 * WARMUP_PACKETS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = await p.command('stop');
    const gc = /lcore 1: (\d+) garbage collections while forwarding \(after warm-up; \d+ during warm-up\) in (\d+) loop iterations/.exec(stop);
    t.truthy(gc, stop);
    t.true(Number(gc![2]) > 2 * 65536, `past the warm-up: ${gc![2]} iterations`);
    t.is(Number(gc![1]), 0, stop);
    await p.command('quit').catch(() => undefined);
  } finally {
    p.kill();
  }
});

test('io --record-burst-stats forwarding on net_null collects no garbage on the forwarding lcore', async (t) => {
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i', '--record-burst-stats', '--port-topology=loop']);
  process.env.DPKIT_REPORT_GC = prev;
  try {
    await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
    await p.command('start');
    for (let i = 0; i < 600; i++) {
      const rx = Number(/RX-packets: (\d+)/.exec(await p.command('show port stats 0'))?.[1] ?? 0);
      if (rx > 2 * WARMUP_PACKETS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const stop = await p.command('stop');
    const gc = /lcore 1: (\d+) garbage collections while forwarding \(after warm-up; \d+ during warm-up\) in (\d+) loop iterations/.exec(stop);
    t.truthy(gc, stop);
    t.true(Number(gc![2]) > 2 * 65536, `past the warm-up: ${gc![2]} iterations`);
    t.is(Number(gc![1]), 0, stop);
    t.regex(stop, /RX-bursts : \d+ \[/);
    await p.command('quit').catch(() => undefined);
  } finally {
    p.kill();
  }
});
