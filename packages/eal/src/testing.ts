/**
 * @dpkit/eal/testing — the conformance suite every PMD runs against itself.
 *
 *   import test from 'ava';
 *   import { ethdevConformance } from '@dpkit/eal/testing';
 *   for (const c of ethdevConformance({ drivers: [driver], vdev: 'net_null0', rxGenerates: true }))
 *     test.serial(c.name, c.run);
 *
 * Each case starts its own EAL (two lcores when the machine has them), checks one area of the
 * ethdev contract with node:assert, and cleans up even when it fails. It is runner-agnostic:
 * a case is a name and an async function that throws on failure.
 */
import './instance.js';
import assert from 'node:assert/strict';
import { Eal } from './eal.js';
import { DpkitError } from './errors.js';
import type { Driver } from './driver/types.js';
import type { EthDev } from './ethdev/ethdev.js';
import type { FastPathModule, QueueDescriptor } from './ethdev/fastpath.js';
import { mbufFreeBulk } from './mbuf/mbuf.js';
import type { Mempool } from './mbuf/mempool.js';
import { onlineCpus } from './args/corelist.js';
import type { Bus } from './driver/types.js';
import { spawnSync } from 'node:child_process';
import { linux } from './linux/native.js';

export interface ConformanceOptions {
  /** the drivers to register */
  drivers: readonly Driver[];
  /** extra buses the device needs */
  buses?: () => readonly Bus[];
  /** devargs of one device under test (its first port is tested), e.g. `net_null0,size=64` */
  vdev: string;
  /** rx returns packets without anything sent (net_null) */
  rxGenerates?: boolean;
  /** what a tx queue sends comes back on the same port's rx queue (net_ring) */
  loopback?: boolean;
  /** queue pairs to configure (default 2, or 1 if the driver has one) */
  queues?: number;
  /** extra EAL arguments */
  eal?: readonly string[];
}

export interface ConformanceCase {
  name: string;
  run(): Promise<void>;
}

const POOL_SIZE = 4096;
let prefixSeq = 0;

interface Rig {
  eal: Eal;
  dev: EthDev;
  pool: Mempool;
  queues: number;
}

async function withRig(o: ConformanceOptions, fn: (r: Rig) => Promise<void>, setup = true): Promise<void> {
  const lcores = onlineCpus().length > 1 ? '0-1' : '0';
  const prefix = `conformance-${process.pid}-${prefixSeq++}`;
  const eal = await Eal.init(['-l', lcores, '--no-pci', `--file-prefix=${prefix}`, `--vdev=${o.vdev}`, ...(o.eal ?? [])], {
    drivers: o.drivers, buses: o.buses?.(),
  });
  assert.ok(eal, 'Eal.init returned no EAL');
  try {
    const dev = eal.ethdevs.list()[0];
    assert.ok(dev, `probing ${o.vdev} created no port`);
    const info = dev.info();
    // pools as the port needs them (AF_XDP: memfd memory, 2048-byte buffers)
    const needs = info.rxPoolNeeds;
    const pool = eal.mempoolCreate('conformance', {
      size: POOL_SIZE, cacheSize: 64, ...(needs?.memory ? { memory: needs.memory } : {}),
      ...(needs?.bufSizes ? { dataRoomSize: needs.bufSizes[0] } : {}),
    });
    const queues = Math.min(o.queues ?? 2, info.maxRxQueues, info.maxTxQueues);
    if (setup) await setUp(dev, pool, queues);
    await fn({ eal, dev, pool, queues });
  } finally {
    for (const d of eal.ethdevs.list()) {
      if (d.started) await d.stop();
    }
    await eal.cleanup();
  }
}

async function setUp(dev: EthDev, pool: Mempool, queues: number): Promise<void> {
  const info = dev.info();
  const rxd = clampDesc(512, info.rxDescLimits);
  const txd = clampDesc(512, info.txDescLimits);
  await dev.configure(queues, queues);
  for (let q = 0; q < queues; q++) {
    await dev.rxQueueSetup(q, rxd, 0, {}, pool);
    await dev.txQueueSetup(q, txd, 0, {});
  }
}

function clampDesc(want: number, lim: { min: number; max: number; align: number }): number {
  const n = Math.min(Math.max(want, lim.min), lim.max);
  return n - (n % lim.align);
}

async function rejects(p: Promise<unknown> | (() => unknown), code: string | undefined, what: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof DpkitError, `${what}: expected a DpkitError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `${what}: the error must be one line`);
    if (code) assert.equal(err.code, code, `${what}: error code`);
    return;
  }
  assert.fail(`${what}: expected an error`);
}

/** Sends up to `n` fresh packets of `len` bytes on (port, queue); returns how many went. */
function sendFresh(r: Rig, queue: number, n: number, len: number): number {
  const pkts = new Uint32Array(n);
  assert.ok(r.pool.allocBulk(pkts, 0, n), 'pool ran dry');
  const h32 = r.pool.h32;
  const h16 = r.pool.h16;
  for (let i = 0; i < n; i++) {
    const b = (pkts[i]! & 0xffffff) << 4;
    h32[b + 1] = len;
    h16[b * 2 + 4] = len;
  }
  const sent = r.dev.txBurst(queue, pkts, 0, n);
  if (sent < n) mbufFreeBulk(pkts, sent, n - sent);
  return sent;
}

/** How long the suite waits for packets a port has not delivered yet (real NICs and kernel
 * rings deliver late: TPACKET_V3 hands a block over after a timer) */
const RX_WAIT_MS = 2000;
const nap = new Int32Array(new SharedArrayBuffer(4));
/** Sleeps this thread ~1 ms (between empty polls). */
function pause(): void {
  Atomics.wait(nap, 0, 0, 1);
}

/** Receives until `want` packets, or RX_WAIT_MS without one; frees them; returns the count. */
function receive(r: Rig, queue: number, want: number): number {
  const pkts = new Uint32Array(32);
  let got = 0;
  let last = Date.now();
  for (let tries = 0; got < want && tries < 100_000; tries++) {
    const n = r.dev.rxBurst(queue, pkts, 0, Math.min(32, want - got));
    if (n === 0 && !r.dev.started) break;
    got += n;
    mbufFreeBulk(pkts, 0, n);
    if (n > 0) last = Date.now();
    else if (Date.now() - last > RX_WAIT_MS) break;
    else if (tries > 1000) pause();
  }
  return got;
}

/** Frees whatever queue `queue` holds now (bounded: at most 1000 bursts). */
function drain(r: Rig, queue: number): void {
  const pkts = new Uint32Array(32);
  for (let i = 0, n = 1; n > 0 && i < 1000; i++) {
    n = r.dev.rxBurst(queue, pkts, 0, 32);
    mbufFreeBulk(pkts, 0, n);
  }
}

/** Runs on a worker lcore: rebuilds a queue pair from descriptors and moves packets. */
export async function conformanceWorkerBursts(arg: {
  rx: QueueDescriptor; tx: QueueDescriptor; bursts: number; loopback: boolean; rxGenerates: boolean;
}): Promise<{ rx: number; tx: number }> {
  const mod = (await import(arg.rx.module)) as FastPathModule;
  const rxq = mod.createRxQueue(arg.rx);
  const txq = mod.createTxQueue(arg.tx);
  const pkts = new Uint32Array(32);
  let rx = 0;
  let tx = 0;
  // `bursts` bursts, and while nothing came back, up to RX_WAIT_MS more
  const deadline = Date.now() + RX_WAIT_MS;
  const waitForRx = arg.loopback || arg.rxGenerates;
  for (let i = 0; i < arg.bursts || (waitForRx && rx === 0 && Date.now() < deadline); i++) {
    const n = rxq.rxBurst(pkts, 0, 32);
    rx += n;
    const s = txq.txBurst(pkts, 0, n);
    tx += s;
    if (s < n) mbufFreeBulk(pkts, s, n - s);
  }
  rxq.release?.();
  txq.release?.();
  return { rx, tx };
}

export function ethdevConformance(o: ConformanceOptions): ConformanceCase[] {
  const name = (s: string) => `${o.vdev.split(',')[0]}: ${s}`;
  return [
    {
      name: name('probe creates a port with its driver name and sane limits'),
      run: () => withRig(o, async ({ dev }) => {
        const info = dev.info();
        assert.ok(o.drivers.some((d) => d.name === dev.driverName), `driver name ${dev.driverName}`);
        assert.equal(info.driverName, dev.driverName);
        assert.ok(info.maxRxQueues >= 1 && info.maxTxQueues >= 1, 'at least one queue each way');
        assert.ok(info.minMtu <= dev.mtu && dev.mtu <= info.maxMtu, 'MTU within its limits');
        assert.equal(dev.mac.length, 6);
        assert.equal(dev.started, false);
      }, false),
    },
    {
      name: name('configure checks queue counts and refuses while started'),
      run: () => withRig(o, async ({ dev, pool, queues }) => {
        const info = dev.info();
        await rejects(dev.configure(info.maxRxQueues + 1, 1), 'EINVAL', 'too many rx queues');
        await rejects(dev.configure(1, info.maxTxQueues + 1), 'EINVAL', 'too many tx queues');
        await rejects(dev.configure(0, 0), 'EINVAL', 'no queues');
        if (info.rxOffloadCapa !== 0xffffffff) await rejects(dev.configure(1, 1, { rxmode: { offloads: ~info.rxOffloadCapa >>> 0 } }), 'ENOTSUP', 'unsupported rx offloads');
        if (info.flowTypeRssOffloads !== 0xffffffff) await rejects(dev.configure(1, 1, { rss: { hashFunctions: ~info.flowTypeRssOffloads >>> 0 } }), 'ENOTSUP', 'unsupported RSS hash functions');
        await rejects(dev.start(), 'EINVAL', 'start before configure');
        await setUp(dev, pool, queues);
        await dev.start();
        await rejects(dev.configure(1, 1), 'EBUSY', 'configure while started');
        await rejects(dev.rxQueueSetup(0, 512, 0, {}, pool), 'EBUSY', 'queue setup while started');
        await dev.stop();
        await dev.configure(1, 1); // reconfiguring a stopped port works
        await rejects(dev.start(), 'EINVAL', 'start with queues not set up');
      }, false),
    },
    {
      name: name('queue setup checks queue ids and descriptor counts'),
      run: () => withRig(o, async ({ dev, pool, queues }) => {
        await dev.configure(queues, queues);
        await rejects(dev.rxQueueSetup(queues, 512, 0, {}, pool), 'EINVAL', 'rx queue id out of range');
        await rejects(dev.txQueueSetup(queues, 512, 0, {}), 'EINVAL', 'tx queue id out of range');
        const lim = dev.info().rxDescLimits;
        if (lim.max < 65535) await rejects(dev.rxQueueSetup(0, lim.max + 1, 0, {}, pool), 'EINVAL', 'too many descriptors');
      }, false),
    },
    {
      name: name('start and stop drive the link and are idempotent'),
      run: () => withRig(o, async ({ dev }) => {
        const events: boolean[] = [];
        dev.on('link-state', (_p, up) => events.push(up));
        await dev.start();
        await dev.start();
        assert.equal(dev.started, true);
        assert.equal((await dev.linkGet()).up, true, 'link up after start');
        await dev.stop();
        await dev.stop();
        assert.equal((await dev.linkGet()).up, false, 'link down after stop');
        assert.deepEqual(events, [true, false], 'one link-state event each way');
      }),
    },
    {
      name: name('bursts move packets and statistics count them'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        let expectRx = 0;
        let expectTx = 0;
        for (let q = 0; q < r.queues; q++) {
          const sent = sendFresh(r, q, 32, 60);
          assert.equal(sent, 32, `tx queue ${q} accepts a burst`);
          expectTx += sent;
          if (o.loopback) {
            assert.equal(receive(r, q, sent), sent, `rx queue ${q} gets back what tx queue ${q} sent`);
            expectRx += sent;
          } else if (o.rxGenerates) {
            assert.equal(receive(r, q, 64), 64, `rx queue ${q} delivers packets`);
            expectRx += 64;
          }
        }
        const s = r.dev.statsGet();
        assert.equal(s.opackets, expectTx, 'opackets');
        assert.equal(s.ipackets, expectRx, 'ipackets');
        assert.equal(s.qOpackets.length, r.queues);
        assert.equal(s.qOpackets.reduce((a, b) => a + b, 0), s.opackets, 'per-queue tx counters add up');
        assert.equal(s.qIpackets.reduce((a, b) => a + b, 0), s.ipackets, 'per-queue rx counters add up');
        if (s.obytes > 0) assert.equal(s.obytes, expectTx * 60, 'obytes');
        const x = new Map(r.dev.xstatsGet().map((e) => [e.name, e.value]));
        for (const k of ['rx_good_packets', 'tx_good_packets', 'rx_good_bytes', 'tx_good_bytes', 'rx_missed_errors',
          'rx_errors', 'tx_errors', 'rx_mbuf_allocation_errors', 'rx_q0_packets', 'tx_q0_packets']) {
          assert.ok(x.has(k), `xstat ${k}`);
        }
        assert.equal(x.get('tx_good_packets'), s.opackets);
        assert.equal(x.get('rx_good_packets'), s.ipackets);
        r.dev.statsReset();
        const z = r.dev.statsGet();
        assert.equal(z.ipackets + z.opackets + z.ibytes + z.obytes, 0, 'stats reset zeroes the counters');
        assert.equal(r.dev.xstatsGet().find((e) => e.name === 'tx_good_packets')!.value, 0);
      }),
    },
    {
      name: name('queues rebuilt on a worker lcore from their descriptors forward'),
      run: () => withRig(o, async (r) => {
        const workers = r.eal.lcores.workerIds();
        if (workers.length === 0) return; // one-CPU machine: nothing to check
        await r.dev.start();
        if (o.loopback) sendFresh(r, 0, 32, 60);
        r.eal.lcores.remoteLaunch({ module: import.meta.url, export: 'conformanceWorkerBursts' }, {
          rx: r.dev.queueDescriptor('rx', 0), tx: r.dev.queueDescriptor('tx', 0), bursts: 1000,
          loopback: !!o.loopback, rxGenerates: !!o.rxGenerates,
        }, workers[0]!);
        const res = (await r.eal.lcores.wait(workers[0]!)) as { rx: number; tx: number };
        if (o.rxGenerates || o.loopback) assert.ok(res.rx > 0, 'the worker received packets');
        assert.equal(res.tx, res.rx, 'the worker sent what it received');
        const s = r.dev.statsGet();
        assert.equal(s.qIpackets[0], res.rx, 'worker bursts count in the port statistics');
      }),
    },
    {
      name: name('every mbuf is back in its pool after stop'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        for (let q = 0; q < r.queues; q++) sendFresh(r, q, 32, 60); // left in flight
        if (o.rxGenerates) receive(r, 0, 64);
        await r.dev.stop();
        assert.equal(r.pool.availCount(), r.pool.size, 'mbufs in the pool after stop');
        assert.equal(r.dev.rxBurst(0, new Uint32Array(32), 0, 32), 0, 'a stopped port receives nothing');
        await r.dev.start();
        await r.dev.stop();
        assert.equal(r.pool.availCount(), r.pool.size, 'mbufs in the pool after a second stop');
      }),
    },
    {
      name: name('rx interrupts: a wait ends when packets arrive, times out when idle, ends at stop'),
      run: () => withRig(o, async (r) => {
        if (!r.dev.ops.rxQueueIntrFds) {
          await rejects(async () => r.dev.rxIntrWait(0, 10), 'ENOTSUP', 'interrupt wait on a port without rx interrupts');
          return;
        }
        await rejects(async () => r.dev.rxIntrWait(0, 10), 'EINVAL', 'interrupt wait on a stopped port');
        await r.dev.start();
        if (!o.rxGenerates) {
          // an idle queue times out; on a live link a frame may come anyway: then it must be there
          drain(r, 0);
          if (await r.dev.rxIntrWait(0, 50)) assert.ok(receive(r, 0, 1) > 0, 'a wake-up without packets');
        }
        if (o.loopback || o.rxGenerates) {
          if (o.loopback) sendFresh(r, 0, 8, 60);
          assert.equal(await r.dev.rxIntrWait(0, RX_WAIT_MS), true, 'packets end the wait');
          assert.ok(receive(r, 0, o.loopback ? 8 : 1) > 0, 'then the burst gets them');
        }
        const pending = r.dev.rxIntrWait(0, 60_000);
        await r.dev.stop();
        assert.equal(await pending, false, 'stop ends a wait at once');
      }),
    },
    {
      name: name('close releases the port; detach removes the device'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        await rejects(r.dev.close(), 'EBUSY', 'close while started');
        await r.dev.stop();
        await r.dev.close();
        await rejects(r.dev.start(), 'ENODEV', 'start after close');
        await rejects(async () => r.dev.statsGet(), 'ENODEV', 'stats after close');
        const port = r.dev.portId;
        await r.eal.detach(port);
        await rejects(async () => r.eal.ethdevs.get(port), 'ENODEV', 'the port is gone after detach');
        const ports = await r.eal.attach(o.vdev);
        assert.equal(ports.length, 1, 'attaching the device again creates its port');
      }),
    },
  ];
}

/**
 * Runs conformance cases one after the other and prints one JSON line per case to stdout:
 * `{ name, ok, error? }` — what a fixture running in a child process (a network namespace)
 * reports to its test.
 */
export async function reportConformance(cases: ConformanceCase[]): Promise<void> {
  for (const c of cases) {
    try {
      await c.run();
      process.stdout.write(JSON.stringify({ name: c.name, ok: true }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ name: c.name, ok: false, error: (err as Error).message }) + '\n');
    }
  }
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
    linux('the kernel tests');
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
