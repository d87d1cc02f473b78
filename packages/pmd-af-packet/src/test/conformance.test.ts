/**
 * The ethdev conformance suite against net_af_packet on a veth pair in a namespace of the
 * test's own, with the default rings and with a small ring (8 blocks: the ring wraps many
 * times in each case).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { ethdevConformance, kernelTest } from '@dpkit/eal/testing';
import { driver } from '../index.js';

const fixture = fileURLToPath(new URL('./fixtures/conformance-netns.js', import.meta.url));
const real = kernelTest(test.serial);
// the suite's cases as the fixture builds them
const suite = ethdevConformance({ drivers: [driver], vdev: 'net_af_packet0', loopback: true, queues: 1 }).length;

for (const devargs of ['', 'blocksz=16384,framesz=2048,framecnt=64,qdisc_bypass=1']) {
  real(`net_af_packet on veth${devargs ? ` (${devargs})` : ''} passes the ethdev conformance suite`, async (t) => {
    const out = await withVethPair((p) => p.exec(process.execPath, [fixture, p.a, p.b, devargs], 120_000));
    const r = out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok?: boolean; error?: string; skipped?: string });
    t.is(r.length, suite, 'every case reported');
    // a case the fixture could not run is not a pass of the suite
    for (const c of r) t.true(c.ok, `${c.name}: ${c.error ?? (c.skipped ? `skipped (${c.skipped})` : '')}`);
  });
}
