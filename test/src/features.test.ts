/**
 * Each PMD's features.ini must say what the driver does: every line is derived from the
 * driver's ops table and flags and compared. A feature this test cannot derive fails it, so
 * the matrix cannot claim what nothing checks.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Eal, type EthDev } from '@dpkit/eal';
import { DrvFlags, type Driver } from '@dpkit/eal/driver';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { driver as ringDriver } from '@dpkit/pmd-ring';
import { driver as afXdpDriver } from '@dpkit/pmd-af-xdp';
import { driver as afPacketDriver } from '@dpkit/pmd-af-packet';
import { hasLinux } from '@dpkit/eal/linux';

type Yn = 'Y' | 'N';
const yn = (b: unknown): Yn => (b ? 'Y' : 'N');

const derive: Record<string, (dev: EthDev, drv: Driver) => Yn> = {
  'Link status': (d) => yn(typeof d.ops.linkUpdate === 'function'),
  'Link status event': (_d, drv) => yn(drv.drvFlags & DrvFlags.INTR_LSC),
  'Queue start/stop': (d) => yn(d.ops.rxQueueStart && d.ops.rxQueueStop && d.ops.txQueueStart && d.ops.txQueueStop),
  'MTU update': (d) => yn(d.ops.mtuSet),
  'Promiscuous mode': (d) => yn(d.ops.promiscuousEnable && d.ops.promiscuousDisable),
  'Allmulticast mode': (d) => yn(d.ops.allmulticastEnable && d.ops.allmulticastDisable),
  // generic in the ethdev layer for every PMD that counts in its queue statistics
  'Basic stats': () => 'Y',
  'Extended stats': () => 'Y',
  'Stats per queue': () => 'Y',
  'Multiprocess aware': () => 'N',
  Linux: () => (process.platform === 'linux' ? 'Y' : 'N'),
  'x86-64': () => (process.arch === 'x64' ? 'Y' : 'N'),
};

function parseIni(path: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const x = /^([^;[=][^=]*?)\s*=\s*([YPN])\s*$/.exec(line);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

const pmds = [['pmd-null', nullDriver, 'net_null0'], ['pmd-ring', ringDriver, 'net_ring0']] as [string, Driver, string][];
// probing net_af_xdp only reads the netdev (lo here); starting it would need root
if (hasLinux()) {
  pmds.push(['pmd-af-xdp', afXdpDriver as Driver, 'net_af_xdp0,iface=lo']);
  pmds.push(['pmd-af-packet', afPacketDriver as Driver, 'net_af_packet0,iface=lo']);
}
for (const [pkg, drv, vdev] of pmds) {
  test(`${pkg}/features.ini says what ${drv.name} does`, async (t) => {
    const ini = parseIni(new URL(`../../packages/${pkg}/features.ini`, import.meta.url).pathname);
    t.true(ini.size > 5);
    const eal = await Eal.init(['-l', '0', '--no-pci', `--vdev=${vdev}`, `--file-prefix=feat-${process.pid}-${pkg}`], { drivers: [drv] });
    try {
      const dev = eal!.ethdevs.get(0);
      for (const [feature, claim] of ini) {
        const f = derive[feature];
        if (!f) {
          t.fail(`${pkg}: feature '${feature}' is not derived by this test; teach it before claiming it`);
          continue;
        }
        t.is(claim, f(dev, drv), `${pkg}: ${feature}`);
      }
    } finally {
      await eal!.cleanup();
    }
  });
}
