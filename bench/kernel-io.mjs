#!/usr/bin/env node
/**
 * Real packet I/O on veth pairs: dpkit-testpmd against DPDK's dpdk-testpmd, both with
 * net_af_xdp and both with net_af_packet, same devargs, same generator, same queues,
 * alternating, in one run. Needs root, dpdk-testpmd and hugepages (bench/run.sh sets both up).
 *
 *   node bench/kernel-io.mjs [SECONDS=8] [ROUNDS=3] [af_xdp|af_packet ...]
 *
 * Topology: two namespaces of the bench's own, gen and dut, joined by two veth pairs with one
 * queue each (g0-d0, g1-d1). The generator is always DPDK's testpmd, txonly on g0 through
 * net_af_xdp; the sink is an XDP program on g1 that counts and drops (bench/xdp-sink.mjs).
 * CPUs: the generator's forwarding lcore on cpu 0, the device under test's on cpu 1. On veth
 * the sending core does the receiver's XDP and AF_XDP copy, so the generator's core also
 * carries the dut's rx kernel work, and the dut's core its tx kernel work.
 *
 *   rxonly  gen → d0, dut rxonly on d0;             metric: the dut's Rx-pps
 *   txonly  dut txonly on d1 → g1 sink;              metric: frames counted by the sink
 *   io      gen → d0, dut io d0 → d1 → g1 sink;      metric: frames counted by the sink
 *
 * Each run lasts SECONDS; per-second rates after the first two seconds give the run's median,
 * the table the median over rounds. net_af_xdp runs with busy_budget=0 and 64 (DPDK's default)
 * on both sides; net_af_packet with the default rings (blocksz 4096, framesz 2048, framecnt 512;
 * DPDK's rings are TPACKET_V2, dpkit's TPACKET_V3). Raw numbers go to bench/out/kernel-io.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 3);
// optional: PMD names (af_xdp, af_packet), each optionally with one mode (af_xdp/txonly)
const picks = process.argv.length > 4 ? process.argv.slice(4) : ['af_xdp', 'af_packet'];
const pmds = [...new Set(picks.map((p) => p.split('/')[0]))];
const wanted = (pmd, mode) => picks.some((p) => p === pmd || p === `${pmd}/${mode}`);
const root = fileURLToPath(new URL('..', import.meta.url));
const dpkit = `${root}node_modules/.bin/dpkit-testpmd`;
const tag = `${process.pid % 100000}`;
const GEN = `dpkb-g-${tag}`;
const DUT = `dpkb-d-${tag}`;

if (process.getuid?.() !== 0) {
  console.error('bench/kernel-io: needs root (network namespaces, XDP, AF_XDP); run it with sudo');
  process.exit(1);
}
if (spawnSync('dpdk-testpmd', ['-v', '--no-huge', '--no-pci', '-m', '64', '--file-prefix=dpkb-probe', '--', '-h'], { stdio: 'ignore' }).error) {
  console.error("bench/kernel-io: dpdk-testpmd is missing; install Debian's dpdk package (bench/run.sh does)");
  process.exit(1);
}

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || '').trim()}`);
  return r.stdout;
};

function cleanup() {
  spawnSync('ip', ['netns', 'del', GEN]);
  spawnSync('ip', ['netns', 'del', DUT]);
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

sh('ip', ['netns', 'add', GEN]);
sh('ip', ['netns', 'add', DUT]);
for (const i of [0, 1]) {
  sh('ip', ['link', 'add', `g${i}`, 'netns', GEN, 'numtxqueues', '1', 'numrxqueues', '1', 'type', 'veth',
    'peer', 'name', `d${i}`, 'netns', DUT, 'numtxqueues', '1', 'numrxqueues', '1']);
  sh('ip', ['-n', GEN, 'link', 'set', `g${i}`, 'up']);
  sh('ip', ['-n', DUT, 'link', 'set', `d${i}`, 'up']);
}

// the sink: counts frames arriving on g1
const sink = spawn('ip', ['netns', 'exec', GEN, process.execPath, `${root}bench/xdp-sink.mjs`, 'g1'], { stdio: ['pipe', 'pipe', 'inherit'] });
let sinkBuf = '';
const sinkWaiters = [];
sink.stdout.on('data', (d) => {
  sinkBuf += d;
  let nl;
  while ((nl = sinkBuf.indexOf('\n')) >= 0) {
    const line = sinkBuf.slice(0, nl);
    sinkBuf = sinkBuf.slice(nl + 1);
    sinkWaiters.shift()?.(line);
  }
});
const sinkLine = () => new Promise((resolve) => sinkWaiters.push(resolve));
if ((await sinkLine()) !== 'ready') throw new Error('the XDP sink did not start');
const sinkCount = async () => {
  const p = sinkLine();
  sink.stdin.write('\n');
  return Number(/g1=(\d+)/.exec(await p)[1]);
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Starts a command in a namespace; resolves with its output once it has exited. */
function start(ns, cmd, args, stopAfterMs) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const stop = setTimeout(() => child.kill('SIGINT'), stopAfterMs);
  const kill = setTimeout(() => child.kill('SIGKILL'), stopAfterMs + 20_000);
  const done = new Promise((resolve, reject) => child.on('exit', (code) => {
    clearTimeout(stop);
    clearTimeout(kill);
    if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`));
    else resolve(out);
  }));
  return { done };
}

const afxdp = (port, iface, busy) => `--vdev=net_af_xdp${port},iface=${iface},start_queue=0,queue_count=1,busy_budget=${busy}`;
const afpacket = (port, iface) => `--vdev=net_af_packet${port},iface=${iface},qpairs=1`;
const testpmdArgs = ['--burst=32', '--txpkts=64', '--stats-period=1'];

function dutCommand(impl, vdevs, mode) {
  const eal = ['-l', '0-1', '-n', '4', '--no-pci', `--file-prefix=dpkb-dut-${tag}`, ...vdevs];
  const app = ['--', `--forward-mode=${mode}`, ...testpmdArgs];
  return impl === 'dpdk' ? ['dpdk-testpmd', [...eal, '-m', '512', ...app]] : [dpkit, [...eal, ...app]];
}

function generator(busy, ms) {
  return start(GEN, 'dpdk-testpmd', ['--lcores=0@1,1@0', '-n', '4', '--no-pci', '-m', '512', `--file-prefix=dpkb-gen-${tag}`,
    afxdp(0, 'g0', busy), '--', '--forward-mode=txonly', ...testpmdArgs], ms);
}

/** per-second rates of `metric` lines, the first two seconds dropped */
const statRates = (out, metric) => [...out.matchAll(new RegExp(`${metric}:\\s+(\\d+)`, 'g'))].map((m) => Number(m[1])).slice(2);

async function sinkRates(ms) {
  const rates = [];
  let last = await sinkCount();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(1000);
    const now = await sinkCount();
    rates.push(now - last);
    last = now;
  }
  return rates.slice(2);
}

/** the device under test's vdevs: for rxonly one port on d0, txonly one on d1, io both */
const vdevsFor = (pmd, busy, ifaces) => ifaces.map((iface, port) => (pmd === 'af_xdp' ? afxdp(port, iface, busy) : afpacket(port, iface)));
const modes = [
  { name: 'rxonly', gen: true, ifaces: ['d0'], metric: 'dut Rx-pps' },
  { name: 'txonly', gen: false, ifaces: ['d1'], metric: 'sink' },
  { name: 'io', gen: true, ifaces: ['d0', 'd1'], metric: 'sink' },
];
const workloads = [];
for (const pmd of pmds) {
  for (const busy of pmd === 'af_xdp' ? [0, 64] : [0]) {
    for (const m of modes.filter((x) => wanted(pmd, x.name))) {
      workloads.push({ ...m, pmd, busy, label: `${pmd} ${m.name}${pmd === 'af_xdp' ? ` busy=${busy}` : ''}`, vdevs: () => vdevsFor(pmd, busy, m.ifaces), mode: m.name });
    }
  }
}

async function once(w, impl) {
  const ms = seconds * 1000;
  const gen = w.gen ? generator(w.busy, ms + 3000) : undefined;
  if (gen) await sleep(1500);
  const [cmd, args] = dutCommand(impl, w.vdevs(), w.mode);
  const dut = start(DUT, cmd, args, ms);
  const fromSink = w.metric === 'sink' ? sinkRates(ms - 500) : Promise.resolve([]);
  const [out, sinkR] = await Promise.all([dut.done, fromSink]);
  if (gen) await gen.done;
  const rates = w.metric === 'sink' ? sinkR : statRates(out, 'Rx-pps');
  const missed = [...out.matchAll(/RX-missed:\s+(\d+)/g)].map((m) => Number(m[1]));
  return { pps: median(rates), missed: missed.length ? Math.max(...missed) : 0 };
}

const results = [];
console.log(`veth, ${seconds} s per run, ${rounds} rounds; generator: dpdk-testpmd txonly (net_af_xdp) on cpu 0, dut on cpu 1`);
for (const w of workloads) {
  const runs = { dpdk: [], dpkit: [] };
  for (let r = 0; r < rounds; r++) {
    for (const impl of ['dpdk', 'dpkit']) runs[impl].push(await once(w, impl));
  }
  const dp = median(runs.dpdk.map((x) => x.pps)) / 1e6;
  const dk = median(runs.dpkit.map((x) => x.pps)) / 1e6;
  const res = { workload: w.label, metric: w.metric, dpdkMpps: dp, dpkitMpps: dk, ratio: dk / dp, runs };
  results.push(res);
  console.log(`${w.label.padEnd(24)} DPDK ${dp.toFixed(3)} Mpps   dpkit ${dk.toFixed(3)} Mpps   ratio ${res.ratio.toFixed(2)}   (${w.metric})`);
}
sink.stdin.end();
mkdirSync(`${root}bench/out`, { recursive: true });
writeFileSync(`${root}bench/out/kernel-io.json`, JSON.stringify({ date: new Date().toISOString(), seconds, rounds, node: process.version, results }, null, 2));
