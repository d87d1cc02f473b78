#!/usr/bin/env node
/**
 * net_ixgbe (@dpkit/pmd-ixgbe) on the emulated 82599, with dpkit-testpmd (root).
 *
 *   node bench/ixgbe.mjs [SECONDS=8] [ROUNDS=3] [MODES=io,rxonly,txonly]
 *   node bench/ixgbe.mjs --wire [SECONDS=8] [ROUNDS=3] [EMULATOR_CPU=0] [GENERATOR_CPU=0]
 *   node bench/ixgbe.mjs --profile MODE [SECONDS=6]
 *
 * Generator mode (the default). In a network namespace of its own: `dpkit-sim-82599 bx0
 * --generator 1024,64` (the package's bin, with bench/sim-probe.mjs preloaded, which only reads
 * the engine's counters, Sim82599.counters(), on SIGUSR2), `dpkit-ethtool -K bx0 ntuple on` and
 * `dpkit-ethtool -N bx0 flow-type udp4 dst-port 1234 action 32 loc 0` (every generated flow to
 * queue 32), then, alternating in each round, every MODE with
 *
 *   dpkit-testpmd -l 0-1 -n 4 -d packages/pmd-ixgbe/dist/index.js -d packages/sim-82599/dist/index.js
 *     --vdev=rte_bifurc,iface=bx0,qpairs=1 -- --forward-mode=MODE --port-topology=loop --burst=32
 *     --txpkts=64 --stats-period=1 --record-burst-stats
 *
 * and net_null io as bench/compare.mjs runs it (`--no-pci --vdev=net_null0 -- --forward-mode=io
 * --port-topology=loop --burst=32 --stats-period=1`), and the emulator with no PMD at all:
 * bench/sim-generator.mjs's minimal consumer on queue 32 (1024 descriptors, cpu 1; its rate over
 * the same kind of interval, from the engine's counters). Placement: the emulator's process (its
 * engine thread included) is pinned to cpu 0 (taskset); testpmd's main lcore is cpu 0 and its
 * one forwarding lcore cpu 1 (`-l 0-1`, pinned by the EAL). A run's figure is the median of
 * its per-second `Rx-pps` (`Tx-pps` for txonly) after the first two; the engine's counters are
 * read as each of those lines arrives from the third on (first and last taken), so its busy share (busyNs / wallNs)
 * and capacity (descriptors per busy second: rx written + tx sunk, one per 64-byte frame)
 * cover the same interval. The table gives medians over ROUNDS, with min-max.
 *
 * --wire: two namespaces joined by a veth pair va-vb. In the peer's, DPDK's testpmd txonly on
 * vb through net_af_xdp (its forwarding lcore on GENERATOR_CPU, 0 by default, as kernel-io.mjs)
 * sends UDP to port 9. In the dut's, alternating: `dpkit-sim-82599 bx0 --wire va` (on
 * EMULATOR_CPU, 0 by default: beside the generator) with a rule `udp4 dst-port 9 action 32` and dpkit-testpmd io on
 * rte_bifurc,iface=bx0,qpairs=1, then dpkit-testpmd io on net_af_xdp directly on va
 * (`--vdev=net_af_xdp0,iface=va,start_queue=0,queue_count=1`). Forwarding lcore on cpu 1 in
 * both; one port, `--port-topology=loop`, so what arrives on va goes back out of it. Figure: the
 * dut's Tx-pps (what it handed back to the wire), and its Rx-pps.
 *
 * --profile MODE: the generator set-up above, then bench/profile-ixgbe.mjs MODE (the engine in
 * the main thread, on cpu 1), its CPU profile into bench/out/prof/ixgbe-MODE.cpuprofile.
 *
 * Raw numbers: bench/out/ixgbe.json (bench/out/ixgbe-wire.json).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, reader, sleep } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const testpmd = `${root}packages/testpmd/bin/dpkit-testpmd.js`;
const simBin = `${root}packages/sim-82599/bin/dpkit-sim-82599.js`;
const ethtoolBin = `${root}packages/sim-82599/bin/dpkit-ethtool.js`;
const ixgbeDrv = `${root}packages/pmd-ixgbe/dist/index.js`;
const simDrv = `${root}packages/sim-82599/dist/index.js`;
const tag = `${process.pid % 100000}`;

if (process.getuid?.() !== 0) {
  console.error('bench/ixgbe: needs root (network namespaces, the emulated NIC); run it with sudo');
  process.exit(1);
}

const args = process.argv.slice(2);
const kind = args[0] === '--wire' ? 'wire' : args[0] === '--profile' ? 'profile' : 'generator';
if (kind !== 'generator') args.shift();

const namespaces = [];
const children = [];
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

const sh = (cmd, a) => execFileSync(cmd, a, { encoding: 'utf8' });
const spread = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

function netns(name) {
  sh('ip', ['netns', 'add', name]);
  namespaces.push(name);
  return name;
}


/** dpkit-sim-82599 bx0 MODE... in `ns`, pinned to cpu 0, the counter probe preloaded; resolves once it is ready. */
async function startSim(ns, mode, cpu = '0') {
  const dev = spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', cpu, process.execPath, '--import', `${root}bench/sim-probe.mjs`, simBin, 'bx0', ...mode],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(dev);
  const lines = reader(dev.stdout, dev.stderr);
  const ready = await lines.next(/^dpkit-sim-82599: bx0 ready .*$/m, 20_000);
  sh('ip', ['-n', ns, 'link', 'set', 'bx0', 'up']);
  const ethtool = (...a) => sh('ip', ['netns', 'exec', ns, process.execPath, ethtoolBin, ...a]);
  const snapshot = async () => { dev.kill('SIGUSR2'); return JSON.parse((await lines.next(/^probe (.*)$/m, 5000)).slice(6)); };
  return { dev, ready, ethtool, snapshot };
}

/**
 * Runs a command in a namespace for `ms`, then SIGINT; calls `onStats(k)` when the k-th
 * per-second statistics block (its Tx-pps line) has arrived. Resolves with the whole output.
 */
function run(ns, cmd, a, ms, env = {}, onStats = () => undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd, ...a], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let blocks = 0;
    child.stdout.on('data', (d) => {
      out += d;
      const n = (out.match(/Tx-pps:/g) ?? []).length;
      while (blocks < n) onStats(++blocks);
    });
    child.stderr.on('data', (d) => { out += d; });
    const stop = setTimeout(() => child.kill('SIGINT'), ms);
    const kill = setTimeout(() => child.kill('SIGKILL'), ms + 20_000);
    child.on('exit', (code) => {
      clearTimeout(stop);
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`${cmd.join(' ')} exited ${code}: ${out.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(out);
    });
  });
}

const rates = (out, metric) => [...out.matchAll(new RegExp(`${metric}:\\s+(\\d+)`, 'g'))].map((m) => Number(m[1])).slice(2);
const gcCount = (out) => { const m = /lcore \d+: (\d+) garbage collections while forwarding/.exec(out); return m ? Number(m[1]) : NaN; };
/**
 * testpmd's `RX-bursts : N [a% of 0 pkts + b% of 32 pkts + ...]` line (--record-burst-stats):
 * the share of full bursts (32) among the bursts that received anything; from the line's
 * truncated percentages, 0 when 32 is not among its two most frequent sizes.
 */
const fullBursts = (out) => {
  const line = /RX-bursts : \d+ \[([^\]]*)\]/.exec(out)?.[1] ?? '';
  const pct = Object.fromEntries([...line.matchAll(/(\d+)% of (\d+) pkts/g)].map((m) => [m[2], Number(m[1])]));
  return (pct['32'] ?? 0) / (100 - (pct['0'] ?? 0));
};
const burstLine = (out) => /RX-bursts : .*/.exec(out)?.[0] ?? '';
const testpmdCmd = ['taskset', '-c', '0-1', process.execPath, testpmd];

async function generatorBench() {
  const seconds = Number(args[0] ?? 8);
  const rounds = Number(args[1] ?? 3);
  const modes = (args[2] ?? 'io,rxonly,txonly').split(',');
  if (!(seconds >= 4 && rounds >= 1 && modes.every((m) => ['io', 'rxonly', 'txonly'].includes(m)))) {
    console.error('usage: node bench/ixgbe.mjs [SECONDS (>= 4)] [ROUNDS] [io,rxonly,txonly]');
    process.exit(2);
  }
  const ns = netns(`dpkb-ixgbe-${tag}`);
  const sim = await startSim(ns, ['--generator', '1024,64']);
  console.log(sim.ready);
  sim.ethtool('-K', 'bx0', 'ntuple', 'on');
  sim.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', '1234', 'action', '32', 'loc', '0');
  console.log(`${seconds} s per run, ${rounds} rounds; the emulator pinned to cpu 0, testpmd -l 0-1 (forwarding lcore on cpu 1)`);

  const one = async (mode) => {
    const snaps = [];
    const out = await run(ns, testpmdCmd, ['-l', '0-1', '-n', '4', '-d', ixgbeDrv, '-d', simDrv, '--vdev=rte_bifurc,iface=bx0,qpairs=1',
      `--file-prefix=dpkb-ixgbe-${tag}`, '--', `--forward-mode=${mode}`, '--port-topology=loop', '--burst=32', '--txpkts=64', '--stats-period=1',
      '--record-burst-stats'], seconds * 1000 + 500, { DPKIT_REPORT_GC: '1' }, (k) => { if (k >= 3) snaps.push(sim.snapshot()); });
    const all = await Promise.all(snaps);
    const a = all[0], b = all.at(-1);
    const d = (k) => b[k] - a[k];
    const rx = median(rates(out, 'Rx-pps')) / 1e6, tx = median(rates(out, 'Tx-pps')) / 1e6;
    return {
      mpps: mode === 'txonly' ? tx : rx, rx, tx, gcs: gcCount(out),
      busy: d('busyNs') / d('wallNs'),
      // descriptors the engine moved (rx written, tx sunk; one per 64-byte frame) per busy second
      capacity: d('descriptors') / (d('busyNs') / 1e9) / 1e6,
      rxFull: fullBursts(out), rxBursts: burstLine(out),
    };
  };
  const nullIo = async () => {
    const out = await run(ns, testpmdCmd, ['-l', '0-1', '-n', '4', '--no-pci', '--vdev=net_null0', `--file-prefix=dpkb-null-${tag}`, '--',
      '--forward-mode=io', '--port-topology=loop', '--burst=32', '--stats-period=1'], seconds * 1000, { DPKIT_REPORT_GC: '1' });
    return { mpps: median(rates(out, 'Rx-pps')) / 1e6, gcs: gcCount(out) };
  };

  // the emulator with no PMD: bench/sim-generator.mjs's minimal consumer on queue 32 (1024
  // descriptors, DD checked, re-armed, RDT every 32; no mbufs), on cpu 1 like the forwarding lcore
  const consumer = async () => {
    const con = spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '1', process.execPath, `${root}bench/sim-generator.mjs`, '--consumer', '1024', String(seconds)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(con);
    const exited = new Promise((ok) => con.on('exit', ok));
    await reader(con.stdout).next(/^ready$/m, 20_000);
    await sleep(2000);
    const a = await sim.snapshot();
    await sleep((seconds - 3) * 1000);
    const b = await sim.snapshot();
    await exited;
    const d = (k) => b[k] - a[k];
    return { mpps: d('generated') / (d('wallNs') / 1e3), busy: d('busyNs') / d('wallNs'), capacity: d('descriptors') / (d('busyNs') / 1e9) / 1e6 };
  };
  const runs = Object.fromEntries([...modes, 'null', 'consumer'].map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      const x = await one(mode);
      runs[mode].push(x);
      console.log(`round ${r + 1} ${mode.padEnd(6)} ${x.mpps.toFixed(2)} Mpps (rx ${x.rx.toFixed(2)}, tx ${x.tx.toFixed(2)}), emulator busy ${x.busy.toFixed(3)}, capacity ${x.capacity.toFixed(2)} M descriptors per busy s, full rx bursts ${(100 * x.rxFull).toFixed(0)}% of non-empty, GCs ${x.gcs}`);
    }
    const n = await nullIo();
    runs.null.push(n);
    console.log(`round ${r + 1} net_null io ${n.mpps.toFixed(1)} Mpps, GCs ${n.gcs}`);
    const c = await consumer();
    runs.consumer.push(c);
    console.log(`round ${r + 1} minimal consumer (no PMD) ${c.mpps.toFixed(2)} Mpps, emulator busy ${c.busy.toFixed(3)}, capacity ${c.capacity.toFixed(2)} M descriptors per busy s`);
  }
  const nullMpps = median(runs.null.map((x) => x.mpps));
  const summary = modes.map((mode) => {
    const xs = runs[mode];
    const s = {
      mode, mpps: median(xs.map((x) => x.mpps)), spread: spread(xs.map((x) => x.mpps)), busy: median(xs.map((x) => x.busy)),
      capacity: median(xs.map((x) => x.capacity)), rxFull: median(xs.map((x) => x.rxFull)), gcs: xs.map((x) => x.gcs),
    };
    s.ratioToNullIo = s.mpps / nullMpps;
    return s;
  });
  console.log(`\nmedians of ${rounds} (min-max); net_null io ${nullMpps.toFixed(1)} Mpps (${spread(runs.null.map((x) => x.mpps))}), GCs ${runs.null.map((x) => x.gcs).join(', ')}`);
  console.log('| workload | net_ixgbe Mpps (min-max) | / net_null io | emulator busy | emulator capacity, M descriptors per busy s | full rx bursts (of non-empty) | GCs on the forwarding lcore |');
  for (const s of summary) {
    console.log(`| ${s.mode} | ${s.mpps.toFixed(2)} (${s.spread}) | ${s.ratioToNullIo.toFixed(3)} | ${s.busy.toFixed(3)} | ${s.capacity.toFixed(2)} | ${(100 * s.rxFull).toFixed(0)}% | ${s.gcs.join(', ')} |`);
  }
  const cs = runs.consumer;
  console.log(`| minimal consumer, no PMD (rx) | ${median(cs.map((x) => x.mpps)).toFixed(2)} (${spread(cs.map((x) => x.mpps))}) | — | ${median(cs.map((x) => x.busy)).toFixed(3)} | ${median(cs.map((x) => x.capacity)).toFixed(2)} | — | — |`);
  mkdirSync(`${root}bench/out`, { recursive: true });
  writeFileSync(`${root}bench/out/ixgbe.json`, JSON.stringify({ date: new Date().toISOString(), seconds, rounds, node: process.version, nullMpps, summary, runs }, null, 2));
}

async function wireBench() {
  const seconds = Number(args[0] ?? 8);
  const rounds = Number(args[1] ?? 3);
  const simCpu = args[2] ?? '0';
  const genCpu = args[3] ?? '0';
  const dut = netns(`dpkb-ixw-d-${tag}`);
  const peer = netns(`dpkb-ixw-p-${tag}`);
  sh('ip', ['link', 'add', 'va', 'netns', dut, 'numtxqueues', '1', 'numrxqueues', '1', 'type', 'veth', 'peer', 'name', 'vb', 'netns', peer, 'numtxqueues', '1', 'numrxqueues', '1']);
  sh('ip', ['-n', dut, 'link', 'set', 'va', 'up']);
  sh('ip', ['-n', peer, 'link', 'set', 'vb', 'up']);
  const ms = seconds * 1000;
  const generator = () => run(peer, ['dpdk-testpmd'], [`--lcores=0@1,1@${genCpu}`, '-n', '4', '--no-pci', '-m', '512', `--file-prefix=dpkb-ixw-g-${tag}`,
    '--vdev=net_af_xdp0,iface=vb,start_queue=0,queue_count=1', '--', '--forward-mode=txonly', '--burst=32', '--txpkts=64', '--stats-period=1'], ms + 3000);
  const dutArgs = (vdev) => ['-l', '0-1', '-n', '4', vdev, `--file-prefix=dpkb-ixw-${tag}`, '--', '--forward-mode=io', '--port-topology=loop',
    '--burst=32', '--txpkts=64', '--stats-period=1'];
  const once = async (impl) => {
    let sim;
    if (impl === 'ixgbe') {
      sim = await startSim(dut, ['--wire', 'va'], simCpu);
      sim.ethtool('-K', 'bx0', 'ntuple', 'on');
      sim.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', '9', 'action', '32', 'loc', '0');
    }
    const gen = generator();
    await sleep(1500);
    const a = impl === 'ixgbe' ? ['-d', ixgbeDrv, '-d', simDrv, ...dutArgs('--vdev=rte_bifurc,iface=bx0,qpairs=1')]
      : ['--no-pci', ...dutArgs('--vdev=net_af_xdp0,iface=va,start_queue=0,queue_count=1')];
    const snaps = [];
    const out = await run(dut, testpmdCmd, a, ms, { DPKIT_REPORT_GC: '1' }, (k) => { if (sim && k >= 3) snaps.push(sim.snapshot()); });
    const genOut = await gen;
    mkdirSync(`${root}bench/out`, { recursive: true });
    writeFileSync(`${root}bench/out/ixgbe-wire-${impl}.log`, `${out}\n--- generator ---\n${genOut}`);
    const res = { tx: median(rates(out, 'Tx-pps')) / 1e6, rx: median(rates(out, 'Rx-pps')) / 1e6, gcs: gcCount(out) };
    if (sim) {
      const all = await Promise.all(snaps);
      const x = all[0], y = all.at(-1);
      const d = (k) => y[k] - x[k];
      Object.assign(res, { busy: d('busyNs') / d('wallNs'), wireRxDropped: d('wireRxOversize') });
      sim.dev.kill('SIGINT');
      await new Promise((ok) => sim.dev.once('exit', ok));
    }
    return res;
  };
  console.log(`veth va-vb, ${seconds} s per run, ${rounds} rounds; generator dpdk-testpmd txonly (net_af_xdp on vb) on cpu ${genCpu}; the emulator on cpu ${simCpu}; the dut's forwarding lcore on cpu 1`);
  const runs = { ixgbe: [], af_xdp: [] };
  for (let r = 0; r < rounds; r++) {
    for (const impl of ['ixgbe', 'af_xdp']) {
      const x = await once(impl);
      runs[impl].push(x);
      console.log(`round ${r + 1} ${impl.padEnd(6)} io: tx ${x.tx.toFixed(3)} Mpps, rx ${x.rx.toFixed(3)} Mpps${x.busy !== undefined ? `, emulator busy ${x.busy.toFixed(3)}` : ''}, GCs ${x.gcs}`);
    }
  }
  const summary = Object.entries(runs).map(([impl, xs]) => ({
    impl, tx: median(xs.map((x) => x.tx)), txSpread: spread(xs.map((x) => x.tx)), rx: median(xs.map((x) => x.rx)), busy: median(xs.map((x) => x.busy ?? NaN)), gcs: xs.map((x) => x.gcs),
  }));
  console.log(`\nmedians of ${rounds} (min-max):`);
  for (const s of summary) console.log(`| ${s.impl} io | ${s.tx.toFixed(3)} (${s.txSpread}) | ${s.rx.toFixed(3)} | ${Number.isFinite(s.busy) ? s.busy.toFixed(3) : '—'} | ${s.gcs.join(', ')} |`);
  mkdirSync(`${root}bench/out`, { recursive: true });
  writeFileSync(`${root}bench/out/ixgbe-wire.json`, JSON.stringify({ date: new Date().toISOString(), seconds, rounds, node: process.version, summary, runs }, null, 2));
}

async function profile() {
  const mode = args[0] ?? 'io';
  const seconds = args[1] ?? '6';
  const ns = netns(`dpkb-ixgbe-${tag}`);
  const sim = await startSim(ns, ['--generator', '1024,64']);
  sim.ethtool('-K', 'bx0', 'ntuple', 'on');
  sim.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', '1234', 'action', '32', 'loc', '0');
  mkdirSync(`${root}bench/out/prof`, { recursive: true });
  const before = await sim.snapshot();
  const child = spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '1', process.execPath,
    `${root}bench/profile-ixgbe.mjs`, mode, seconds, '1024', `${root}bench/out/prof/ixgbe-${mode}.cpuprofile`], { stdio: 'inherit' });
  children.push(child);
  const status = await new Promise((ok) => child.on('exit', ok));
  const after = await sim.snapshot();
  const d = (k) => after[k] - before[k];
  console.log(`emulator over the run: busy ${(d('busyNs') / d('wallNs')).toFixed(3)}, ${(d('descriptors') / (d('busyNs') / 1e9) / 1e6).toFixed(2)} M descriptors per busy s`);
  process.exitCode = status ?? 1;
}

if (kind === 'wire') await wireBench();
else if (kind === 'profile') await profile();
else await generatorBench();
process.exit(process.exitCode ?? 0);
