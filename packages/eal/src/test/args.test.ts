import test from 'ava';
import { parseCoreList, parseCoreMask, parseLcoresMap } from '../args/corelist.js';
import { parseEalArgs } from '../args/eal-args.js';
import { DpkitError } from '../errors.js';

const oneLine = (t: import('ava').ExecutionContext, fn: () => unknown, re: RegExp) => {
  const err = t.throws(fn, { instanceOf: DpkitError });
  t.regex(err!.message, re);
  t.false(err!.message.includes('\n'));
};

test('core masks and lists parse as DPDK writes them', (t) => {
  t.deepEqual(parseCoreMask('0x3'), [0, 1]);
  t.deepEqual(parseCoreMask('A'), [1, 3]);
  t.deepEqual(parseCoreList('0-2,5'), [0, 1, 2, 5]);
  t.deepEqual(parseCoreList('3,1,1'), [1, 3]);
  t.deepEqual([...parseLcoresMap('0,1@1,(2-3)@(0-1)')], [[0, [0]], [1, [1]], [2, [0, 1]], [3, [0, 1]]]);
});

test('malformed core sets are one-line errors naming the option', (t) => {
  oneLine(t, () => parseCoreMask('0xZZ'), /invalid coremask '0xZZ' for -c/);
  oneLine(t, () => parseCoreMask('0'), /selects no core/);
  oneLine(t, () => parseCoreList('3-1'), /runs backwards/);
  oneLine(t, () => parseCoreList('a,b'), /invalid core list/);
  oneLine(t, () => parseLcoresMap('(0-1@2'), /unclosed parenthesis/);
  oneLine(t, () => parseLcoresMap('1,1'), /lcore 1 appears twice/);
});

test('EAL options: values, repeats and application arguments', (t) => {
  const o = parseEalArgs(['-l', '0-1', '-n', '4', '--vdev=net_null0', '--vdev', 'net_ring0', '--no-pci',
    '--log-level=pmd.net.*:debug', '--file-prefix=x', '-m', '64', '--', '-i', '--burst=64']);
  t.deepEqual([...o.lcores.keys()], [0, 1]);
  t.is(o.mainLcore, 0);
  t.is(o.memoryChannels, 4);
  t.deepEqual(o.vdevs, ['net_null0', 'net_ring0']);
  t.true(o.noPci);
  t.is(o.memoryMb, 64);
  t.deepEqual(o.appArgs, ['-i', '--burst=64']);
  t.deepEqual([...parseEalArgs(['-c0x2']).lcores.keys()], [1]);
  t.is(parseEalArgs(['-l', '0-1', '--main-lcore', '1']).mainLcore, 1);
});

test('EAL option mistakes are one clear line each', (t) => {
  oneLine(t, () => parseEalArgs(['--bogus']), /unknown EAL option '--bogus'/);
  oneLine(t, () => parseEalArgs(['-x']), /unknown EAL option '-x'/);
  oneLine(t, () => parseEalArgs(['-l', '0-4096']), /core \d+ does not exist on this machine/);
  oneLine(t, () => parseEalArgs(['-c', '0x3', '-l', '0']), /-c and -l cannot be used together/);
  oneLine(t, () => parseEalArgs(['-a', '0000:00:01.0', '-b', '0000:00:02.0']), /-a and -b cannot be used together/);
  oneLine(t, () => parseEalArgs(['-m', '64', '--socket-mem=64']), /-m and --socket-mem cannot be used together/);
  oneLine(t, () => parseEalArgs(['--no-huge', '--socket-mem=64']), /--no-huge and --socket-mem cannot be used together/);
  oneLine(t, () => parseEalArgs(['-n']), /option -n needs a value/);
  oneLine(t, () => parseEalArgs(['-n', 'four']), /invalid -n 'four'/);
  oneLine(t, () => parseEalArgs(['-l', '0', '--main-lcore', '1']), /--main-lcore 1: it is not in the core list/);
  oneLine(t, () => parseEalArgs(['--no-pci=1']), /takes no value/);
  oneLine(t, () => parseEalArgs(['stray']), /application arguments go after '--'/);
  oneLine(t, () => parseEalArgs(['--file-prefix=a/b']), /invalid --file-prefix/);
  oneLine(t, () => parseEalArgs(['--vdev=bogus:net_null0']), /invalid --vdev 'bogus:net_null0': 'bogus:' is not a bus --vdev takes; give a virtual device name such as net_null0, optionally as vdev:NAME/);
  oneLine(t, () => parseEalArgs(['--vdev=pci:net_null0,size=64']), /'pci:' is not a bus --vdev takes/);
  oneLine(t, () => parseEalArgs(['-a', 'vdev:0000:00:01.0']), /invalid -a 'vdev:0000:00:01.0': 'vdev:' is not a bus -a takes; give a PCI address/);
  oneLine(t, () => parseEalArgs(['-b', 'bogus:0000:00:01.0']), /invalid -b 'bogus:0000:00:01.0': 'bogus:' is not a bus -b takes/);
  t.deepEqual(parseEalArgs(['--vdev=vdev:net_null0', '-a', 'pci:0000:00:01.0', '-a', '0000:00:02.0']).vdevs, ['vdev:net_null0'], 'the bus of the option is accepted');
});
