/**
 * What a port does, observed: each feature of DPDK's doc/guides/nics/features/*.ini that the
 * checker knows (OBSERVED_FEATURES) is exercised on a real port and answered Y only if it
 * worked (and the op behind it exists), N if the driver lacks it. Internal to
 * @dpkit/eal/testing (features/check.ts compares the answers with a features.ini).
 */
import type { Eal } from '../eal.js';
import { DrvFlags, type Driver } from '../driver/types.js';
import type { EthDev } from '../ethdev/ethdev.js';
import { rxPoolFits } from '../ethdev/types.js';
import { mbufAppend, mbufDataOffset, mbufFreeBulk, mbufPool } from '../mbuf/mbuf.js';
import type { Mempool } from '../mbuf/mempool.js';
import { IFF_ALLMULTI, IFF_PROMISC } from '../linux/netdev.js';
import { linux } from '../linux/native.js';

/** What the port was seen to do for one feature: Y (it worked) or N (no op, or it failed), and why. */
export interface ObservedFeature { value: 'Y' | 'N'; why: string }
/** feature name as in features.ini → what the port did (JSON-serialisable, for a child process to report) */
export type ObservedFeatures = Record<string, ObservedFeature>;

/** The features the checker observes, by their names in DPDK's features/*.ini. */
export const OBSERVED_FEATURES = [
  'Link status', 'Link status event', 'Queue start/stop', 'MTU update', 'Promiscuous mode', 'Allmulticast mode',
  'Basic stats', 'Extended stats', 'Stats per queue', 'Multiprocess aware', 'Linux', 'x86-64',
] as const;

const FRAME = 60;

/** Sends `n` broadcast frames of the local experimental ethertype on tx queue `q`; returns how many went. */
function send(dev: EthDev, pool: Mempool, q: number, n: number): number {
  const pkts = new Uint32Array(n);
  if (!pool.allocBulk(pkts, 0, n)) throw new Error('pool ran dry');
  for (let i = 0; i < n; i++) {
    const m = pkts[i]!;
    mbufAppend(m, FRAME);
    const b = mbufPool(m).bytes;
    const off = mbufDataOffset(m);
    b.fill(0xff, off, off + 6);
    b.set([0x02, 0, 0, 0, 0, 1, 0x88, 0xb5], off + 6);
  }
  const sent = dev.txBurst(q, pkts, 0, n);
  mbufFreeBulk(pkts, sent, n - sent);
  return sent;
}

/** Runs `fn`; its error as a reason, or undefined. */
async function tries(fn: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Exercises port 0 of `eal` (driver `drv`; on netdev `iface` when it has one: promiscuous and
 * all-multicast flags and the MTU are then read back from the kernel) and reports every
 * feature of OBSERVED_FEATURES. The port must be fresh (not configured); it is left stopped,
 * its modes and MTU as they were. Creates a mempool named `features`.
 */
export async function observeFeatures(eal: Eal, drv: Driver, iface?: string): Promise<ObservedFeatures> {
  const out: ObservedFeatures = {};
  const dev = eal.ethdevs.get(0);
  const flagsOf = () => linux().ifInfo(iface!).flags;
  const set = (f: (typeof OBSERVED_FEATURES)[number], ok: boolean, why: string) => { out[f] = { value: ok ? 'Y' : 'N', why }; };

  // MTU on the stopped port
  if (!dev.supports('mtuSet')) set('MTU update', false, 'no mtuSet op');
  else {
    const was = dev.mtu;
    const want = Math.max(dev.info().minMtu, Math.min(was, dev.info().maxMtu) - 100);
    const err = await tries(async () => {
      await dev.mtuSet(want);
      if (dev.mtu !== want || (iface && linux().ifInfo(iface).mtu !== want)) throw new Error(`MTU ${want} did not take`);
      await dev.mtuSet(was);
    });
    set('MTU update', !err, err ?? `set to ${want} and back` + (iface ? ' (the netdev followed)' : ''));
  }

  // traffic: per-queue and port counters, xstats, link, queue start/stop
  const info = dev.info();
  const queues = Math.min(2, info.maxRxQueues, info.maxTxQueues);
  const needs = info.rxPoolNeeds;
  const pool = eal.mempoolCreate('features', {
    size: 2048, cacheSize: 0, ...(needs?.memory ? { memory: needs.memory } : {}), ...(needs?.bufSizes ? { dataRoomSize: needs.bufSizes[0] } : {}),
  });
  if (needs && !rxPoolFits(needs, pool)) throw new Error('the features pool does not fit the port');
  await dev.configure(queues, queues);
  for (let q = 0; q < queues; q++) {
    await dev.rxQueueSetup(q, 512, 0, {}, pool);
    await dev.txQueueSetup(q, 512, 0, {});
  }
  await dev.start();
  // modes on the started port (a netdev PMD puts them on the netdev while it runs, and
  // gives the netdev its own flags back at stop), read back from the netdev where there is one
  for (const [f, on, flag, has] of [
    ['Promiscuous mode', (v: boolean) => dev.promiscuousSet(v), IFF_PROMISC, dev.supports('promiscuousEnable') && dev.supports('promiscuousDisable')],
    ['Allmulticast mode', (v: boolean) => dev.allmulticastSet(v), IFF_ALLMULTI, dev.supports('allmulticastEnable') && dev.supports('allmulticastDisable')],
  ] as const) {
    if (!has) { set(f, false, 'no enable/disable ops'); continue; }
    const was = f === 'Promiscuous mode' ? dev.promiscuous : dev.allMulticast;
    const get = () => (f === 'Promiscuous mode' ? dev.promiscuous : dev.allMulticast);
    const err = await tries(async () => {
      await on(true);
      if (!get() || (iface && !(flagsOf() & flag))) throw new Error('enabling did not take');
      await on(false);
      if (get() || (iface && flagsOf() & flag)) throw new Error('disabling did not take');
      await on(was);
    });
    set(f, !err, err ?? 'enabled and disabled' + (iface ? ` (the netdev's flag followed)` : ''));
  }
  const linkUp = (await dev.linkGet()).up;
  const last = queues - 1;
  const sent = send(dev, pool, last, 7);
  const s = dev.statsGet();
  set('Basic stats', sent === 7 && s.opackets === 7 && s.obytes === 7 * FRAME,
    `sent ${sent} of 7 frames of ${FRAME} bytes: opackets ${s.opackets}, obytes ${s.obytes}`);
  set('Stats per queue', s.qOpackets[last] === 7 && s.qObytes[last] === 7 * FRAME && s.qOpackets.reduce((a, b) => a + b, 0) === 7,
    `7 frames on tx queue ${last}: per-queue opackets ${s.qOpackets.join(',')}`);
  const x = new Map(dev.xstatsGet().map((e) => [e.name, e.value]));
  dev.xstatsReset();
  const x0 = new Map(dev.xstatsGet().map((e) => [e.name, e.value]));
  set('Extended stats', x.get('tx_good_packets') === 7 && x.get('tx_good_bytes') === 7 * FRAME && x.get(`tx_q${last}_packets`) === 7 && x0.get('tx_good_packets') === 0,
    `tx_good_packets ${x.get('tx_good_packets')}, tx_q${last}_packets ${x.get(`tx_q${last}_packets`)}, ${x0.get('tx_good_packets')} after reset`);
  if (dev.supports('rxQueueStart') && dev.supports('rxQueueStop') && dev.supports('txQueueStart') && dev.supports('txQueueStop')) {
    const err = await tries(async () => {
      await dev.queueStop('tx', last);
      if (dev.queueInfo('tx', last).state !== 'stopped') throw new Error('tx queue not stopped');
      await dev.queueStart('tx', last);
      await dev.queueStop('rx', last);
      await dev.queueStart('rx', last);
    });
    set('Queue start/stop', !err, err ?? 'rx and tx queues stopped and started on a started port');
  } else set('Queue start/stop', false, 'no queue start/stop ops');
  await dev.stop();
  const linkDown = !(await dev.linkGet()).up;
  set('Link status', linkUp && linkDown, `link up after start: ${linkUp}, down after stop: ${linkDown}`);
  // link changes the driver learns of by itself (an interrupt): only with INTR_LSC
  set('Link status event', (drv.drvFlags & DrvFlags.INTR_LSC) !== 0, `RTE_PCI_DRV_INTR_LSC ${(drv.drvFlags & DrvFlags.INTR_LSC) ? 'set' : 'not set'}`);
  // dpkit has no secondary processes (DPDK's --proc-type=secondary): nothing is multiprocess aware
  set('Multiprocess aware', false, 'dpkit has no secondary processes');
  const ran = sent === 7 && linkUp;
  set('Linux', process.platform === 'linux' && ran, `started and sent on ${process.platform}`);
  set('x86-64', process.arch === 'x64' && ran, `started and sent on ${process.arch}`);
  return out;
}
