#!/usr/bin/env node
/**
 * Cost of the XDP flow classifier per packet, through BPF_PROG_TEST_RUN (the kernel runs the
 * program `repeat` times on one packet and reports ns per run): 0, 16, 256 and 4096 rules of
 * one shape (udp4 dst-ip + dst-port), a packet that matches the last rule added and one that
 * matches none, against the plain XSKMAP redirect program. Medians of `runs`. Needs root.
 *   node bench/classifier.mjs [runs=7] [repeat=1000000]
 */
import { parseNtuple } from '../packages/eal/dist/index.js';
import { BpfMap, MapType, linux, loadXdpProgram, testRun, xskRedirectProgram } from '../packages/eal/dist/linux.js';
import { XdpClassifier } from '../packages/bifurc/dist/index.js';

const runs = Number(process.argv[2] ?? 7);
const repeat = Number(process.argv[3] ?? 1_000_000);
const l = linux();

function udp(dport) {
  const b = new Uint8Array(60);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 9, 0, 2, 10, 9, 0, 1]);
  b.set([0x9c, 0x40, dport >> 8, dport & 0xff, 0, 12, 0, 0], 34);
  return b;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const measure = (prog, pkt) => median(Array.from({ length: runs }, () => testRun(prog, pkt, repeat).nsPerRun));

const xsk = new BpfMap(MapType.XSKMAP, 4, 4, 4, 'bench_xsk');
const plain = loadXdpProgram(xskRedirectProgram(xsk), 'bench_plain');
const base = measure(plain, udp(1000));
console.log(`plain XSKMAP redirect: ${base} ns/packet`);
console.log('rules  match ns/pkt  no-match ns/pkt  (vs plain)');
const out = { plain: base, rules: {} };
for (const n of [0, 16, 256, 4096]) {
  const c = new XdpClassifier({ queues: 1, maxRules: Math.max(n, 1), name: 'bench' });
  for (let i = 0; i < n; i++) c.create(parseNtuple(`flow-type udp4 dst-ip 10.9.0.1 dst-port ${1000 + i} action 0`));
  const prog = c.load(xsk);
  const hit = n ? measure(prog, udp(1000 + n - 1)) : NaN;
  const miss = measure(prog, udp(60000));
  out.rules[n] = { hit, miss };
  console.log(`${String(n).padStart(5)}  ${String(Number.isNaN(hit) ? '-' : hit).padStart(12)}  ${String(miss).padStart(15)}  (${(miss / base).toFixed(2)}x)`);
  l.close(prog);
  c.close();
}
l.close(plain);
xsk.close();
console.log(JSON.stringify(out));
