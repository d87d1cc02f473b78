/**
 * The emulated 82599 in a network namespace of the test's own: dpkit-sim-82599 bx0 --loopback,
 * and processes of fixtures/child.js in it. Everything is removed in the test's teardown.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testNetns } from '@dpkit/eal/linux';

const sim = fileURLToPath(new URL('../../node_modules/@dpkit/sim-82599/bin/dpkit-sim-82599.js', import.meta.url));
const ethtoolBin = fileURLToPath(new URL('../../node_modules/@dpkit/sim-82599/bin/dpkit-ethtool.js', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/child.js', import.meta.url));

function sh(args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** Starts the emulated NIC in loopback mode in a new namespace; resolves once it printed its ready line. */
export async function loopbackNic(t: { teardown(fn: () => void): void }) {
  const ns = testNetns(t, 'ixgbe');
  const dev = spawn('ip', ['netns', 'exec', ns, process.execPath, sim, 'bx0', '--loopback'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void dev.kill('SIGKILL'));
  const ready = await new Promise<string>((ok) => {
    let out = '';
    dev.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out); });
    dev.on('exit', () => ok(out));
  });
  if (!ready.includes('ready')) throw new Error(`dpkit-sim-82599 did not start: ${ready}`);
  sh(['ip', '-n', ns, 'link', 'set', 'bx0', 'up']);
  /** Runs fixtures/child.js IF ...args in the namespace; its stdout and stderr (run: its stdout), bounded in time. */
  const runBoth = (args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, child, 'bx0', ...args], { encoding: 'utf8', timeout, env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`child ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.error?.message || '').trim()}`);
    return { stdout: r.stdout, stderr: r.stderr };
  };
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) => runBoth(args, env, timeout).stdout;
  /** dpkit-ethtool ...args in the namespace */
  const ethtool = (...args: string[]) => sh(['ip', 'netns', 'exec', ns, process.execPath, ethtoolBin, ...args]);
  return { ns, run, runBoth, ethtool };
}
