/**
 * Each PMD's features.ini must say what the driver does: every line is compared with what the
 * port was seen to do (features-observe.ts: modes and MTU set and read back — from the kernel
 * for drivers on a netdev —, packets sent and counted per port, per queue and in xstats, link
 * up after start and down after stop, queues stopped and started), and a feature the driver
 * lacks the op for is N. A line nothing observes fails, and so does a feature observed but
 * left out, so the matrix cannot claim what nothing checks. The drivers on netdevs are
 * observed on a veth pair in a namespace of the test's own (root only).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eal } from '@dpkit/eal';
import type { Driver } from '@dpkit/eal/driver';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { driver as ringDriver } from '@dpkit/pmd-ring';
import { observeFeatures, type Observed } from './features-observe.js';

function parseIni(path: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const x = /^([^;[=][^=]*?)\s*=\s*([YPN])\s*$/.exec(line);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

function compare(t: import('ava').ExecutionContext, pkg: string, observed: Observed): void {
  const ini = parseIni(new URL(`../../packages/${pkg}/features.ini`, import.meta.url).pathname);
  t.true(ini.size > 5, `${pkg}/features.ini lists its features`);
  for (const [feature, claim] of ini) {
    const o = observed[feature];
    if (!o) {
      t.fail(`${pkg}: feature '${feature}' is not observed by this test; teach features-observe.ts before claiming it`);
      continue;
    }
    t.is(claim, o.value, `${pkg}: ${feature} = ${claim}, but the port: ${o.why}`);
  }
  for (const feature of Object.keys(observed)) t.true(ini.has(feature), `${pkg}/features.ini leaves out '${feature}'`);
}

for (const [pkg, drv, vdev] of [['pmd-null', nullDriver, 'net_null0'], ['pmd-ring', ringDriver, 'net_ring0']] as [string, Driver, string][]) {
  test.serial(`${pkg}/features.ini says what ${drv.name} does`, async (t) => {
    const eal = (await Eal.init(['-l', '0', '--no-pci', `--vdev=${vdev}`, `--file-prefix=feat-${process.pid}-${pkg}`], { drivers: [drv] }))!;
    try {
      compare(t, pkg, await observeFeatures(eal, drv));
    } finally {
      await eal.cleanup();
    }
  });
}

const fixture = fileURLToPath(new URL('./fixtures/features-netns.js', import.meta.url));
for (const [pkg, name] of [['pmd-af-xdp', 'net_af_xdp'], ['pmd-af-packet', 'net_af_packet']]) {
  kernelTest(test.serial)(`${pkg}/features.ini says what ${name} does (on a veth pair)`, async (t) => {
    const out = await withVethPair((p) => p.exec(process.execPath, [fixture, name!, p.a], 60_000), { queues: 2 });
    compare(t, pkg!, JSON.parse(out) as Observed);
  });
}
