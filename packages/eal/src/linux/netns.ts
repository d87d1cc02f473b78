/**
 * Test support: a network namespace of its own with a veth pair in it, removed afterwards
 * whatever happens. Traffic stays between the two ends, and the kernel sends none of its own
 * there (no IPv6 on the pair). Needs root and iproute2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { threadId } from 'node:worker_threads';
import { DpkitError } from '../errors.js';

let seq = 0;

export interface VethPair {
  ns: string;
  a: string;
  b: string;
  /** runs a command inside the namespace; throws with its stderr on failure */
  exec(cmd: string, args: string[], timeoutMs?: number): string;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new DpkitError(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`, 'EIO');
}

/** Can this process make namespaces (root, iproute2)? */
export function canMakeNetns(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
}

export async function withVethPair<T>(fn: (p: VethPair) => Promise<T> | T, o: { queues?: number } = {}): Promise<T> {
  // unique per process and thread: test runners load this module once per worker thread
  const ns = `dpkit-${process.pid}-${threadId}-${seq++}`;
  const q = String(o.queues ?? 1);
  ip(['netns', 'add', ns]);
  try {
    ip(['-n', ns, 'link', 'add', 'va', 'numtxqueues', q, 'numrxqueues', q, 'type', 'veth', 'peer', 'name', 'vb', 'numtxqueues', q, 'numrxqueues', q]);
    // no IPv6 on the pair: the kernel would send router solicitations and MLD reports of its own
    for (const dev of ['va', 'vb']) spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `echo 1 > /proc/sys/net/ipv6/conf/${dev}/disable_ipv6`], { timeout: 10_000 });
    for (const dev of ['lo', 'va', 'vb']) ip(['-n', ns, 'link', 'set', dev, 'up']);
    return await fn({
      ns, a: 'va', b: 'vb',
      exec: (cmd, args, timeoutMs = 60_000) => execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }),
    });
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
  }
}

/** Kills what runs in namespace `ns` (`ip netns pids`), then removes it. */
function removeNetns(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Removes the test namespaces whose creating process is gone: names `dpkit-<tag>-<pid>-...`
 * (tag: lower-case letters and dashes) whose pid is not alive, with whatever still runs in
 * them. A teardown does not run when a test runner is killed or times out; the next run
 * cleans up instead.
 */
export function removeStaleNetns(): string[] {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const removed: string[] = [];
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = /^dpkit-(?:[a-z]+-)*(\d+)-/.exec(ns);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    removeNetns(ns);
    removed.push(ns);
  }
  return removed;
}

/**
 * A network namespace of a test's own, `dpkit-<tag>-<pid>-<thread>-<n>`, removed in the test's
 * teardown with every process still in it; stale ones of dead processes are removed first
 * (see removeStaleNetns).
 */
export function testNetns(t: { teardown(fn: () => void): void }, tag: string): string {
  if (!/^[a-z]+(-[a-z]+)*$/.test(tag)) throw new DpkitError(`testNetns: tag '${tag}' must be lower-case letters and dashes`, 'EINVAL');
  removeStaleNetns();
  const ns = `dpkit-${tag}-${process.pid}-${threadId}-${seq++}`;
  ip(['netns', 'add', ns]);
  t.teardown(() => removeNetns(ns));
  return ns;
}
