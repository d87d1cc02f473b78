import test from 'ava';
import { DpkitError } from '@dpkit/eal';
import { parseTestpmdArgs } from '../params.js';

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
