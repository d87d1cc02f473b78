// The control channel's client is not failed by signals: a profiler's SIGPROF (node
// --cpu-prof) or any signal with a handler interrupts the blocking wait for a reply (poll(2)
// returns EINTR whatever SA_RESTART says), and the client waits on for the rest of its time.
//
// Deterministic: the server here holds the request and, five times, waits until the client's
// main thread is blocked in poll (/proc/PID/syscall) with no signal pending, then sends it
// SIGUSR2 (the child listens for it, so the handler interrupts the call); only then does it
// reply. The kernel gives a process-directed signal to the main thread first when that thread
// does not have one pending, so each signal interrupts the client's poll. "Blocked in poll with
// nothing pending" after a signal means the client took the signal and called poll again.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simNative } from '../native.js';
import { until } from './rig.js';

const child = fileURLToPath(new URL('./eintr-child.js', import.meta.url));
const SIGUSR2_BIT = 1n << 11n; // signal 12
/** poll and ppoll (x86-64), ppoll (arm64: no poll) */
const POLLS = process.arch === 'arm64' ? ['73'] : ['7', '271'];

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
};

/** Whether process `pid`'s main thread is blocked in poll with no SIGUSR2 pending (for it or its process). */
function waitingInPoll(pid: number): boolean {
  const call = read(`/proc/${pid}/syscall`)?.split(' ')[0];
  const status = read(`/proc/${pid}/status`);
  if (call === undefined || status === undefined || !POLLS.includes(call)) return false;
  const mask = (field: string) => BigInt(`0x${new RegExp(`^${field}:\\s+([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return ((mask('SigPnd') | mask('ShdPnd')) & SIGUSR2_BIT) === 0n;
}

test('a request survives signals that interrupt its wait for the reply (EINTR retried)', async (t) => {
  const name = `dpkit-sim-82599-eintr/${process.pid}`;
  let pid = 0;
  let signalled = 0;
  const server = simNative().channelListen(name, (e) => {
    if (e.type !== 'message') return;
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await until(() => waitingInPoll(pid));
        if (!waitingInPoll(pid)) break; // not waiting for the reply (any more)
        process.kill(pid, 'SIGUSR2');
        signalled++;
      }
      await until(() => waitingInPoll(pid)); // the last signal taken, the client waiting again
      simNative().channelSend(server, e.conn, `ok pong after ${signalled} signals`, []);
    })();
  });
  t.teardown(() => simNative().channelClose(server));
  const p = spawn(process.execPath, [child, name, 'ping'], { stdio: ['ignore', 'pipe', 'pipe'] });
  pid = p.pid!;
  t.teardown(() => { p.kill('SIGKILL'); });
  let out = '';
  p.stdout.on('data', (b) => (out += b));
  p.stderr.on('data', (b) => (out += b));
  await new Promise<void>((ok) => p.on('exit', () => ok()));
  t.deepEqual({ signalled, out }, { signalled: 5, out: 'ok pong after 5 signals\n' });
});
