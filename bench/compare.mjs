// Runs each workload with DPDK's dpdk-testpmd and with dpkit-testpmd, alternating, several
// rounds; takes the median of the per-second rates (first two seconds dropped as warm-up)
// of each run, then the median over rounds; prints both, the ratio, and the garbage
// collections dpkit's forwarding lcore saw. Writes bench/out/latest.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);
// optional: only the workloads whose mode is listed, e.g. `rxonly,io`
const only = process.argv[4]?.split(',');
const root = fileURLToPath(new URL('..', import.meta.url));
const dpkit = `${root}node_modules/.bin/dpkit-testpmd`;

const workloads = [
  { name: 'io (loop)', args: ['--forward-mode=io', '--port-topology=loop'], metric: 'Rx-pps' },
  { name: 'macswap (loop)', args: ['--forward-mode=macswap', '--port-topology=loop'], metric: 'Rx-pps' },
  { name: 'txonly', args: ['--forward-mode=txonly', '--port-topology=loop'], metric: 'Tx-pps' },
  { name: 'rxonly', args: ['--forward-mode=rxonly', '--port-topology=loop'], metric: 'Rx-pps' },
];

function run(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const stop = setTimeout(() => child.kill('SIGINT'), seconds * 1000);
    const kill = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + 20_000);
    child.on('exit', (code) => {
      clearTimeout(stop);
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(out);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function rates(out, metric) {
  const xs = [...out.matchAll(new RegExp(`${metric}:\\s+(\\d+)`, 'g'))].map((m) => Number(m[1]));
  return xs.slice(2).filter((x) => x > 0);
}

const common = ['-l', '0-1', '-n', '4', '--no-pci', '--vdev=net_null0'];
const results = [];
for (const w of workloads.filter((x) => !only || only.includes(x.name.split(' ')[0]))) {
  const dp = [];
  const dk = [];
  const gcs = [];
  for (let r = 0; r < rounds; r++) {
    const dpdkOut = await run('dpdk-testpmd', [...common, '--file-prefix=bench-dpdk', '--', ...w.args, '--burst=32', '--stats-period=1']);
    dp.push(median(rates(dpdkOut, w.metric)));
    const dpkitOut = await run(dpkit, [...common, `--file-prefix=bench-dpkit-${process.pid}`, '--', ...w.args, '--burst=32', '--stats-period=1'], { DPKIT_REPORT_GC: '1' });
    dk.push(median(rates(dpkitOut, w.metric)));
    const gc = /lcore \d+: (\d+) garbage collections while forwarding/.exec(dpkitOut);
    gcs.push(gc ? Number(gc[1]) : NaN);
  }
  const res = { workload: w.name, dpdkMpps: median(dp) / 1e6, dpkitMpps: median(dk) / 1e6, gcWhileForwarding: gcs, runs: { dpdk: dp, dpkit: dk } };
  res.ratio = res.dpkitMpps / res.dpdkMpps;
  results.push(res);
  console.log(`${w.name.padEnd(16)} DPDK ${res.dpdkMpps.toFixed(1).padStart(7)} Mpps   dpkit ${res.dpkitMpps.toFixed(1).padStart(7)} Mpps   ratio ${res.ratio.toFixed(2)}   dpkit GCs while forwarding: ${gcs.join(', ')}`);
}
mkdirSync(`${root}bench/out`, { recursive: true });
writeFileSync(`${root}bench/out/latest.json`, JSON.stringify({ date: new Date().toISOString(), seconds, rounds, node: process.version, results }, null, 2));
