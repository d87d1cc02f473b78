/**
 * nodeaction: two ports joined by named rings (CREATE then ATTACH) pass packets from one to the
 * other; ATTACH to rings nobody created and a second CREATE of the same name are refused.
 */
import test from 'ava';
import { DpkitError, Eal, mbufFreeBulk, mbufPktLen } from '@dpkit/eal';
import { driver } from '../index.js';

let seq = 0;
const init = (vdevs: string[]) => Eal.init(['-l', '0', '--no-pci', `--file-prefix=ring-na-${process.pid}-${seq++}`, ...vdevs.map((v) => `--vdev=${v}`)], { drivers: [driver] });

test.serial('CREATE then ATTACH joins two ports: what one sends the other receives', async (t) => {
  const eal = (await init(['net_ring0,nodeaction=na1:0:CREATE', 'net_ring1,nodeaction=na1:0:ATTACH']))!;
  try {
    const pool = eal.mempoolCreate('na', { size: 256, cacheSize: 0 });
    const [a, b] = eal.ethdevs.list();
    for (const d of [a!, b!]) {
      await d.configure(1, 1);
      await d.rxQueueSetup(0, 512, 0, {}, pool);
      await d.txQueueSetup(0, 512, 0, {});
      await d.start();
    }
    const pkts = new Uint32Array(4);
    t.true(pool.allocBulk(pkts, 0, 4));
    for (let i = 0; i < 4; i++) pool.h32[((pkts[i]! & 0xffffff) << 4) + 1] = 100 + i;
    t.is(a!.txBurst(0, pkts, 0, 4), 4);
    const got = new Uint32Array(8);
    t.is(b!.rxBurst(0, got, 0, 8), 4, 'the other port receives the burst');
    t.deepEqual([...got.subarray(0, 4)].map(mbufPktLen), [100, 101, 102, 103]);
    mbufFreeBulk(got, 0, 4);
    for (const d of [a!, b!]) await d.stop();
  } finally {
    await eal.cleanup();
  }
});

test.serial('ATTACH to rings nobody created, or CREATE of rings that exist, is one clear line', async (t) => {
  const e1 = await t.throwsAsync(init(['net_ring0,nodeaction=nobody:0:ATTACH']), { instanceOf: DpkitError });
  t.is(e1!.code, 'ENOENT');
  t.regex(e1!.message, /^net_ring: nodeaction nobody:0:ATTACH: no rings named 'nobody' exist; create them first with nobody:0:CREATE/);
  const e2 = await t.throwsAsync(init(['net_ring0,nodeaction=twice:0:CREATE', 'net_ring1,nodeaction=twice:0:CREATE']), { instanceOf: DpkitError });
  t.is(e2!.code, 'EEXIST');
  t.is(e2!.message, "net_ring: nodeaction twice:0:CREATE: rings named 'twice' already exist (another port created them); use twice:0:ATTACH to share them, or another name");
  // the failed init released what it made: the name can be created again
  const eal = (await init(['net_ring0,nodeaction=twice:0:CREATE']))!;
  t.is(eal.ethdevs.list().length, 1);
  await eal.cleanup();
});
