/**
 * The conformance cases. Each starts its own EAL (two lcores when the machine has them),
 * checks one area of the ethdev contract with node:assert, and cleans up even when it fails.
 * A case this configuration cannot run carries `skip` (the reason) and must be reported as
 * skipped by the runner, never as passed.
 */
import assert from 'node:assert/strict';
import { onlineCpus } from '../args/corelist.js';
import type { FastPathModule, QueueDescriptor } from '../ethdev/fastpath.js';
import { mbufFreeBulk } from '../mbuf/mbuf.js';
import { MIN_FRAME, checkRxMbuf, checkSuiteFrame, soilPool } from './frames.js';
import { RX_WAIT_MS, drain, makeFrames, pause, receive, rejects, sendFresh, setUp, withRig, type ConformanceOptions, type Rig } from './rig.js';

export interface ConformanceCase {
  name: string;
  /** why this case cannot run with these options on this machine; the runner must skip it */
  skip?: string;
  run(): Promise<void>;
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

/** Sentinel for burst array slots a burst must not touch. */
const UNTOUCHED = 0xfffffffe;

/** Asserts that pkts outside [start, start+n) still hold UNTOUCHED. */
function untouchedOutside(pkts: Uint32Array, start: number, n: number, what: string): void {
  for (let i = 0; i < pkts.length; i++) {
    if (i >= start && i < start + n) continue;
    assert.equal(pkts[i], UNTOUCHED, `${what}: slot ${i} of the burst array was written, outside [${start}, ${start + n})`);
  }
}

/** rx bursts of at most `n` into pkts[start..], until one returns packets (bounded). */
function rxSome(r: Rig, q: number, pkts: Uint32Array, start: number, n: number): number {
  const end = Date.now() + RX_WAIT_MS;
  for (let tries = 0; tries < 100_000 && Date.now() < end; tries++) {
    const got = r.dev.rxBurst(q, pkts, start, n);
    if (got > 0) return got;
    if (tries > 1000) pause();
  }
  return 0;
}

export function ethdevConformance(o: ConformanceOptions): ConformanceCase[] {
  const name = (s: string) => `${o.vdev.split(',')[0]}: ${s}`;
  const rxSource = o.loopback || o.rxGenerates;
  const noRx = rxSource ? undefined : 'rx has no packets to return here (neither loopback nor rxGenerates)';
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
      name: name('bursts move packets and statistics count packets and bytes'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        let rxPackets = 0;
        let rxBytes = 0;
        let txPackets = 0;
        let txBytes = 0;
        for (let q = 0; q < r.queues; q++) {
          const s = sendFresh(r, q, 32, (i) => MIN_FRAME + 8 * i);
          assert.equal(s.sent, 32, `tx queue ${q} accepts a burst`);
          txPackets += s.sent;
          txBytes += s.bytes;
          if (o.loopback) {
            const got = receive(r, q, 0, s.seqs);
            assert.deepEqual([...got.seqs].sort((a, b) => a - b), s.seqs, `rx queue ${q} gets back what tx queue ${q} sent, each frame once and intact`);
            rxPackets += got.count;
            rxBytes += got.bytes;
          } else if (o.rxGenerates) {
            const got = receive(r, q, 64);
            assert.equal(got.count, 64, `rx queue ${q} delivers packets`);
            rxPackets += got.count;
            rxBytes += got.bytes;
          }
        }
        const s = r.dev.statsGet();
        assert.equal(s.opackets, txPackets, 'opackets');
        assert.equal(s.obytes, txBytes, 'obytes: the bytes of the packets sent');
        assert.equal(s.ipackets, rxPackets, 'ipackets');
        assert.equal(s.ibytes, rxBytes, 'ibytes: the bytes of the packets rx returned');
        assert.equal(s.qOpackets.length, r.queues);
        assert.equal(s.qOpackets.reduce((a, b) => a + b, 0), s.opackets, 'per-queue tx counters add up');
        assert.equal(s.qIpackets.reduce((a, b) => a + b, 0), s.ipackets, 'per-queue rx counters add up');
        const x = new Map(r.dev.xstatsGet().map((e) => [e.name, e.value]));
        for (const k of ['rx_good_packets', 'tx_good_packets', 'rx_good_bytes', 'tx_good_bytes', 'rx_missed_errors',
          'rx_errors', 'tx_errors', 'rx_mbuf_allocation_errors', 'rx_q0_packets', 'tx_q0_packets']) {
          assert.ok(x.has(k), `xstat ${k}`);
        }
        assert.equal(x.get('tx_good_packets'), s.opackets);
        assert.equal(x.get('rx_good_packets'), s.ipackets);
        assert.equal(x.get('tx_good_bytes'), s.obytes);
        assert.equal(x.get('rx_good_bytes'), s.ibytes);
        r.dev.statsReset();
        const z = r.dev.statsGet();
        assert.equal(z.ipackets + z.opackets + z.ibytes + z.obytes, 0, 'stats reset zeroes the counters');
        assert.equal(r.dev.xstatsGet().find((e) => e.name === 'tx_good_packets')!.value, 0);
      }),
    },
    {
      name: name('rx sets every header field of the mbufs it returns and counts their bytes'),
      skip: noRx,
      run: () => withRig(o, async (r) => {
        soilPool(r.pool); // recycled mbufs carry stale fields: rx must set or reset every one
        await r.dev.start();
        for (let q = 0; q < r.queues; q++) {
          const before = r.dev.statsGet();
          let got;
          if (o.loopback) {
            const s = sendFresh(r, q, 32, (i) => MIN_FRAME + 17 * i);
            assert.equal(s.sent, 32, `tx queue ${q} accepts a burst`);
            got = receive(r, q, 0, s.seqs);
            assert.equal(got.seqs.length, 32, `rx queue ${q} returns the 32 frames sent, intact`);
          } else {
            got = receive(r, q, 96); // every header checked in receive()
            assert.equal(got.count, 96, `rx queue ${q} delivers packets`);
          }
          const after = r.dev.statsGet();
          assert.equal(after.qIpackets[q]! - before.qIpackets[q]!, got.count, `rx queue ${q}: packets counted`);
          assert.equal(after.qIbytes[q]! - before.qIbytes[q]!, got.bytes, `rx queue ${q}: bytes counted are the pkt_len of what rx returned`);
        }
      }),
    },
    {
      name: name('tx bursts honour start and n of the burst array'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        const pkts = new Uint32Array(64);
        // tx: five frames at [9, 14) of an array whose other slots are not mbufs
        pkts.fill(UNTOUCHED);
        makeFrames(r, pkts, 9, 5, () => MIN_FRAME);
        const before = r.dev.statsGet();
        assert.equal(r.dev.txBurst(0, pkts, 9, 5), 5, 'tx takes the 5 frames at [9, 14)');
        untouchedOutside(pkts, 9, 5, 'tx');
        const after = r.dev.statsGet();
        assert.equal(after.opackets - before.opackets, 5, 'tx counts the n packets it was given');
        assert.equal(after.obytes - before.obytes, 5 * MIN_FRAME, 'tx counts their bytes');
        pkts.fill(UNTOUCHED);
        assert.equal(r.dev.txBurst(0, pkts, 20, 0), 0, 'a tx burst of 0 sends nothing');
        untouchedOutside(pkts, 0, 0, 'tx of 0');
      }),
    },
    {
      name: name('rx bursts honour start and n of the burst array'),
      skip: noRx,
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        const pkts = new Uint32Array(64);
        // with loopback, five frames to receive back
        const seqs = o.loopback ? sendFresh(r, 0, 5, MIN_FRAME).seqs : [];
        assert.equal(seqs.length, o.loopback ? 5 : 0, 'tx queue 0 accepts 5 frames');
        // rx: bursts of at most 3 into [7, 10) (with loopback, until the 5 frames are back)
        const back: number[] = [];
        for (let round = 0; round < 20 && (o.loopback ? back.length < 5 : round < 4); round++) {
          pkts.fill(UNTOUCHED);
          assert.equal(r.dev.rxBurst(0, pkts, 30, 0), 0, 'an rx burst of 0 returns nothing');
          untouchedOutside(pkts, 0, 0, 'rx of 0');
          const got = rxSome(r, 0, pkts, 7, 3);
          assert.ok(got > 0, 'rx returns packets into [7, 10)');
          assert.ok(got <= 3, `rx returned ${got} packets for a burst of 3`);
          untouchedOutside(pkts, 7, 3, 'rx');
          for (let i = 7; i < 7 + got; i++) {
            checkRxMbuf(r, pkts[i]!, 'rx into [7, 10)');
            const seq = o.loopback ? checkSuiteFrame(r.pool, pkts[i]!, 'rx into [7, 10)') : 0;
            if (seq > 0) back.push(seq);
          }
          mbufFreeBulk(pkts, 7, got);
        }
        if (o.loopback) {
          assert.deepEqual([...back].sort((a, b) => a - b), seqs, 'the 5 frames come back, each once, in bursts of at most 3');
          const more = r.dev.rxBurst(0, pkts, 0, 32);
          mbufFreeBulk(pkts, 0, more);
          assert.equal(more, 0, 'and nothing more');
        }
      }),
    },
    {
      name: name('queues rebuilt on a worker lcore from their descriptors forward'),
      skip: onlineCpus().length > 1 ? undefined : 'one CPU: no worker lcore to run them on',
      run: () => withRig(o, async (r) => {
        const workers = r.eal.lcores.workerIds();
        assert.ok(workers.length > 0, 'a worker lcore');
        await r.dev.start();
        if (o.loopback) sendFresh(r, 0, 32, MIN_FRAME);
        r.eal.lcores.remoteLaunch({ module: import.meta.url, export: 'conformanceWorkerBursts' }, {
          rx: r.dev.queueDescriptor('rx', 0), tx: r.dev.queueDescriptor('tx', 0), bursts: 1000,
          loopback: !!o.loopback, rxGenerates: !!o.rxGenerates,
        }, workers[0]!);
        const res = (await r.eal.lcores.wait(workers[0]!)) as { rx: number; tx: number };
        if (rxSource) assert.ok(res.rx > 0, 'the worker received packets');
        assert.equal(res.tx, res.rx, 'the worker sent what it received');
        const s = r.dev.statsGet();
        assert.equal(s.qIpackets[0], res.rx, 'worker bursts count in the port statistics');
      }),
    },
    {
      name: name('every mbuf is back in its pool after stop'),
      run: () => withRig(o, async (r) => {
        await r.dev.start();
        for (let q = 0; q < r.queues; q++) sendFresh(r, q, 32, MIN_FRAME); // left in flight
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
        if (!r.dev.supports('rxQueueIntrFds')) {
          await rejects(async () => r.dev.rxIntrWait(0, 10), 'ENOTSUP', 'interrupt wait on a port without rx interrupts');
          return;
        }
        await rejects(async () => r.dev.rxIntrWait(0, 10), 'EINVAL', 'interrupt wait on a stopped port');
        await r.dev.start();
        if (!o.rxGenerates) {
          // an idle queue times out; on a live link a frame may come anyway: then it must be there
          drain(r, 0);
          if (await r.dev.rxIntrWait(0, 50)) assert.ok(receive(r, 0, 1).count > 0, 'a wake-up without packets');
        }
        if (rxSource) {
          if (o.loopback) sendFresh(r, 0, 8, MIN_FRAME);
          assert.equal(await r.dev.rxIntrWait(0, RX_WAIT_MS), true, 'packets end the wait');
          assert.ok(receive(r, 0, o.loopback ? 8 : 1).count > 0, 'then the burst gets them');
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
