// Runs one forwarding engine on a net_null port in the main thread, so that
// `node --cpu-prof bench/profile-engine.mjs MODE` profiles the per-packet path
// (worker threads' profiles are lost when testpmd exits). Prints Mpps per second.
// Usage: node [--cpu-prof] bench/profile-engine.mjs [io|mac|macswap|txonly|rxonly|...] [seconds]
import { Eal } from '../packages/eal/dist/index.js';
import { driver as nullDriver } from '../packages/pmd-null/dist/index.js';
import { engineTarget } from '../packages/testpmd/dist/fwd/registry.js';
import { buildStreams } from '../packages/testpmd/dist/fwd/lcore.js';
import { FWD_STAT_SLOTS } from '../packages/testpmd/dist/fwd/engine.js';

const mode = process.argv[2] ?? 'io';
const seconds = Number(process.argv[3] ?? 4);
const eal = await Eal.init(['-l', '0', '--no-pci', '--vdev=net_null0', `--file-prefix=profile-${process.pid}`], { drivers: [nullDriver] });
const pool = eal.mempoolCreate('mb', { size: 8192, cacheSize: 250 });
const dev = eal.ethdevs.get(0);
await dev.configure(1, 1);
await dev.rxQueueSetup(0, 512, 0, {}, pool);
await dev.txQueueSetup(0, 512, 0, {});
await dev.start();
const stats = new SharedArrayBuffer(FWD_STAT_SLOTS * 8);
const [s] = await buildStreams([{
  rx: dev.queueDescriptor('rx', 0), tx: dev.queueDescriptor('tx', 0), rxPort: 0, rxQueue: 0, txPort: 0, txQueue: 0,
  txPortMac: [...dev.mac], peerMac: [2, 0, 0, 0, 0, 0], pool: pool.descriptor(), burst: 32, txpkts: [64], stats: { buffer: stats, index: 0 },
}]);
const t = engineTarget(mode);
const engine = (await import(t.module))[t.export];
engine.streamInit?.(s);
const fwd = engine.packetFwd;
const counters = new Float64Array(stats);
const slot = mode === 'txonly' || mode === 'flowgen' ? 1 : 0; // TX for generators, else RX
for (let sec = 0; sec < seconds; sec++) {
  const before = counters[slot];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 3_000_000; i++) fwd(s);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${mode}: ${((counters[slot] - before) / dt / 1e6).toFixed(1)} Mpps`);
}
await dev.stop();
await dev.close();
await eal.cleanup();
