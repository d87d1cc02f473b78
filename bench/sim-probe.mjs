// Preloaded into `dpkit-sim-82599` by bench/sim-generator.mjs (node --import): remembers the
// device the command starts (Sim82599.start) and, on SIGUSR2, prints its engine's counters
// (Sim82599.counters(): busyNs, wallNs, descriptors, generated, ...) as one `probe JSON` line
// on stderr. It reads counters only; the command runs unchanged.
import { Sim82599 } from '../packages/sim-82599/dist/device.js';

let nic;
const start = Sim82599.prototype.start;
Sim82599.prototype.start = function (...args) {
  nic = this;
  return start.apply(this, args);
};
process.on('SIGUSR2', () => {
  if (!nic) return;
  const c = nic.counters();
  const { rxQueueFrames, rxDmaFaults, txDmaFaults, ...scalars } = c;
  process.stderr.write(`probe ${JSON.stringify({ ...scalars, rxQueue32: rxQueueFrames[32] })}\n`);
});
