/**
 * net_af_xdp splits its netdev queues when the port starts and returns them when it stops,
 * and a queue split by one process is refused to another at once, in one line naming the
 * netdev, the queue and the holder's PID, until the holder stops or dies (kill -9 included).
 * Each case in a namespace of its own (fixtures/split-netns.ts).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const fixture = fileURLToPath(new URL('./fixtures/split-netns.js', import.meta.url));
const real = kernelTest(test.serial);
const run = (scenario: string, queues = 1) => withVethPair((p) => JSON.parse(p.exec(process.execPath, [fixture, scenario, p.a, p.b], 60_000)), { queues });
const busy = (pid: number) => `other: va queue 0 is split off by process ${pid} (one user per queue): stop it, or split other queues (start_queue=/qoff=)`;

real('queues are split at start and returned at stop: another process gets queue 0 while the port is probed or stopped, one EBUSY line while it runs', async (t) => {
  const r = await run('start-stop');
  t.is(r.probed, 'ok', 'a probed, set-up port holds no queue');
  t.is(r.started, busy(r.pid), 'a started port holds its queue: the other process is refused at once, the holder named');
  t.is(r.stopped, 'ok', 'stop returned the queue');
  t.true(r.restarted, 'the port starts again on its queue');
});

real('the lock goes with its process: after kill -9 of the holder another process splits the queue', async (t) => {
  const r = await run('kill');
  t.is(r.said, `started ${r.holderPid}`);
  t.is(r.held, busy(r.holderPid), 'while the holder runs: refused, naming its PID');
  t.is(r.signal, 'SIGKILL');
  t.is(r.afterKill, 'ok', 'the kernel released the lock with the process');
});

real('another process on other queues of the netdev: start is refused in one line naming the port, the netdev and why (its XDP program), and leaves nothing split', async (t) => {
  const r = await run('other-queue', 2);
  t.is(r.said, `started ${r.holderPid}`);
  t.is(r.refused, "EBUSY net_af_xdp0: va has an XDP program attached already (one per netdev: a started port of another process, on other queues of it, or another program; see 'ip link show va'): stop that port, or serve every queue from one port");
  t.is(r.queue1, 'ok', 'the refused start returned queue 1');
});

real('a stop whose step fails still returns the queues, then fails with that step\'s error', async (t) => {
  const r = await run('stop-fails');
  t.is(r.held, busy(r.pid), 'the started port holds queue 0');
  t.is(r.stopped, 'EIO injected: unbind failed', 'stop fails with the error of the step that failed');
  t.is(r.after, 'ok', 'the queue lock was returned all the same: another process splits queue 0');
});
