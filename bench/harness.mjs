// What the bench scripts share: a testpmd forwarding engine on given queues in this thread
// (for --cpu-prof), a per-second measuring loop that counts garbage collections, and a line
// reader for child processes.
import { PerformanceObserver } from 'node:perf_hooks';
import { buildStreams } from '../packages/testpmd/dist/fwd/lcore.js';
import { FWD_STAT_SLOTS } from '../packages/testpmd/dist/fwd/engine.js';
import { engineTarget } from '../packages/testpmd/dist/fwd/registry.js';

/**
 * testpmd's engine `mode` on one stream from rx queue descriptor `rx` to tx queue descriptor
 * `tx` (burst 32, 64-byte txonly packets, as testpmd builds it); returns `fwd()` (one call of
 * the engine) and `packets()` (what it has received so far, or sent for txonly and flowgen).
 */
export async function engineOn(mode, rx, tx, pool, mac = [2, 0, 0, 0, 0, 1]) {
  const stats = new SharedArrayBuffer(FWD_STAT_SLOTS * 8);
  const [s] = await buildStreams([{
    rx, tx, rxPort: 0, rxQueue: 0, txPort: 0, txQueue: 0, txPortMac: mac, peerMac: [2, 0, 0, 0, 0, 2], pool: pool.descriptor(), burst: 32, txpkts: [64],
    txonly: { ipSrc: 0xc6120001, ipDst: 0xc6120002, udpSrc: 9, udpDst: 9, multiFlow: false }, flowgenFlows: 1, lcore: 0, stats: { buffer: stats, index: 0 },
  }]);
  const t = engineTarget(mode);
  const engine = (await import(t.module))[t.export];
  await engine.streamInit?.(s); // macswap loads its per-stream instance there
  const counters = new Float64Array(stats);
  const slot = mode === 'txonly' || mode === 'flowgen' ? 1 : 0; // TX for generators, else RX
  return { fwd: () => engine.packetFwd(s), packets: () => counters[slot] };
}

/**
 * Calls `step()` in chunks of `chunk` for `seconds` seconds, printing each second's Mpps of
 * `packets()` (and packets per call), then the garbage collections seen after the first second.
 * Returns the per-second rates.
 */
export async function perSecond(label, seconds, chunk, step, packets) {
  let gcs = 0, counting = false;
  const obs = new PerformanceObserver((l) => { if (counting) gcs += l.getEntries().length; });
  obs.observe({ entryTypes: ['gc'] });
  const rates = [];
  for (let sec = 0; sec < seconds; sec++) {
    const before = packets();
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 1000) {
      for (let i = 0; i < chunk; i++) step();
      calls += chunk;
    }
    const n = packets() - before;
    rates.push(n / ((performance.now() - t0) / 1000) / 1e6);
    console.log(`${label}: ${rates.at(-1).toFixed(2)} Mpps (${(n / calls).toFixed(1)} packets per call)`);
    counting = true;
    await new Promise((ok) => setImmediate(ok)); // let the GC observer report
  }
  obs.disconnect();
  console.log(`${label}: ${gcs} garbage collections after the first second`);
  return rates;
}

/** Waits for lines matching a pattern on the given streams. */
export function reader(...streams) {
  let buf = '';
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.re.exec(buf);
      if (m) { waiters.splice(waiters.indexOf(w), 1); buf = buf.slice(m.index + m[0].length); clearTimeout(w.timer); w.ok(m[0]); }
    }
  };
  for (const s of streams) s.on('data', (b) => { buf += b; check(); });
  return {
    next: (re, ms) => new Promise((ok, fail) => {
      const w = { re, ok, timer: setTimeout(() => fail(new Error(`no line ${re} within ${ms} ms; got: ${buf.trim().slice(-300)}`)), ms) };
      waiters.push(w);
      check();
    }),
  };
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
