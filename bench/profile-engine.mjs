// Runs one forwarding engine on a net_null port in the main thread, so that
// `node --cpu-prof bench/profile-engine.mjs MODE` profiles the per-packet path
// (worker threads' profiles are lost when testpmd exits). Prints Mpps per second.
// Usage: node [--cpu-prof] bench/profile-engine.mjs [io|mac|macswap|txonly|rxonly|...] [seconds]
import { Eal } from '../packages/eal/dist/index.js';
import { driver as nullDriver } from '../packages/pmd-null/dist/index.js';
import { engineOn, perSecond } from './harness.mjs';

const mode = process.argv[2] ?? 'io';
const seconds = Number(process.argv[3] ?? 4);
const eal = await Eal.init(['-l', '0', '--no-pci', '--vdev=net_null0', `--file-prefix=profile-${process.pid}`], { drivers: [nullDriver] });
const pool = eal.mempoolCreate('mb', { size: 8192, cacheSize: 250 });
const dev = eal.ethdevs.get(0);
await dev.configure(1, 1);
await dev.rxQueueSetup(0, 512, 0, {}, pool);
await dev.txQueueSetup(0, 512, 0, {});
await dev.start();
const e = await engineOn(mode, dev.queueDescriptor('rx', 0), dev.queueDescriptor('tx', 0), pool, [...dev.mac]);
await perSecond(mode, seconds, 1 << 20, e.fwd, e.packets);
await dev.stop();
await dev.close();
await eal.cleanup();
