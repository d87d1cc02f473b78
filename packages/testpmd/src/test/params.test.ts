import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { DpkitError } from '@dpkit/eal';
import { parseTestpmdArgs } from '../params.js';

/** `args` are refused with exactly `msg` (one DpkitError). */
function refused(t: ExecutionContext, args: string[], msg: string): void {
  t.is(t.throws(() => parseTestpmdArgs(args), { instanceOf: DpkitError })!.message, msg);
}

test("the RFC's command line parses", (t) => {
  const p = parseTestpmdArgs(['-i', '--rxfreet=32', '--txfreet=32', '--txrst=32']);
  t.true(p.interactive);
  t.is(p.rxFreeThresh, 32);
  t.is(p.txFreeThresh, 32);
  t.is(p.txRsThresh, 32);
});

test('options take = or a separate value; defaults are DPDK testpmd\'s', (t) => {
  const p = parseTestpmdArgs(['--forward-mode', 'macswap', '--burst=64', '--port-topology=loop', '--eth-peer=1,02:00:00:00:00:0a',
    '--txpkts=60,4', '--nb-cores=1', '--portmask=0x3', '--stats-period', '2', '-a', '--tx-first']);
  t.is(p.forwardMode, 'macswap');
  t.is(p.burst, 64);
  t.is(p.topology, 'loop');
  t.deepEqual([...p.ethPeers.get(1)!], [2, 0, 0, 0, 0, 10]);
  t.deepEqual(p.txpkts, [60, 4]);
  t.is(p.portmask, 3);
  t.is(p.statsPeriod, 2);
  t.true(p.autoStart && p.txFirst);
  const d = parseTestpmdArgs([]);
  t.is(d.forwardMode, 'io');
  t.is(d.burst, 32);
  t.is(d.topology, 'paired');
});

test('bad values are one line naming the option', (t) => {
  const bad = (args: string[], re: RegExp) => {
    const e = t.throws(() => parseTestpmdArgs(args), { instanceOf: DpkitError });
    t.regex(e!.message, re);
  };
  bad(['--burst=513'], /invalid --burst '513': expected an integer from 1 to 512/);
  bad(['--port-topology=ring'], /expected paired, chained or loop/);
  bad(['--eth-peer=0,zz'], /invalid --eth-peer/);
  bad(['--txpkts=20'], /at least 42 bytes/);
  bad(['--portmask=0'], /non-zero hexadecimal mask/);
  bad(['--txrst=64', '--txfreet=32'], /--txrst \(64\) must not exceed --txfreet \(32\)/);
  bad(['--what'], /unknown testpmd option '--what'/);
  bad(['-i=1'], /unknown testpmd option/);
  bad(['--burst'], /option --burst needs a value/);
});

test('--tx-ip and --tx-udp set txonly\'s addresses and ports; one --tx-udp value sets both, as DPDK\'s', (t) => {
  const d = parseTestpmdArgs([]);
  t.deepEqual([d.txIpSrc, d.txIpDst, d.txUdpSrc, d.txUdpDst, d.txonlyMultiFlow, d.flowgenFlows], [0xc6120001, 0xc6120002, 9, 9, false, 1024]);
  const p = parseTestpmdArgs(['--tx-ip=10.0.0.1,255.1.2.3', '--tx-udp=1234,80', '--txonly-multi-flow', '--flowgen-flows=7']);
  t.deepEqual([p.txIpSrc, p.txIpDst, p.txUdpSrc, p.txUdpDst, p.txonlyMultiFlow, p.flowgenFlows], [0x0a000001, 0xff010203, 1234, 80, true, 7]);
  const one = parseTestpmdArgs(['--tx-udp', '5000']);
  t.deepEqual([one.txUdpSrc, one.txUdpDst], [5000, 5000]);
  refused(t, ['--tx-ip=10.0.0.1'], 'Invalid tx-ip: 10.0.0.1: expected SRC,DST such as 198.18.0.1,198.18.0.2');
  refused(t, ['--tx-ip=,10.0.0.1'], 'Invalid tx-ip: ,10.0.0.1: expected SRC,DST such as 198.18.0.1,198.18.0.2');
  refused(t, ['--tx-ip=10.0.0.256,10.0.0.1'], 'Invalid source IP address: 10.0.0.256 (--tx-ip 10.0.0.256,10.0.0.1)');
  refused(t, ['--tx-ip=10.0.0.1,x'], 'Invalid destination IP address: x (--tx-ip 10.0.0.1,x)');
  refused(t, ['--tx-udp=65536'], 'Invalid UDP port: 65536 (--tx-udp: expected SRC[,DST], each 0-65535)');
  refused(t, ['--tx-udp=9,'], 'Invalid destination UDP port:  (--tx-udp 9,)');
  refused(t, ['--flowgen-flows=0'], "invalid --flowgen-flows '0': flows must be >= 1");
  refused(t, ['--txonly-multi-flow=1'], 'option --txonly-multi-flow takes no value');
});

test('--eth-peers-configfile: line N is port N-1\'s peer; a bad line or a missing file is one line', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-'));
  try {
    writeFileSync(join(dir, 'ok'), '02:00:00:00:00:aa\n02:00:00:00:00:bb\n');
    const p = parseTestpmdArgs([`--eth-peers-configfile=${join(dir, 'ok')}`, '--eth-peer=1,02:00:00:00:00:0c']);
    t.deepEqual([...p.ethPeers.entries()].map(([k, v]) => [k, [...v]]), [[0, [2, 0, 0, 0, 0, 0xaa]], [1, [2, 0, 0, 0, 0, 0x0c]]]);
    writeFileSync(join(dir, 'bad'), '02:00:00:00:00:aa\nzz\n');
    refused(t, [`--eth-peers-configfile=${join(dir, 'bad')}`], `--eth-peers-configfile ${join(dir, 'bad')}: Bad MAC address format on line 2 ('zz'); expected one XX:XX:XX:XX:XX:XX a line, line N for port N-1`);
    refused(t, [`--eth-peers-configfile=${join(dir, 'none')}`], `--eth-peers-configfile: cannot open ${join(dir, 'none')}: ENOENT`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options that have no meaning in dpkit are accepted and say so once, in argument order', (t) => {
  const p = parseTestpmdArgs(['-i', '--numa', '--no-numa', '--socket-num=0', '--no-flush-rx', '--hot-plug', '--numa']);
  t.deepEqual(p.notices, [
    'Interactive-mode selected',
    '--numa: dpkit does not place memory per NUMA socket (show config fwd says NUMA support disabled); accepted, no effect',
    '--socket-num: dpkit allocates every pool on socket 0; accepted, no effect',
    '--no-flush-rx: dpkit-testpmd does not flush rx queues before forwarding; accepted, no effect',
    '--hot-plug: dpkit has no device event monitor; port attach and port detach work without it; accepted, no effect',
  ]);
  t.is(t.throws(() => parseTestpmdArgs(['--socket-num=x']), { instanceOf: DpkitError })!.message, "invalid --socket-num 'x': Invalid socket id (expected a socket number such as 0)");
});

test('--portlist takes ports and ranges in order, repeats dropped; the later of --portlist and --portmask counts', (t) => {
  t.deepEqual(parseTestpmdArgs(['--portlist=3,0-1,1']).portlist, [3, 0, 1]);
  const p = parseTestpmdArgs(['--portlist=1', '--portmask=0x3']);
  t.deepEqual([p.portlist, p.portmask], [undefined, 3]);
  const q = parseTestpmdArgs(['--portmask=0x3', '--portlist=1']);
  t.deepEqual([q.portlist, q.portmask], [[1], undefined]);
  for (const v of ['x', '2-1', '0,', '-1']) {
    t.is(t.throws(() => parseTestpmdArgs([`--portlist=${v}`]), { instanceOf: DpkitError })!.message,
      `Invalid fwd port list '${v}' (--portlist): expected port numbers and ranges such as 0,2-3`);
  }
});

test('--coremask gives the forwarding lcores and their number; --nb-cores after it takes fewer', (t) => {
  const p = parseTestpmdArgs(['--coremask=0x16']);
  t.deepEqual([p.fwdLcores, p.nbCores], [[1, 2, 4], 3]);
  t.deepEqual(parseTestpmdArgs(['--coremask', '100000000']).fwdLcores, [32]);
  t.is(parseTestpmdArgs(['--coremask=0x6', '--nb-cores=1']).nbCores, 1);
});

test('--mbuf-size takes one size; --max-pkt-len at least 64', (t) => {
  const p = parseTestpmdArgs(['--mbuf-size=4096', '--max-pkt-len=64']);
  t.deepEqual([p.mbufSize, p.maxPktLen], [4096, 64]);
  refused(t, ['--mbuf-size=0'], "invalid --mbuf-size '0': expected an integer from 1 to 65535");
  refused(t, ['--mbuf-size=2048,2048'], "--mbuf-size 2048,2048: several sizes (DPDK's pools for buffer split) are not supported; give one size");
  refused(t, ['--max-pkt-len=63'], 'Invalid max-pkt-len=63 - should be at least 64 (--max-pkt-len)');
});

test('--rx-offloads and --tx-offloads are hexadecimal masks; --enable-rx-cksum adds 0xe', (t) => {
  const p = parseTestpmdArgs(['--rx-offloads=0x201', '--enable-rx-cksum', '--tx-offloads', '8000']);
  t.deepEqual([p.rxOffloads, p.txOffloads], [0x20f, 0x8000]);
  t.is(t.throws(() => parseTestpmdArgs(['--rx-offloads=zz']), { instanceOf: DpkitError })!.message, "invalid --rx-offloads 'zz': expected a hexadecimal mask of at most 32 bits such as 0xe");
});

test('--rss-ip (the default), --rss-udp and --disable-rss set the hash functions asked, the last one counting', (t) => {
  t.is(parseTestpmdArgs([]).rssHf, 0xa38c);
  t.is(parseTestpmdArgs(['--rss-udp']).rssHf, 0x20820);
  t.is(parseTestpmdArgs(['--rss-udp', '--rss-ip']).rssHf, 0xa38c);
  t.is(parseTestpmdArgs(['--rss-udp', '--disable-rss']).rssHf, 0);
});
