#!/usr/bin/env node
/**
 * A packet sink for the AF_XDP benchmark: attaches an XDP program to each named netdev (in
 * the caller's network namespace; run it under `ip netns exec`) that counts every frame in an
 * ARRAY map and drops it, the cheapest way for the kernel to take a frame. Prints
 * `ready` once attached, then, for every line read on stdin, one line with the counts so far
 * (`<iface>=<frames> ...`). Exits (and the kernel detaches the programs with its links) when
 * stdin closes.
 *   ip netns exec NS node bench/xdp-sink.mjs IFACE [IFACE...]
 */
import { createInterface } from 'node:readline';
import { BpfAsm, BpfMap, Helper, MapType, R0, R1, R2, FP, XdpAction, attachXdp, linux, loadXdpProgram } from '../packages/eal/dist/linux.js';

import { errorLine } from '../packages/eal/dist/index.js';

// a missing addon, netdev or privilege: one line, not a stack trace
process.on('uncaughtException', (err) => {
  console.error(`xdp-sink: ${errorLine(err)}`);
  process.exit(1);
});

const l = linux();
const sinks = process.argv.slice(2).map((iface) => {
  const map = new BpfMap(MapType.ARRAY, 4, 8, 1, 'bench_sink');
  const prog = new BpfAsm()
    .storeImm(4, FP, -4, 0)
    .loadMap(R1, map.fd)
    .movReg(R2, FP).alu('add', R2, -4)
    .call(Helper.mapLookupElem)
    .jmp('jeq', R0, 0, 'drop')
    .mov(R1, 1).atomicAdd64(R0, 0, R1)
    .label('drop')
    .mov(R0, XdpAction.DROP)
    .exit();
  const fd = loadXdpProgram(prog, 'bench_sink');
  const link = attachXdp(fd, l.ifInfo(iface).ifindex, 'drv');
  return { iface, map, fd, link };
});
const key = new Uint8Array(4);
const value = new Uint8Array(8);
const count = (s) => {
  s.map.lookup(key, value);
  return Number(new DataView(value.buffer).getBigUint64(0, true));
};
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
rl.on('line', () => process.stdout.write(sinks.map((s) => `${s.iface}=${count(s)}`).join(' ') + '\n'));
rl.on('close', () => {
  for (const s of sinks) {
    l.close(s.link);
    l.close(s.fd);
    s.map.close();
  }
  process.exit(0);
});
