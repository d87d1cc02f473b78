// Runs one forwarding engine on net_ixgbe (the emulated 82599's queue 32) in the main thread
// and, given PROFILE, profiles it (the inspector's CPU profiler, started once the port runs and
// written to PROFILE as a .cpuprofile): worker threads' profiles are lost when testpmd exits, and
// `node --cpu-prof` from the start would profile the set-up too. Run it in the namespace of a running
// `dpkit-sim-82599 bx0 --generator ...` whose flows a rule steers to queue 32 (bench/ixgbe.mjs
// --profile MODE does all of that). Prints Mpps per second and the garbage collections seen
// after the first second.
// Usage: node bench/profile-ixgbe.mjs [io|rxonly|txonly|...] [seconds] [descriptors] [PROFILE]
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { Eal } from '../packages/eal/dist/index.js';
import { bifurc } from '../packages/bifurc/dist/index.js';
import { drivers as ixgbe } from '../packages/pmd-ixgbe/dist/index.js';
import { providers } from '../packages/sim-82599/dist/index.js';
import { engineOn, perSecond } from './harness.mjs';

const mode = process.argv[2] ?? 'io';
const seconds = Number(process.argv[3] ?? 4);
const nbDesc = Number(process.argv[4] ?? 1024);
const profile = process.argv[5];
const b = bifurc({ providers });
const eal = await Eal.init(['-l', '0', '--vdev=rte_bifurc,iface=bx0,qpairs=1', `--file-prefix=profile-ixgbe-${process.pid}`], { drivers: [...b.drivers, ...ixgbe], buses: [b.bus] });
const pool = eal.mempoolCreate('mb', { size: 8192, cacheSize: 250, memory: 'memfd' });
const dev = eal.ethdevs.get(0);
await dev.configure(1, 1);
await dev.rxQueueSetup(0, nbDesc, 0, {}, pool);
await dev.txQueueSetup(0, nbDesc, 0, {});
await dev.start();
const e = await engineOn(mode, dev.queueDescriptor('rx', 0), dev.queueDescriptor('tx', 0), pool, [...dev.mac]);
const session = new Session();
const post = (method, params) => new Promise((ok, fail) => session.post(method, params, (err, r) => (err ? fail(err) : ok(r))));
if (profile) {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
}
await perSecond(mode, seconds, 65536, e.fwd, e.packets);
if (profile) writeFileSync(profile, JSON.stringify((await post('Profiler.stop')).profile));
await dev.stop();
await dev.close();
await eal.cleanup();
