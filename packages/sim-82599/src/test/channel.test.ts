// The control channel with owners in other processes: split, map, map_umem, a queue that two
// processes want, the kernel's queues, get_ifinfo, and kill -9 of an owner giving its queue
// back at once (the next process can take it; frames steered to it are no longer delivered).
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ControlChannel } from '../channel.js';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import * as r from '@dpkit/ixgbe-defs/regs';
import { frame, rig, until } from './rig.js';

const child = fileURLToPath(new URL('./channel-child.js', import.meta.url));
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the child; resolves with its stdout lines when `lines` have been printed (or it exited). */
function run(args: string[], lines: number, uid?: number) {
  const p = spawn(process.execPath, [child, ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid: uid }) });
  let out = '', err = '';
  p.stderr.on('data', (b) => (err += b));
  const exited = new Promise<void>((ok) => p.on('exit', () => ok()));
  const got = new Promise<string[]>((ok) => {
    p.stdout.on('data', (b) => { out += b; if (out.split('\n').length > lines) ok(out.trim().split('\n')); });
    void exited.then(() => ok(out.trim().split('\n').concat(err ? [`stderr: ${err.trim()}`] : [])));
  });
  return { p, got, exited };
}

test('split, map and map_umem from another process; one owner per queue; kill -9 gives the queue back at once', async (t) => {
  const x = rig();
  t.teardown(x.close);
  const name = `dpkit-sim-82599-test/${process.pid}`;
  const ch = new ControlChannel(x.nic, { ifname: 'sim0', kernelQueues: 32, ifinfo: () => ({ mac: '02:00:00:00:00:01', mtu: 1500 }) }, name);
  t.teardown(() => ch.close());
  x.nic.start();
  x.setReg(r.ETQF(0), r.ETQF_FILTER_EN | 0x88B5);
  x.setReg(r.ETQS(0), r.ETQS_QUEUE_EN | (40 << r.ETQS_RX_QUEUE_SHIFT));
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  await x.txQueue(5, 0x2000);
  let sent = 0;
  const send = async () => {
    x.bytes.set(frame(100, 0x88B5), 0x40000 + sent * 0x800);
    x.txDescriptor(0x2000, sent, 0x40000 + sent * 0x800, 100, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 100);
    x.setReg(r.TDT(5), ++sent);
    await until(() => x.reg(r.TDH(5)) === sent);
  };

  const asked = run([name, 'ask', 'get_ifinfo', 'split 5 1', 'split 40 0', 'frob'], 4);
  t.deepEqual(await asked.got, [
    'ok pci=8086:10FB mac=02:00:00:00:00:01 mtu=1500 numa=-1 rx_queues=128 tx_queues=128 kernel_queues=0-31',
    'error EBUSY queue 5 belongs to the kernel (kernel queues 0-31)',
    'error EINVAL usage: split START COUNT with START + COUNT <= 128',
    'error EINVAL unknown request "frob"',
  ]);

  if (process.getuid?.() === 0) {
    // owner-only: a process of another uid is refused (SO_PEERCRED), whatever it asks
    const stranger = run([name, 'ask', 'get_ifinfo'], 1, 65534);
    t.deepEqual((await stranger.got).slice(0, 1), ['error EPERM this device belongs to uid 0']);
  }

  const a = run([name, 'hold', '40', String(0x1_0000_0000)], 3);
  t.teardown(() => void a.p.kill('SIGKILL'));
  t.deepEqual(await a.got, ['split: ok', `map: size=${r.BAR0_SIZE}; map_umem: ok`, 'ready']);
  const received = new Promise<string>((ok) => a.p.stdout.on('data', (b: Buffer) => { if (b.toString().includes('received')) ok(b.toString().trim()); }));
  await send();
  t.is(await received, 'received length=100 status=3 head=1', 'the owner received the frame on its ring, through its window and its DMA memory');
  const b = run([name, 'try', '40'], 1);
  t.deepEqual(await b.got, [`split: EBUSY queue 40 is owned by pid ${a.p.pid}`], 'a second process cannot take queue 40');
  await b.exited;
  t.is(x.nic.counters().rxNotStarted, 0, 'the frame for queue 40 reached the owner\'s ring');

  a.p.kill('SIGKILL');
  await a.exited;
  const c = run([name, 'try', '40'], 1);
  let reply = await c.got;
  // the close is seen by the device's poll thread at once; if the retry overtook it, try once more
  for (let i = 0; i < 20 && reply[0] !== 'split: ok'; i++) {
    await new Promise((ok) => setTimeout(ok, 50));
    reply = await run([name, 'try', '40'], 1).got;
  }
  t.deepEqual(reply, ['split: ok'], 'after kill -9 the queue can be taken at once');
  await send();
  await until(() => x.nic.counters().rxNotStarted === 1);
  t.is(x.nic.counters().rxNotStarted, 1, 'the dead owner\'s queue was stopped: the next frame for queue 40 is counted, not delivered');
});

test('qstats: each split queue gets a stat index of its own (RQSMR/TQSM), 15 of them, given back when the owner goes', async (t) => {
  const x = rig();
  t.teardown(x.close);
  const name = `dpkit-sim-82599-qstats/${process.pid}`;
  const ch = new ControlChannel(x.nic, { ifname: 'sim0', kernelQueues: 32, ifinfo: () => ({ mac: '02:00:00:00:00:01', mtu: 1500 }) }, name);
  t.teardown(() => ch.close());
  x.nic.start();
  const zeros = (from: number, n: number) => Array.from({ length: n }, (_, i) => `${from + i} 0 0 0 0 0`);
  // 16 queues: the first 15 get indexes 1..15, the 16th none
  const a = run([name, 'ask', 'split 40 16', 'qstats'], 18);
  t.deepEqual(await a.got, ['ok', 'ok count=16', ...zeros(40, 15), '55 -']);
  await a.exited;
  // the owner exited: its queues and their indexes come back (RQSMR/TQSM fields of 40..55 at 0)
  await until(() => ch.ownerOf(40) === undefined);
  t.deepEqual([x.reg(r.RQSMR(10)), x.reg(r.TQSM(10)), x.reg(r.RQSMR(13))], [0, 0, 0]);
  const b = run([name, 'ask', 'split 60 15', 'qstats'], 17);
  t.deepEqual(await b.got, ['ok', 'ok count=15', ...zeros(60, 15)], 'another owner gets all 15 again');
  await b.exited;
  await until(() => ch.ownerOf(60) === undefined);
  t.is(x.reg(r.RQSMR(15)), 0);
});
