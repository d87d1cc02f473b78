/**
 * The ethdev conformance suite against net_af_xdp on a veth pair in a namespace of the test's
 * own, in XDP native (drv) and generic (skb) mode. The suite runs in a child process inside the
 * namespace; every case it reports must pass.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { canMakeNetns, hasLinux, withVethPair } from '@dpkit/eal/linux';

const fixture = fileURLToPath(new URL('./fixtures/conformance-netns.js', import.meta.url));
const real = hasLinux() && canMakeNetns() ? test.serial : test.serial.skip;

for (const mode of ['drv', 'skb'] as const) {
  real(`net_af_xdp on veth (XDP ${mode} mode) passes the ethdev conformance suite`, async (t) => {
    const out = await withVethPair((p) => p.exec(process.execPath, [fixture, p.a, p.b, mode], 120_000));
    const r = out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok: boolean; error?: string });
    t.is(r.length, 8, 'every case reported');
    for (const c of r) t.true(c.ok, `${c.name}: ${c.error ?? ''}`);
  });
}
