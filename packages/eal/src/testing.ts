/**
 * @dpkit/eal/testing — the conformance suite every PMD runs against itself, and the gate
 * for kernel tests.
 *
 *   import test from 'ava';
 *   import { ethdevConformance, registerConformance } from '@dpkit/eal/testing';
 *   registerConformance(test.serial, ethdevConformance({ drivers: [driver], vdev: 'net_null0', rxGenerates: true }));
 *
 * Each case starts its own EAL (two lcores when the machine has them), checks one area of the
 * ethdev contract with node:assert, and cleans up even when it fails. It is runner-agnostic:
 * a case is a name, an async function that throws on failure, and `skip` (why it cannot run
 * here), which a runner must report as a skip, never a pass. The cases are in
 * conformance/cases.ts, what they check in every received mbuf in conformance/frames.ts.
 *
 * And the features.ini checker (features/): every line of a PMD's features.ini is compared
 * with what a real port of the driver does.
 *
 *   registerFeatures(test.serial, new URL('../../features.ini', import.meta.url), { drivers: [driver], vdev: 'net_null0' });
 */
import './instance.js';
import { spawnSync } from 'node:child_process';
import { DpkitError } from './errors.js';
import { linux } from './linux/native.js';
import type { ConformanceCase } from './conformance/cases.js';
import type { Driver } from './driver/types.js';
import type { Eal } from './eal.js';
import {
  compareFeatures, featuresFailures, observeDevice, observeOnVeth, readFeaturesIni, type FeaturesDevice, type FeaturesIni, type FeaturesVethDevice,
} from './features/check.js';
import { observeFeatures, type ObservedFeatures } from './features/observe.js';

export { ethdevConformance, conformanceWorkerBursts, type ConformanceCase } from './conformance/cases.js';
export type { ConformanceOptions } from './conformance/rig.js';
export {
  checkFeatures, compareFeatures, featuresFailures, type FeatureVerdict, type FeaturesDevice, type FeaturesIni, type FeaturesPort,
  type FeaturesVethDevice,
} from './features/check.js';
export { OBSERVED_FEATURES, observeFeatures, type ObservedFeature, type ObservedFeatures } from './features/observe.js';

/**
 * Runs conformance cases one after the other and prints one JSON line per case to stdout:
 * `{ name, ok, error? }`, or `{ name, skipped }` (the reason) for a case that cannot run here
 * — what a fixture running in a child process (a network namespace) reports to its test,
 * which must not count a skipped case as passed.
 */
export async function reportConformance(cases: ConformanceCase[]): Promise<void> {
  for (const c of cases) {
    if (c.skip) {
      process.stdout.write(JSON.stringify({ name: c.name, skipped: c.skip }) + '\n');
      continue;
    }
    try {
      await c.run();
      process.stdout.write(JSON.stringify({ name: c.name, ok: true }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ name: c.name, ok: false, error: (err as Error).message }) + '\n');
    }
  }
}

/**
 * Registers conformance cases with a test runner (ava's `test.serial`): a case that cannot run
 * here is registered as skipped, with the reason in its title; the others run and fail on the
 * first broken expectation.
 */
export function registerConformance(fn: TestRegistrar, cases: ConformanceCase[]): void {
  for (const c of cases) {
    if (c.skip) fn.skip(`${c.name} (skipped: ${c.skip})`, () => undefined);
    else fn(c.name, async (t: { pass(): void }) => {
      await c.run();
      t.pass(); // run() threw on any failure; the runner wants an assertion
    });
  }
}

/**
 * Where registerFeatures gets what the port does: a device it probes in an EAL of its own
 * (`{ drivers, vdev }`); a device on a netdev (`{ module, vdev: (iface) => devargs }`), which
 * it probes on a veth pair in a network namespace of its own, in a child process (root only:
 * register it with `kernelTest(test.serial)`); or, for any other set-up, `observe`, which
 * returns what a child process printed with reportFeatures (`name` goes in the test's title).
 */
export type FeaturesTarget = FeaturesDevice | FeaturesVethDevice | { name: string; observe: () => Promise<ObservedFeatures> | ObservedFeatures };

function featuresTitle(target: FeaturesTarget): string {
  if ('observe' in target) return target.name;
  if ('module' in target) return `${target.vdev('veth').split(',')[0]} (on a veth pair)`;
  return target.vdev.split(',')[0]!;
}

function observeTarget(target: FeaturesTarget): Promise<ObservedFeatures> | ObservedFeatures {
  if ('observe' in target) return target.observe();
  if ('module' in target) return observeOnVeth(target);
  return observeDevice(target);
}

/**
 * Registers one test with a test runner (ava's `test.serial`, or `kernelTest(test.serial)`)
 * that checks every line of features.ini against what the target's port does, and fails
 * with one line per wrong line (see compareFeatures for what fails).
 */
export function registerFeatures(fn: TestRegistrar, ini: FeaturesIni, target: FeaturesTarget): void {
  fn(`${featuresTitle(target)}: features.ini says what the port does`, async (t: { pass(): void }) => {
    const { text, file } = readFeaturesIni(ini); // a missing file fails before anything is probed
    const observed = await observeTarget(target);
    const failed = featuresFailures(compareFeatures(text, observed), file);
    if (failed) throw new Error(failed);
    t.pass(); // every line held; the runner wants an assertion
  });
}

/**
 * For a fixture in a child process (a network namespace): observes port 0 of `eal` (driver
 * `driver`, on netdev `iface`) and prints what it did as one JSON line to stdout, which the
 * parent passes to registerFeatures' `observe` (or compareFeatures).
 */
export async function reportFeatures(eal: Eal, driver: Driver, iface?: string): Promise<void> {
  process.stdout.write(JSON.stringify(await observeFeatures(eal, driver, iface)) + '\n');
}

/** What a test runner's test function looks like here (ava's `test` or `test.serial`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any runner's context type
type TestImpl = (t: any) => unknown;
export interface TestRegistrar {
  (title: string, impl: TestImpl): void;
  skip: (title: string, impl: TestImpl) => void;
}

/**
 * Why kernel tests (network namespaces, XDP, AF_XDP, TAP) cannot run in this process:
 * `{ skip }` where the process is not root (they need CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN),
 * `{ broken }` where it is root but the Linux addon does not load or iproute2's `ip` is
 * missing — a broken install, which must fail the run rather than skip it — or `{}` when
 * they can run.
 */
export function kernelTestStatus(): { skip?: string; broken?: string } {
  if (process.getuid?.() !== 0) return { skip: 'not root' };
  try {
    linux('kernel testing');
  } catch (err) {
    return { broken: `${(err as Error).message} (this process is root, so the kernel tests must run: they fail instead of being skipped)` };
  }
  const ip = spawnSync('ip', ['-V'], { timeout: 10_000 });
  if (ip.status !== 0) {
    return { broken: `the kernel tests need iproute2's ip command, which does not run here (${ip.error?.message ?? `exit ${ip.status}`}): apt-get install iproute2 (this process is root, so they fail instead of being skipped)` };
  }
  return {};
}

/**
 * Gates kernel tests: `const real = kernelTest(test.serial)`. Not root: `real(...)` registers
 * skipped tests. Root with everything present: real tests. Root with the addon or `ip`
 * missing: tests that fail with one line naming what is missing and how to get it.
 */
export function kernelTest<F extends TestRegistrar>(fn: F): F {
  const s = kernelTestStatus();
  if (s.skip) return fn.skip as unknown as F;
  if (s.broken) {
    const reason = s.broken;
    const failing = (title: string) => fn(title, () => {
      throw new DpkitError(reason, 'ENOTSUP');
    });
    return Object.assign(failing, { skip: fn.skip }) as unknown as F;
  }
  return fn;
}
