// Runs one forwarding engine on net_ixgbe (the emulated 82599's queue 32) in the main thread,
// so that `node --cpu-prof bench/profile-ixgbe.mjs MODE` profiles the PMD's bursts (worker
// threads' profiles are lost when testpmd exits). Run it in the namespace of a running
// `dpkit-sim-82599 bx0 --generator ...` whose flows a rule steers to queue 32 (bench/ixgbe.mjs
// --profile MODE does all of that). Prints Mpps per second and, at the end, the garbage
// collections seen after the first second.
// Usage: node [--cpu-prof] bench/profile-ixgbe.mjs [io|rxonly|txonly|...] [seconds] [rxd/txd]
import { PerformanceObserver } from 'node:perf_hooks';
import { Eal } from '../packages/eal/dist/index.js';
import { bifurc } from '../packages/bifurc/dist/index.js';
import { drivers as ixgbe } from '../packages/pmd-ixgbe/dist/index.js';
import { providers } from '../packages/sim-82599/dist/index.js';
import { engineTarget } from '../packages/testpmd/dist/fwd/registry.js';
import { buildStreams } from '../packages/testpmd/dist/fwd/lcore.js';
import { FWD_STAT_SLOTS } from '../packages/testpmd/dist/fwd/engine.js';

const mode = process.argv[2] ?? 'io';
const seconds = Number(process.argv[3] ?? 4);
const nbDesc = Number(process.argv[4] ?? 1024);
const b = bifurc({ providers });
const eal = await Eal.init(['-l', '0', '--vdev=rte_bifurc,iface=bx0,qpairs=1', `--file-prefix=profile-ixgbe-${process.pid}`], { drivers: [...b.drivers, ...ixgbe], buses: [b.bus] });
const pool = eal.mempoolCreate('mb', { size: 8192, cacheSize: 250, memory: 'memfd' });
const dev = eal.ethdevs.get(0);
await dev.configure(1, 1);
await dev.rxQueueSetup(0, nbDesc, 0, {}, pool);
await dev.txQueueSetup(0, nbDesc, 0, {});
await dev.start();
const stats = new SharedArrayBuffer(FWD_STAT_SLOTS * 8);
const [s] = await buildStreams([{
  rx: dev.queueDescriptor('rx', 0), tx: dev.queueDescriptor('tx', 0), rxPort: 0, rxQueue: 0, txPort: 0, txQueue: 0,
  txPortMac: [...dev.mac], peerMac: [2, 0, 0, 0, 0, 0], pool: pool.descriptor(), burst: 32, txpkts: [64],
  txonly: { ipSrc: 0xc0a80001, ipDst: 0xc0a80002, udpSrc: 9, udpDst: 9, multiFlow: false }, flowgenFlows: 1, lcore: 0,
  stats: { buffer: stats, index: 0 },
}]);
const t = engineTarget(mode);
const engine = (await import(t.module))[t.export];
engine.streamInit?.(s);
const fwd = engine.packetFwd;
const counters = new Float64Array(stats);
const slot = mode === 'txonly' || mode === 'flowgen' ? 1 : 0; // TX for generators, else RX
let gcs = 0, counting = false;
new PerformanceObserver((l) => { if (counting) gcs += l.getEntries().length; }).observe({ entryTypes: ['gc'] });
const rates = [];
for (let sec = 0; sec < seconds; sec++) {
  const before = counters[slot];
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < 1000) {
    for (let i = 0; i < 65536; i++) fwd(s);
    calls += 65536;
  }
  const dt = (performance.now() - t0) / 1000;
  const mpps = (counters[slot] - before) / dt / 1e6;
  rates.push(mpps);
  console.log(`${mode}: ${mpps.toFixed(2)} Mpps (${((counters[slot] - before) / calls).toFixed(1)} packets per call)`);
  counting = true;
  await new Promise((ok) => setImmediate(ok)); // let the GC observer report
}
console.log(`${mode}: ${gcs} garbage collections after the first second`);
await dev.stop();
await dev.close();
await eal.cleanup();
