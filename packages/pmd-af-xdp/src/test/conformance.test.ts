/**
 * The ethdev conformance suite against net_af_xdp on a veth pair in a namespace of the test's
 * own, in XDP native (drv) and generic (skb) mode. The suite runs in a child process inside the
 * namespace; every case it reports must pass.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { ethdevConformance, kernelTest } from '@dpkit/eal/testing';
import { driver } from '../index.js';

const fixture = fileURLToPath(new URL('./fixtures/conformance-netns.js', import.meta.url));
const real = kernelTest(test.serial);

// the suite's cases as the fixture builds them (+1: the busy-polling case)
const suite = ethdevConformance({ drivers: [driver], vdev: 'net_af_xdp0', loopback: true, queues: 1 }).length;
const variants = [
  { mode: 'drv', extra: '', cases: suite },
  { mode: 'skb', extra: '', cases: suite },
  { mode: 'drv', extra: 'busy_budget=64', cases: suite + 1 },
] as const;

for (const { mode, extra, cases } of variants) {
  real(`net_af_xdp on veth (XDP ${mode} mode${extra ? `, ${extra}` : ''}) passes the ethdev conformance suite`, async (t) => {
    const out = await withVethPair((p) => p.exec(process.execPath, [fixture, p.a, p.b, mode, extra], 120_000));
    const r = out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok?: boolean; error?: string; skipped?: string });
    t.is(r.length, cases, 'every case reported');
    // a case the fixture could not run is not a pass of the suite
    for (const c of r) t.true(c.ok, `${c.name}: ${c.error ?? (c.skipped ? `skipped (${c.skipped})` : '')}`);
  });
}
