import test from 'ava';
import { prefix, runTestpmd } from './testpmd-process.js';

const cases: [string, string[], RegExp, NodeJS.ProcessEnv?][] = [
  ['unknown EAL option', ['--bogus'], /unknown EAL option '--bogus'/],
  ['malformed coremask', ['-c', 'xyz'], /invalid coremask 'xyz' for -c/],
  ['core that does not exist', ['-l', '0-200'], /core \d+ does not exist on this machine/],
  ['conflicting core options', ['-c', '0x3', '-l', '0-1'], /-c and -l cannot be used together/],
  ['vdev with no driver', ['-l', '0-1', '--vdev=net_nothing0'], /no driver for vdev 'net_nothing0'/],
  ['devarg with a bad value', ['-l', '0-1', '--vdev=net_null0,size=abc'], /net_null: devarg size='abc' is not valid: expected an integer/],
  ['unknown devarg', ['-l', '0-1', '--vdev=net_null0,sise=64'], /net_null: unknown devarg 'sise' \(valid: size, copy, no-rx\)/],
  ['duplicate devarg', ['-l', '0-1', '--vdev=net_null0,size=64,size=65'], /net_null: devarg 'size' is given twice/],
  ['vdev on a bus that does not exist', ['-l', '0-1', '--vdev=bogus:net_null0'], /invalid --vdev 'bogus:net_null0': 'bogus:' is not a bus --vdev takes; give a virtual device name such as net_null0, optionally as vdev:NAME/],
  ['vdev given twice', ['-l', '0-1', '--vdev=net_null0', '--vdev=net_null0'], /vdev 'net_null0' is given twice/],
  ['bad nodeaction', ['-l', '0-1', '--vdev=net_ring0,nodeaction=x'], /nodeaction='x' is not valid/],
  ['no forwarding lcore', ['-l', '0', '--vdev=net_null0'], /Empty set of forwarding logical cores/],
  ['driver package that is not there', ['-d', 'no-such-dpkit-driver'], /-d no-such-dpkit-driver: driver package not found from the application \(.+\) nor from @dpkit\/eal \(.+\); install it as a dependency of the application, or give a path to its module/],
  ['bad testpmd option', ['-l', '0-1', '--vdev=net_null0', '--', '--burst=0'], /invalid --burst '0'/],
  ['flowgen packets shorter than their headers', ['-l', '0-1', '--vdev=net_null0', '--', '--forward-mode=flowgen', '--txpkts=42'], /flowgen needs --txpkts of at least 46 bytes \(42 for Ethernet, IPv4 and UDP headers, 4 for the FCS\); got 42/],
  ['unknown forwarding mode', ['-l', '0-1', '--vdev=net_null0', '--', '--forward-mode=warp'], /unknown forwarding mode 'warp'/],
  ['too many queues for the driver', ['-l', '0-1', '--vdev=net_ring0', '--', '--rxq=17'], /supports at most 16 rx/],
  ['AF_PACKET ring blocks not page multiples', ['-l', '0-1', '--vdev=net_af_packet0,iface=lo,blocksz=5000'], /net_af_packet0: blocksz=5000 must be a multiple of the page size \(4096\)/],
  ['AF_PACKET on a netdev that is not there', ['-l', '0-1', '--vdev=net_af_packet0,iface=nosuch0'], /net_af_packet0 \(AF_PACKET\): no netdev 'nosuch0' in this network namespace/],
  ['-m too small for the pool', ['-l', '0-1', '-m', '4', '--vdev=net_null0'], /-m allows 4\.0 MB/],
  ['DPKIT_V8_FLAGS with a flag V8 does not have', ['-l', '0-1', '--vdev=net_null0'], /DPKIT_V8_FLAGS: '--turbo-bogus' is not a V8 flag of this Node \(see `node --v8-options`; unset DPKIT_V8_FLAGS for dpkit's default, set it empty for none\)/, { DPKIT_V8_FLAGS: '--turbo-bogus' }],
];

for (const [name, args, re, env] of cases) {
  test(`${name}: one line, non-zero exit, no stack trace`, async (t) => {
    const sep = args.indexOf('--');
    const argv = sep < 0 ? [...args, prefix()] : [...args.slice(0, sep), prefix(), ...args.slice(sep)];
    const r = await runTestpmd(argv, '', 30_000, env);
    t.not(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, `stderr: ${r.stderr}`);
    t.regex(lines[0]!, re);
    t.regex(lines[0]!, /^dpkit-testpmd: /);
    t.notRegex(r.stderr + r.stdout, /\n\s+at /);
  });
}

test('-h lists the EAL options, the buses and every driver with its parameters', async (t) => {
  const r = await runTestpmd(['-h']);
  t.is(r.code, 0);
  t.regex(r.stdout, /--vdev DEVARGS/);
  t.regex(r.stdout, /vdev: net_null \(aliases: eth_null\) — size=<int> copy=<0\|1> no-rx=<0\|1>/);
  t.regex(r.stdout, /vdev: net_ring \(aliases: eth_ring\) — nodeaction=<name>:<node>:CREATE\|ATTACH/);
  t.regex(r.stdout, /--forward-mode=MODE/);
});
