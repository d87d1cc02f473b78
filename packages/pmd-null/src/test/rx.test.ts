/**
 * net_null's rx bursts on a real port: a burst the pool cannot fill receives nothing and is
 * counted as rx_nombuf; `copy=1` writes its dummy packet (zeros) over what the buffer held,
 * the default rx leaves the buffer alone.
 */
import test from 'ava';
import { Eal, mbufRead, type Mempool } from '@dpkit/eal';
import { driver } from '../index.js';

let seq = 0;

async function withPort(devargs: string, poolSize: number, fn: (rx: (n: number) => Uint32Array | number, pool: Mempool, stats: () => { ipackets: number; ibytes: number; rxNombuf: number }) => void): Promise<void> {
  const eal = await Eal.init(['-l', '0', '--no-pci', `--file-prefix=null-rx-${process.pid}-${seq++}`, `--vdev=${devargs}`], { drivers: [driver] });
  if (!eal) throw new Error('no EAL');
  try {
    const dev = eal.ethdevs.list()[0]!;
    const pool = eal.mempoolCreate(`null-rx-${seq}`, { size: poolSize, cacheSize: 0 });
    await dev.configure(1, 1);
    await dev.rxQueueSetup(0, 512, 0, {}, pool);
    await dev.txQueueSetup(0, 512, 0, {});
    await dev.start();
    const pkts = new Uint32Array(64);
    fn((n) => {
      const got = dev.rxBurst(0, pkts, 0, n);
      return got === n ? pkts.slice(0, n) : got;
    }, pool, () => dev.statsGet());
    await dev.stop();
  } finally {
    await eal.cleanup();
  }
}

test.serial('a burst the pool cannot fill receives nothing: every packet asked for counted as rx_nombuf', async (t) => {
  await withPort('net_null0,size=64', 40, (rx, pool, stats) => {
    const first = rx(32);
    t.true(first instanceof Uint32Array, 'the pool holds 32: a whole burst');
    t.is(rx(32), 0, '8 left: nothing');
    t.is(pool.availCount(), 8, 'none taken from the pool by the refused burst');
    t.like(stats(), { ipackets: 32, ibytes: 32 * 64, rxNombuf: 32 });
  });
});

test.serial('copy=1 writes the dummy packet over the buffer; without it the buffer is left as it was', async (t) => {
  for (const [devargs, want] of [['net_null0,size=64,copy=1', 0], ['net_null0,size=64', 0xa5]] as const) {
    await withPort(devargs, 32, (rx, pool) => {
      // every buffer soiled first (the pool's whole data area)
      const area = pool.dataArea();
      pool.bytes.fill(0xa5, area.offset, area.offset + area.length);
      const got = rx(16);
      t.true(got instanceof Uint32Array);
      const buf = new Uint8Array(64);
      for (const m of got as Uint32Array) {
        t.is(mbufRead(m, 0, 64, buf, 0), 64);
        t.deepEqual([...new Set(buf)], [want], `${devargs}: the 64 bytes of mbuf ${m}`);
      }
    });
  }
});
