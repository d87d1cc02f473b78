/**
 * The features.ini checker: every line of a PMD's features.ini (DPDK's
 * doc/guides/nics/features/*.ini format, `Feature name = Y|P|N` under `[Features]`) is compared
 * with what a real port of the driver was seen to do (observe.ts). A line must say what was
 * observed; a line the checker does not observe fails (the matrix must not claim what nothing
 * checks), and so does an observed feature the file leaves out, a P (nothing here observes
 * "partial"), a duplicate, and a line that is not `name = Y|P|N`.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { withVethPair } from '../linux/netns.js';
import { Eal } from '../eal.js';
import type { Bus, Driver } from '../driver/types.js';
import { OBSERVED_FEATURES, observeFeatures, type ObservedFeatures } from './observe.js';

/** One line of features.ini checked, or one observed feature it leaves out. */
export interface FeatureVerdict {
  /** the feature name ('' for a line that is not `name = Y|P|N`) */
  feature: string;
  /** 1-based line in features.ini; absent for a feature the file leaves out */
  line?: number;
  /** what the line says */
  claim?: 'Y' | 'P' | 'N';
  /** what the port did; absent where the checker does not observe the feature */
  observed?: 'Y' | 'N';
  ok: boolean;
  /** what the port did and why, or why the line cannot be checked */
  why: string;
}

/** features.ini as a path, a file: URL, or its text (a string with a newline is the text). */
export type FeaturesIni = string | URL;

function readIni(ini: FeaturesIni): { text: string; file: string } {
  if (ini instanceof URL) return { text: readFileSync(fileURLToPath(ini), 'utf8'), file: basename(ini.pathname) };
  if (ini.includes('\n')) return { text: ini, file: 'features.ini' };
  return { text: readFileSync(ini, 'utf8'), file: basename(ini) };
}

/**
 * Compares features.ini with what a port was observed to do (observeFeatures, perhaps in
 * another process): one verdict per line, then one per observed feature the file leaves out.
 */
export function compareFeatures(ini: FeaturesIni, observed: ObservedFeatures): FeatureVerdict[] {
  const { text } = readIni(ini);
  const out: FeatureVerdict[] = [];
  const listed = new Set<string>();
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith(';')) return;
    const sec = /^\[(.+)\]$/.exec(s);
    if (sec) { section = sec[1]!; return; }
    const x = /^([^=]*?)\s*=\s*([YPN])$/.exec(s);
    if (!x || section !== 'Features') {
      out.push({ feature: x?.[1] ?? '', line, ok: false, why: x ? `'${x[1]}' is outside the [Features] section` : `'${s}' is not 'Feature name = Y|P|N'` });
      return;
    }
    const feature = x[1]!;
    const claim = x[2] as 'Y' | 'P' | 'N';
    if (listed.has(feature)) {
      out.push({ feature, line, claim, ok: false, why: `'${feature}' is listed twice` });
      return;
    }
    listed.add(feature);
    const o = observed[feature];
    if (!o) {
      out.push({ feature, line, claim, ok: false, why: `the checker does not observe '${feature}': leave it out (it observes ${OBSERVED_FEATURES.join(', ')})` });
      return;
    }
    out.push({ feature, line, claim, observed: o.value, ok: claim === o.value, why: o.why });
  });
  for (const [feature, o] of Object.entries(observed)) {
    if (!listed.has(feature)) out.push({ feature, observed: o.value, ok: false, why: `left out; the port: ${o.why}` });
  }
  return out;
}

/** What checkFeatures exercises: port 0 of `eal`, of `driver`, on netdev `iface` if it has one. */
export interface FeaturesPort {
  eal: Eal;
  driver: Driver;
  iface?: string;
}

/**
 * Exercises port 0 of `port.eal` (fresh: not configured; see observeFeatures) and checks
 * every line of features.ini against what it did.
 */
export async function checkFeatures(ini: FeaturesIni, port: FeaturesPort): Promise<FeatureVerdict[]> {
  const text = readIni(ini).text; // read it first: a missing file fails before the port is touched
  return compareFeatures(text, await observeFeatures(port.eal, port.driver, port.iface));
}

/** The failed verdicts as one message (a line each), or undefined when every line holds. */
export function featuresFailures(verdicts: readonly FeatureVerdict[], file = 'features.ini'): string | undefined {
  const bad = verdicts.filter((v) => !v.ok);
  if (bad.length === 0) return undefined;
  return `${file}: ${bad.length} of ${verdicts.length} checks fail:\n` + bad.map((v) => {
    const where = v.line === undefined ? `'${v.feature}'` : v.claim === undefined ? `line ${v.line}` : `line ${v.line} '${v.feature} = ${v.claim}'`;
    return v.observed !== undefined && v.claim !== undefined ? `  ${where}: the port says ${v.observed}: ${v.why}` : `  ${where}: ${v.why}`;
  }).join('\n');
}

export { readIni as readFeaturesIni };

/** A device the checker probes in an EAL of its own (a vdev this process can create). */
export interface FeaturesDevice {
  /** the drivers to register */
  drivers: readonly Driver[];
  /** devargs of the device (its first port is checked), e.g. `net_null0` */
  vdev: string;
  /** extra buses the device needs */
  buses?: () => readonly Bus[];
  /** extra EAL arguments */
  eal?: readonly string[];
}

let prefixSeq = 0;

/** Starts an EAL with the device (one lcore, a --file-prefix of its own), observes its first port, cleans up. */
export async function observeDevice(o: FeaturesDevice): Promise<ObservedFeatures> {
  const prefix = `features-${process.pid}-${threadId}-${prefixSeq++}`; // test runners' worker threads share a pid
  const eal = await Eal.init(['-l', '0', '--no-pci', `--file-prefix=${prefix}`, `--vdev=${o.vdev}`, ...(o.eal ?? [])], {
    drivers: o.drivers, buses: o.buses?.(),
  });
  if (!eal) throw new Error(`Eal.init for ${o.vdev} returned no EAL`);
  try {
    const dev = eal.ethdevs.list()[0];
    if (!dev) throw new Error(`probing ${o.vdev} created no port`);
    const driver = o.drivers.find((d) => d.name === dev.driverName || d.aliases?.includes(dev.driverName));
    if (!driver) throw new Error(`port 0 of ${o.vdev} belongs to ${dev.driverName}, which is not among the drivers given`);
    return await observeFeatures(eal, driver, undefined);
  } finally {
    for (const d of eal.ethdevs.list()) {
      if (d.started) await d.stop();
    }
    await eal.cleanup();
  }
}

/**
 * A device on a netdev, which the checker probes on veth end `a` of a pair in a network
 * namespace of its own, in a child process (root only: register it with kernelTest).
 */
export interface FeaturesVethDevice {
  /** the driver package's module, a file: URL or path, exporting `drivers` or `driver` (e.g. `new URL('../index.js', import.meta.url)`) */
  module: string | URL;
  /** devargs of the device on veth end `iface`, e.g. `(iface) => 'net_af_xdp0,iface=' + iface` */
  vdev: (iface: string) => string;
  /** rx and tx queues of each veth end (default 2: the checker sends on the last of two queues) */
  queues?: number;
}

const vethChild = fileURLToPath(new URL('./veth-child.js', import.meta.url));

/** Makes a veth pair in a namespace of its own and observes the device there, in a child process. */
export async function observeOnVeth(o: FeaturesVethDevice): Promise<ObservedFeatures> {
  const url = o.module instanceof URL ? o.module.href : o.module.startsWith('file:') ? o.module : pathToFileURL(o.module).href;
  const out = await withVethPair((p) => p.exec(process.execPath, [vethChild, url, o.vdev(p.a), p.a], 60_000), { queues: o.queues ?? 2 });
  return JSON.parse(out) as ObservedFeatures;
}
