// The emulated 82599's own capacity in generator mode: how many frames its DMA engine (the
// native thread of @dpkit/sim-82599) writes into an rx ring per second of its busy time.
//
//   node bench/sim-generator.mjs [SECONDS] [ROUNDS] [FLOWS,SIZE] [RING] [K]   (root; default 5 3 1024,64 4096 32)
//
// In a network namespace of its own it runs the command `dpkit-sim-82599 bx0 --generator
// FLOWS,SIZE --kernel-queues K` (the package's bin, with this file's probe preloaded: the probe only reads the
// engine's counters, `Sim82599.counters()`, and prints them on SIGUSR2), then a minimal
// consumer in another process (this file with --consumer): it splits queue 32 over the control
// channel, maps its register window and 8 MiB of DMA memory, sets up rx queue 32 (RING
// descriptors of 2048 bytes) through the registers and, in a loop, takes every descriptor
// with DD, re-arms it and gives them back 32 at a time (RDT = next - 1), as a PMD's rx does. `dpkit-ethtool -N bx0 flow-type udp4
// dst-port 1234 action 32` steers the generator's flows to that queue. After a second of
// warm-up, each round of SECONDS takes the counters before and after and prints:
//   delivered Mpps   frames written to the ring per wall second (the consumer's pace)
//   busy             busy share: the engine's time in passes that moved something, over wall time
//   Mframes/busy s   frames written per busy second: the engine's capacity; for SIZE = 64 each
//                    frame takes one descriptor, so this is its capacity in Mpps of 64-byte frames
//   Mdesc/busy s     the engine's own `capacity()` figure (counter `descriptors` per busy second)
// and then the median of each over the rounds. Raw numbers: bench/out/sim-generator.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, reader, sleep } from './harness.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 3);
  const gen = process.argv[4] ?? '1024,64';
  const ring = Number(process.argv[5] ?? 4096);
  const kq = Number(process.argv[6] ?? 32);
  if (!(seconds > 0 && rounds > 0 && /^\d+,\d+$/.test(gen) && ring >= 32 && ring <= 4096 && (ring & (ring - 1)) === 0 && kq >= 1 && kq <= 32)) {
    process.stderr.write('usage: node bench/sim-generator.mjs [SECONDS] [ROUNDS] [FLOWS,SIZE] [RING (a power of two, 32-4096)] [K (kernel queues, 1-32)]\n');
    process.exit(2);
  }
  const ns = `dpkit-bench-sim-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const children = [];
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

  // the device: the command itself, with the counter probe preloaded
  const dev = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', here('./sim-probe.mjs'), here('../packages/sim-82599/bin/dpkit-sim-82599.js'), 'bx0', '--generator', gen, '--kernel-queues', String(kq)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(dev);
  const lines = reader(dev.stdout, dev.stderr);
  process.stdout.write(await lines.next(/^dpkit-sim-82599: bx0 ready .*$/m, 20_000) + '\n');
  const snapshot = async () => { dev.kill('SIGUSR2'); return JSON.parse((await lines.next(/^probe (.*)$/m, 5000)).slice(6)); };

  // the consumer, then the rule that steers the generator's flows to its queue
  const total = 1 + rounds * seconds + 5;
  const con = spawn('ip', ['netns', 'exec', ns, process.execPath, here('./sim-generator.mjs'), '--consumer', String(ring), String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(con);
  const conLines = reader(con.stdout);
  await conLines.next(/^ready$/m, 20_000);
  const ethtool = (...args) => execFileSync('ip', ['netns', 'exec', ns, process.execPath, here('../packages/sim-82599/bin/dpkit-ethtool.js'), ...args]).toString();
  ethtool('-K', 'bx0', 'ntuple', 'on');
  ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', '1234', 'action', '32', 'loc', '0');
  await sleep(1000); // warm-up

  const results = [];
  let before = await snapshot();
  for (let i = 0; i < rounds; i++) {
    await sleep(seconds * 1000);
    const after = await snapshot();
    const d = (k) => after[k] - before[k];
    const r = {
      deliveredMpps: d('generated') / (d('wallNs') / 1e9) / 1e6,
      busy: d('busyNs') / d('wallNs'),
      framesPerBusyS: d('generated') / (d('busyNs') / 1e9),
      descPerBusyS: d('descriptors') / (d('busyNs') / 1e9),
      generated: d('generated'), skipped: d('generatorSkipped'), queue32: after.rxQueue32 - before.rxQueue32,
    };
    results.push(r);
    process.stdout.write(`round ${i + 1}: delivered ${r.deliveredMpps.toFixed(2)} Mpps, busy ${r.busy.toFixed(3)}, ${(r.framesPerBusyS / 1e6).toFixed(2)} Mframes/busy s, ${(r.descPerBusyS / 1e6).toFixed(2)} Mdesc/busy s (skipped ${r.skipped})\n`);
    before = after;
  }
  con.kill('SIGTERM');
  dev.kill('SIGINT');
  const med = (k) => median(results.map((r) => r[k]));
  const summary = { deliveredMpps: med('deliveredMpps'), busy: med('busy'), framesPerBusyS: med('framesPerBusyS'), descPerBusyS: med('descPerBusyS') };
  process.stdout.write(`median of ${rounds}: delivered ${summary.deliveredMpps.toFixed(2)} Mpps, busy ${summary.busy.toFixed(3)}, capacity ${(summary.framesPerBusyS / 1e6).toFixed(2)} M frames per busy second (${gen.split(',')[1]}-byte frames, ${gen.split(',')[0]} flows, ring ${ring}, ${kq} kernel queues), engine's capacity() ${(summary.descPerBusyS / 1e6).toFixed(2)} M descriptors per busy second\n`);
  mkdirSync(here('./out'), { recursive: true });
  writeFileSync(here('./out/sim-generator.json'), JSON.stringify({ seconds, rounds, gen, ring, kernelQueues: kq, results, summary }, null, 2));
  process.exit(0);
}



/** The consumer: owner of queue 32 with a RING-descriptor ring; gives every frame back at once. */
async function consumer(ring, seconds) {
  const { linux } = await import('../packages/eal/dist/linux.js');
  const { ChannelClient } = await import('../packages/sim-82599/dist/client.js');
  const r = await import('../packages/ixgbe-defs/dist/regs.js');
  const d = await import('../packages/ixgbe-defs/dist/descriptors.js');
  const q = 32, IOVA = 0x1_0000_0000, BUF = 2048, ringOff = 0, bufOff = 0x10000;
  const size = bufOff + ring * BUF;
  const ch = ChannelClient.connect('bx0');
  const must = (reply, what) => { if (!reply.ok) throw new Error(`${what}: ${reply.text}`); return reply; };
  must(ch.request(`split ${q} 1`), 'split');
  const map = must(ch.request('map'), 'map');
  const regs = new Uint32Array(linux().mapFd(map.fds[0], r.BAR0_SIZE));
  linux().close(map.fds[0]);
  const mem = linux().memfdMap('sim-bench-dma', size);
  must(ch.request(`map_umem ${IOVA} ${size}`, [mem.fd]), 'map_umem');
  const words = new Uint32Array(mem.buffer);
  const setReg = (off, v) => { regs[off >> 2] = v; };
  const lo = (off) => (IOVA + off) % 2 ** 32, hi = (off) => Math.floor((IOVA + off) / 2 ** 32);
  setReg(r.SRRCTL(q), r.SRRCTL_DESCTYPE_ADV_ONEBUF | r.SRRCTL_DROP_EN | (BUF >> r.SRRCTL_BSIZEPKT_SHIFT));
  setReg(r.RDBAL(q), lo(ringOff));
  setReg(r.RDBAH(q), hi(ringOff));
  setReg(r.RDLEN(q), ring * d.DESC_SIZE);
  setReg(r.RDH(q), 0);
  setReg(r.RDT(q), 0);
  // the buffer address of descriptor i, read format (hdr_addr 0 clears DD)
  const addrLo = new Uint32Array(ring), addrHi = new Uint32Array(ring);
  for (let i = 0; i < ring; i++) {
    addrLo[i] = lo(bufOff + i * BUF);
    addrHi[i] = hi(bufOff + i * BUF);
    const w = i * d.DESC_DWORDS;
    words[w] = addrLo[i]; words[w + 1] = addrHi[i]; words[w + 2] = 0; words[w + 3] = 0;
  }
  setReg(r.RXDCTL(q), r.RXDCTL_ENABLE);
  const until = Date.now() + 5000;
  while ((regs[r.RXDCTL(q) >> 2] & r.RXDCTL_ENABLE) === 0 && Date.now() < until) await sleep(1);
  const rdt = r.RDT(q) >> 2;
  regs[rdt] = ring - 1;
  process.stdout.write('ready\n');
  // the loop, as a PMD's rx does: take the descriptors with DD, re-arm them, and give them back
  // 32 at a time (DPDK's rx_free_thresh); in chunks (small-integer counters), bounded by `seconds`
  const deadline = Date.now() + seconds * 1000;
  const mask = ring - 1, dd = d.RXD_STAT_DD, FREE = 32;
  let next = 0, held = 0;
  while (Date.now() < deadline) {
    for (let k = 0; k < 100000; k++) {
      const w = next << 2;
      if ((Atomics.load(words, w + 2) & dd) === 0) continue;
      words[w] = addrLo[next]; words[w + 1] = addrHi[next]; words[w + 3] = 0; words[w + 2] = 0;
      next = (next + 1) & mask;
      if (++held === FREE) { Atomics.store(regs, rdt, (next + mask) & mask); held = 0; }
    }
  }
  ch.close();
}

if (process.argv[2] === '--consumer') await consumer(Number(process.argv[3]), Number(process.argv[4]));
else await main();
