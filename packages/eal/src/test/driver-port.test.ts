/**
 * The port as its driver sees it (DriverPort), at run time: what each op is shown (the
 * configuration and queue counts to apply, the rx pools, `started`), what the driver sets
 * (MAC, modes, the link through setLink) reaching the application's read-only EthDev, and the
 * allocator's close and release. A recording driver, net_probe, keeps what its ops saw.
 */
import test from 'ava';
import { threadId } from 'node:worker_threads';
import { Eal } from '../eal.js';
import { defineDriver, defineParams, removePorts, type DriverPort, type EthDevAllocator } from '../driver.js';
import { DpkitError } from '../errors.js';
import type { EthDevOps } from '../ethdev/ops.js';
import type { EthLink } from '../ethdev/types.js';
import { idleQueue, type QueueDescriptor } from '../ethdev/fastpath.js';

interface Seen {
  log: string[];
  port?: DriverPort<Seen>;
  allocator?: EthDevAllocator;
}
const LINK: EthLink = { speed: 1000, duplex: 'full', autoneg: false, up: true };

const ops: EthDevOps<Seen, { pool: string }, number> = {
  infoGet: () => ({ maxRxQueues: 4, maxTxQueues: 4 }),
  configure: (p) => void p.priv.log.push(`configure rx=${p.nbRxQueues} tx=${p.nbTxQueues} offloads=${p.conf.rxmode?.offloads ?? 0}`),
  start: (p) => void p.priv.log.push(`start started=${p.started} pools=${p.rxPools.map((m) => m?.name ?? '-').join(',')}`),
  stop: (p) => void p.priv.log.push(`stop started=${p.started}`),
  close: (p) => void p.priv.log.push('close'),
  rxQueueSetup: (p, q, _n, _s, _c, pool) => {
    p.priv.log.push(`rx ${q} before=${p.rxPools[q]?.name ?? '-'}`);
    return { pool: pool.name };
  },
  txQueueSetup: (_p, q) => q,
  rxQueueRelease: (p, q) => void p.priv.log.push(`release rx ${q} pool=${p.rxPools[q]?.name ?? '-'}`),
  linkUpdate: (p) => ({ ...LINK, up: p.started }),
};

const fastPath = {
  createRxQueue: (d: QueueDescriptor<{ pool: string }>) => (d.data.pool ? idleQueue : idleQueue),
  createTxQueue: (d: QueueDescriptor<number>) => (d.data >= 0 ? idleQueue : idleQueue),
};

const seen: Seen = { log: [] };
const driver = defineDriver({
  name: 'net_probe',
  bus: 'vdev',
  drvFlags: 0,
  params: defineParams({}),
  probe(device, ctx) {
    seen.port = ctx.ethdev.allocate({ name: device.name, device, driver: 'net_probe', ops, priv: seen, fastPath: { module: import.meta.url, impl: fastPath } });
    seen.port.mac = Uint8Array.of(2, 0, 0, 0, 0, 9);
    seen.port.promiscuous = true;
    seen.allocator = ctx.ethdev;
  },
  remove(device, ctx) {
    for (const p of [...device.ports]) ctx.ethdev.release(ctx.ethdev.get(p));
  },
});

test('a driver sees what ethdev applied, and what it sets reaches the application read-only', async (t) => {
  const eal = (await Eal.init(['-l', '0', '--no-pci', '--vdev=net_probe0', `--file-prefix=dport-${process.pid}-${threadId}`], { drivers: [driver] }))!;
  try {
    const dev = eal.ethdevs.get(0);
    const port = seen.port!;
    t.is(port.portId, 0);
    t.is(port.device.name, 'net_probe0');
    t.deepEqual([...dev.mac], [2, 0, 0, 0, 0, 9], 'the MAC the driver set at probe');
    t.true(dev.promiscuous, 'the mode the driver set at probe');
    dev.mac[5] = 7; // a copy: the port keeps its address
    t.deepEqual([...dev.mac], [2, 0, 0, 0, 0, 9]);

    const a = eal.mempoolCreate('a', { size: 64, cacheSize: 0 });
    const b = eal.mempoolCreate('b', { size: 64, cacheSize: 0 });
    await dev.configure(2, 1, { rxmode: { offloads: 0 } });
    await dev.rxQueueSetup(0, 64, 0, {}, a);
    await dev.rxQueueSetup(1, 64, 0, {}, a);
    await dev.rxQueueSetup(1, 64, 0, {}, b);
    await dev.txQueueSetup(0, 64, 0, {});
    t.deepEqual(dev.queueDescriptor('rx', 1).data, { pool: 'b' }, 'what setup returned is the descriptor data');
    t.is(dev.queueDescriptor('tx', 0).data, 0);
    const events: boolean[] = [];
    dev.on('link-state', (_p, up) => events.push(up));
    await dev.start();
    t.true(port.started);
    port.setLink({ ...LINK, up: false }); // an LSC interrupt
    t.false(dev.link.up);
    await dev.stop();
    t.deepEqual(events, [true, false], 'up at start, down from setLink (stop finds it down already)');
    t.deepEqual(seen.log, [
      'configure rx=2 tx=1 offloads=0',
      'rx 0 before=-', 'rx 1 before=-', 'release rx 1 pool=a', 'rx 1 before=-',
      'start started=false pools=a,b',
      'stop started=true',
    ]);

    // the allocator as a remove uses it: close stops (if started) and closes; a released port is gone
    await dev.start();
    await seen.allocator!.close(port);
    t.true(dev.closed);
    t.false(dev.started);
    seen.allocator!.release(port);
    t.throws(() => eal.ethdevs.get(0), { message: /invalid port 0/ });
    t.throws(() => seen.allocator!.release(port), { message: /port 0 \(net_probe0\) was released/ });
  } finally {
    await eal.cleanup();
  }
});

// a device whose fast path cannot build its tx queue (a ring that does not map, say): the
// driver's start succeeded (it holds kernel objects, split queues) before ethdev builds the bursts
const held: string[] = [];
const failing = defineDriver({
  name: 'net_halfway',
  bus: 'vdev',
  drvFlags: 0,
  params: defineParams({}),
  probe(device, ctx) {
    const hops: EthDevOps<null, number, number> = {
      infoGet: () => ({ maxRxQueues: 1, maxTxQueues: 1 }),
      configure: () => undefined,
      start: () => void held.push('queues split'),
      stop: () => void held.splice(0),
      close: () => undefined,
      rxQueueSetup: () => 0,
      txQueueSetup: () => 0,
      linkUpdate: (p) => ({ ...LINK, up: p.started }),
      rxQueueStart: () => undefined,
      rxQueueStop: () => undefined,
      txQueueStart: (_p, q) => void held.push(`tx ${q} started`),
      txQueueStop: (_p, q) => void held.splice(held.indexOf(`tx ${q} started`), 1),
    };
    const released: string[] = [];
    const impl = {
      createRxQueue: (d: QueueDescriptor<number>) => ({ rxBurst: () => d.data, release: () => void released.push('rx') }),
      createTxQueue: (): never => {
        throw new DpkitError('net_halfway0: tx ring does not map', 'ENOMEM');
      },
    };
    ctx.ethdev.allocate({ name: device.name, device, driver: 'net_halfway', ops: hops, priv: null, fastPath: { module: import.meta.url, impl } });
    seenReleased = released;
  },
  remove: removePorts,
});
let seenReleased: string[] = [];

test('a start that fails after the driver started (building the bursts) leaves the port stopped, the driver stopped, the queues released', async (t) => {
  const eal = (await Eal.init(['-l', '0', '--no-pci', '--vdev=net_halfway0', `--file-prefix=dport2-${process.pid}-${threadId}`], { drivers: [failing] }))!;
  try {
    const dev = eal.ethdevs.get(0);
    const pool = eal.mempoolCreate('h', { size: 64, cacheSize: 0 });
    await dev.configure(1, 1);
    await dev.rxQueueSetup(0, 64, 0, {}, pool);
    await dev.txQueueSetup(0, 64, 0, {});
    await t.throwsAsync(() => dev.start(), { message: 'net_halfway0: tx ring does not map', code: 'ENOMEM' } as never);
    t.false(dev.started, 'a failed start is no start (rte_eth_dev_start)');
    t.deepEqual(held, [], "the driver's stop undid its start");
    t.deepEqual(seenReleased, ['rx'], 'the rx queue object built before the failure was released');
    t.is(dev.queueInfo('rx', 0).state, 'stopped');

    // the same for one queue: a deferred tx queue whose burst object cannot be built
    await dev.txQueueSetup(0, 64, 0, { deferredStart: true });
    await dev.start();
    t.deepEqual(held, ['queues split']);
    await t.throwsAsync(() => dev.queueStart('tx', 0), { message: 'net_halfway0: tx ring does not map' });
    t.deepEqual(held, ['queues split'], "the driver's txQueueStop undid its txQueueStart");
    t.is(dev.queueInfo('tx', 0).state, 'stopped');
    await dev.stop();
    await dev.close();
    t.true(dev.closed, 'the port closes (it is not left started)');
  } finally {
    await eal.cleanup();
  }
});
