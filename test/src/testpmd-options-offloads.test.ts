/**
 * --rss-ip, --rss-udp, --disable-rss, --rx-offloads and --no-lsc-interrupt against a port that
 * has RSS hash functions, rx offloads and link-state-change events (dpkit's own PMDs have none
 * of them): what dpkit-testpmd configures the port with, as DPDK 22.11's testpmd does (RSS only with several rx queues, on the
 * functions asked that the port has; link-state-change events unless --no-lsc-interrupt).
 */
import test from 'ava';
import { Eal } from '@dpkit/eal';
import { DrvFlags, defineDriver, defineParams } from '@dpkit/eal/driver';
import { Testpmd, parseTestpmdArgs } from '@dpkit/testpmd';

export const createRxQueue = () => ({ rxBurst: () => 0 });
export const createTxQueue = () => ({ txBurst: () => 0 });
// ipv4, ipv4-frag, ipv4-tcp, ipv4-udp (RTE_ETH_RSS_* bits 2-5); VLAN strip and QinQ strip (bits 0, 5)
const RSS_CAPA = 0x3c;
const rssDriver = defineDriver({
  name: 'net_rssfake',
  bus: 'vdev',
  drvFlags: DrvFlags.INTR_LSC, // and its port says so (lsc)
  params: defineParams({}),
  probe(device, ctx) {
    ctx.ethdev.allocate({
      name: device.name, device, driver: 'net_rssfake', priv: {}, lsc: true,
      ops: {
        infoGet: () => ({ maxRxQueues: 4, maxTxQueues: 4, rxOffloadCapa: 0x21, flowTypeRssOffloads: RSS_CAPA }),
        configure: () => undefined, start: () => undefined, stop: () => undefined, close: () => undefined,
        rxQueueSetup: () => null, txQueueSetup: () => null, linkUpdate: () => ({ speed: 0, duplex: 'full', autoneg: false, up: true }),
      },
      fastPath: { module: import.meta.url, impl: { createRxQueue, createTxQueue } },
    });
  },
  remove(device, ctx) {
    for (const p of [...device.ports]) ctx.ethdev.release(ctx.ethdev.get(p));
  },
});

let n = 0;
/** The conf port 0 is configured with under `args`, and what testpmd printed. */
async function configured(args: string[]) {
  const eal = (await Eal.init(['-l', '0-1', '--no-pci', '--vdev=net_rssfake0', `--file-prefix=opts-rss-${process.pid}-${n++}`], { drivers: [rssDriver] }))!;
  const out: string[] = [];
  const app = new Testpmd(eal, parseTestpmdArgs(['-i', ...args]), (l) => void out.push(l));
  try {
    await app.init();
    const conf = eal.ethdevs.get(0).conf;
    return { rss: conf.rss?.hashFunctions, rxOffloads: conf.rxmode?.offloads, lsc: conf.lsc, out };
  } finally {
    await app.shutdown();
    await eal.cleanup();
  }
}

test.serial('with several rx queues the port gets RSS on what it has of --rss-ip (the default) or --rss-udp; none with --disable-rss or one queue', async (t) => {
  t.is((await configured(['--rxq=2', '--txq=2'])).rss, 0x0c, 'RTE_ETH_RSS_IP & the port\'s: ipv4, ipv4-frag');
  t.is((await configured(['--rxq=2', '--txq=2', '--rss-udp'])).rss, 0x20, 'RTE_ETH_RSS_UDP & the port\'s: ipv4-udp');
  t.is((await configured(['--rxq=2', '--txq=2', '--rss-udp', '--disable-rss'])).rss, undefined);
  t.is((await configured(['--rss-udp'])).rss, undefined, 'one rx queue: no RSS');
});

test.serial('--rx-offloads the port has are what it is configured with (no configure failure)', async (t) => {
  const r = await configured(['--rx-offloads=0x21']);
  t.is(r.rxOffloads, 0x21);
  t.false(r.out.some((l) => l.startsWith('Fail to configure')), r.out.join('\n'));
});

test.serial('a port that raises link-state-change events is asked for them, as DPDK\'s testpmd; not with --no-lsc-interrupt', async (t) => {
  t.is((await configured([])).lsc, true);
  t.is((await configured(['--no-lsc-interrupt'])).lsc, undefined);
});
