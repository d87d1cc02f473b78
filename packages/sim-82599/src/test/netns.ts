// Two network namespaces for the command's end-to-end tests: A holds the device
// (dpkit-sim-82599 bx0 --wire va, bx0 = 10.99.0.1/24 once `up()` is called), B holds va's veth
// peer vb = 10.99.0.2/24. Everything is removed in the test's teardown.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testNetns } from '@dpkit/eal/linux';

const bin = fileURLToPath(new URL('../../bin/dpkit-sim-82599.js', import.meta.url));

export function sh(args: string[]) {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}


/** Runs `node -e script` in namespace ns; resolves with its stdout when it exits. */
export function nodeIn(ns: string, script: string): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`node in ${ns} exited ${code}: ${err.trim()}`))));
  });
}


/** Creates the namespaces and starts the device; resolves once its ready line (or its exit) came. */
export async function devicePair(t: { teardown(fn: () => void): void }, extra: string[] = []) {
  // unique per process, worker thread and call: ava runs test files in worker threads of one process
  const a = testNetns(t, 'sim-a'), b = testNetns(t, 'sim-b');
  sh(['ip', '-n', a, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b]);
  // no IPv6 (the kernel's own solicitations); va answers no ARP for A's addresses (they are bx0's)
  sh(['ip', 'netns', 'exec', a, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/va/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 8 > /proc/sys/net/ipv4/conf/va/arp_ignore']);
  sh(['ip', 'netns', 'exec', b, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/vb/disable_ipv6']);
  sh(['ip', '-n', a, 'link', 'set', 'va', 'up']);
  sh(['ip', '-n', b, 'addr', 'add', '10.99.0.2/24', 'dev', 'vb']);
  sh(['ip', '-n', b, 'link', 'set', 'vb', 'up']);

  const dev = spawn('ip', ['netns', 'exec', a, process.execPath, bin, 'bx0', '--wire', 'va', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((ok) => dev.on('exit', (code) => ok(code)));
  t.teardown(() => void dev.kill('SIGKILL'));
  let stderr = '';
  dev.stderr.on('data', (d) => (stderr += d));
  const ready = await new Promise<string>((ok) => {
    let out = '';
    dev.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out); });
    void exited.then(() => ok(out));
  });
  const up = () => {
    sh(['ip', '-n', a, 'addr', 'add', '10.99.0.1/24', 'dev', 'bx0']);
    sh(['ip', '-n', a, 'link', 'set', 'bx0', 'up']);
  };
  return { a, b, dev, exited, ready, stderr: () => stderr, up };
}

/** A long-running `node -e script` in namespace ns, with a way to wait for a line it prints. */
export function nodeServer(ns: string, script: string, cwd?: string) {
  return nodeProcess(ns, ['--input-type=module', '-e', script], cwd);
}

/** A long-running `node ARGS...` in namespace ns, with a way to wait for a line it prints. */
export function nodeProcess(ns: string, args: string[], cwd?: string) {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters: [RegExp, (line: string) => void][] = [];
  p.stdout.on('data', (b) => {
    out += b;
    for (const w of [...waiters]) {
      const m = w[0].exec(out);
      if (m) { waiters.splice(waiters.indexOf(w), 1); out = out.slice(m.index + m[0].length); w[1](m[0]); }
    }
  });
  p.on('exit', () => { for (const w of waiters.splice(0)) w[1]('(exited)'); });
  /** resolves with the first line matching `re` printed from now on (or "(exited)") */
  const line = (re: RegExp) => new Promise<string>((ok) => {
    const m = re.exec(out);
    if (m) { out = out.slice(m.index + m[0].length); ok(m[0]); } else waiters.push([re, ok]);
  });
  return { p, line, say: (text: string) => p.stdin.write(`${text}\n`) };
}
