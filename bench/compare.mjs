// Runs each workload with DPDK's dpdk-testpmd and with dpkit-testpmd, alternating, several
// rounds; takes the median of the per-second rates (first two seconds dropped as warm-up)
// of each run, then the median over rounds; prints both, the ratio, and the garbage
// collections dpkit's forwarding lcore saw. Writes bench/out/latest.json.
// With DPKIT_BEFORE=<another checkout, built> it also runs that tree's dpkit-testpmd in each
// round (DPDK, before, this tree), for a before/after comparison in one run.
// Each round's own ratio (dpkit / the DPDK run just before it) is printed too: their range is
// the run-to-run spread, as the machine's load moves both alike within a round.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);
// optional: only the workloads whose mode is listed, e.g. `rxonly,io`
const only = process.argv[4]?.split(',');
const root = fileURLToPath(new URL('..', import.meta.url));
const testpmdOf = (tree) => `${tree.replace(/\/?$/, '/')}packages/testpmd/bin/dpkit-testpmd.js`;
const trees = [
  ...(process.env.DPKIT_BEFORE ? [{ name: 'before', bin: testpmdOf(process.env.DPKIT_BEFORE) }] : []),
  { name: 'dpkit', bin: testpmdOf(root) },
];

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
const fmt = (xs, d = 1) => xs.map((x) => x.toFixed(d)).join(' ');
const results = [];
console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const w of workloads.filter((x) => !only || only.includes(x.name.split(' ')[0]))) {
  const dp = [];
  const dk = Object.fromEntries(trees.map((t) => [t.name, { runs: [], ratios: [], gcs: [] }]));
  for (let r = 0; r < rounds; r++) {
    const dpdkOut = await run('dpdk-testpmd', [...common, '--file-prefix=bench-dpdk', '--', ...w.args, '--burst=32', '--stats-period=1']);
    const ref = median(rates(dpdkOut, w.metric));
    dp.push(ref);
    for (const t of trees) {
      const out = await run(process.execPath, [t.bin, ...common, `--file-prefix=bench-dpkit-${process.pid}`, '--', ...w.args, '--burst=32', '--stats-period=1'], { DPKIT_REPORT_GC: '1' });
      const x = median(rates(out, w.metric));
      const gc = /lcore \d+: (\d+) garbage collections while forwarding[^\n]*?(?: \(young generation: (\d+), old: (\d+)\))?$/m.exec(out);
      dk[t.name].runs.push(x);
      dk[t.name].ratios.push(x / ref);
      // a collection of the old generation alone is marked: per-packet garbage shows as young ones
      dk[t.name].gcs.push(!gc ? 'NaN' : gc[2] === undefined ? gc[1] : `${gc[1]} (young ${gc[2]}, old ${gc[3]})`);
    }
  }
  const res = { workload: w.name, dpdkMpps: median(dp) / 1e6, runs: { dpdk: dp } };
  console.log(`${w.name.padEnd(16)} DPDK ${res.dpdkMpps.toFixed(1).padStart(7)} Mpps   (runs ${fmt(dp.map((x) => x / 1e6))})`);
  for (const t of trees) {
    const d = dk[t.name];
    const mpps = median(d.runs) / 1e6;
    const ratio = mpps / res.dpdkMpps;
    const sorted = [...d.ratios].sort((a, b) => a - b);
    Object.assign(res, t.name === 'dpkit'
      ? { dpkitMpps: mpps, ratio, roundRatios: d.ratios, gcWhileForwarding: d.gcs }
      : { [`${t.name}Mpps`]: mpps, [`${t.name}Ratio`]: ratio, [`${t.name}RoundRatios`]: d.ratios, [`${t.name}Gcs`]: d.gcs });
    res.runs[t.name] = d.runs;
    console.log(`${''.padEnd(16)} ${t.name.padEnd(6)} ${mpps.toFixed(1).padStart(7)} Mpps   ratio ${ratio.toFixed(2)}   round ratios ${sorted[0].toFixed(2)}-${sorted.at(-1).toFixed(2)} (runs ${fmt(d.runs.map((x) => x / 1e6))})   GCs while forwarding: ${d.gcs.join(', ')}`);
  }
  results.push(res);
}
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
mkdirSync(`${root}bench/out`, { recursive: true });
writeFileSync(`${root}bench/out/latest.json`, JSON.stringify({ date: new Date().toISOString(), seconds, rounds, node: process.version, before: process.env.DPKIT_BEFORE, results }, null, 2));
