/**
 * dpkit-testpmd's options from DPDK 22.11's run_app.rst, against Debian's dpdk-testpmd 22.11
 * run on `--no-pci --vdev=net_null0..3 --no-huge` with the same options (the expected lines
 * were taken from that run).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { forwardStats, prefix, runTestpmd } from './testpmd-process.js';

const NULL4 = ['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1', '--vdev=net_null2', '--vdev=net_null3'];

/** The lines of `out` from the echo of `command` up to the next prompt. */
function answer(out: string, command: string): string[] {
  const at = out.indexOf(`testpmd> ${command}\n`);
  if (at < 0) throw new Error(`no '${command}' echoed in:\n${out}`);
  const start = at + `testpmd> ${command}\n`.length;
  const end = out.indexOf('testpmd> ', start);
  return out.slice(start, end < 0 ? undefined : end).split('\n').slice(0, -1);
}

const streams = (out: string) => answer(out, 'show config fwd').filter((l) => l.startsWith('  RX P='));

test('--portlist=0,2-3 forwards on ports 0, 2 and 3 in that order, as DPDK\'s', async (t) => {
  const r = await runTestpmd([...NULL4, prefix(), '--', '-i', '--portlist=0,2-3'], 'show config fwd\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('Interactive-mode selected\nprevious number of forwarding ports 4 - changed to number of configured ports 3\n'), r.stdout);
  t.is(answer(r.stdout, 'show config fwd')[0], 'io packet forwarding - ports=3 - cores=1 - streams=3 - NUMA support disabled, MP allocation mode: native');
  t.deepEqual(streams(r.stdout), [
    '  RX P=0/Q=0 (socket 0) -> TX P=2/Q=0 (socket 0) peer=02:00:00:00:00:02',
    '  RX P=2/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00',
    '  RX P=3/Q=0 (socket 0) -> TX P=3/Q=0 (socket 0) peer=02:00:00:00:00:03',
  ]);
});

test('--portlist keeps its order, drops ports that are not there and repeats; a bad list is one line and exit 1', async (t) => {
  const r = await runTestpmd([...NULL4, prefix(), '--', '-i', '--portlist=1,0,1,9'], 'show config fwd\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(streams(r.stdout), [
    '  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00',
    '  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01',
  ]);
  const bad = await runTestpmd([...NULL4, prefix(), '--', '-i', '--portlist=x'], 'quit\n');
  t.is(bad.code, 1);
  t.is(bad.stderr.trim(), "dpkit-testpmd: Invalid fwd port list 'x' (--portlist): expected port numbers and ranges such as 0,2-3");
});

test('--eth-peers-configfile sets the peers show config fwd prints; options without effect say so once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'peers-'));
  try {
    writeFileSync(join(dir, 'peers'), '02:00:00:00:00:AA\n02:00:00:00:00:BB\n');
    const r = await runTestpmd([...NULL4.slice(0, 5), prefix(), '--', '-i', '--forward-mode=mac', `--eth-peers-configfile=${join(dir, 'peers')}`, '--numa', '--no-flush-rx', '--numa'],
      'show config fwd\nquit\n');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(streams(r.stdout), [
      '  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:BB',
      '  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:AA',
    ]);
    t.true(r.stdout.startsWith([
      'Interactive-mode selected',
      'Set mac packet forwarding mode',
      '--numa: dpkit does not place memory per NUMA socket (show config fwd says NUMA support disabled); accepted, no effect',
      '--no-flush-rx: dpkit-testpmd does not flush rx queues before forwarding; accepted, no effect',
      'testpmd: create a new mbuf pool',
    ].join('\n')), r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--coremask picks the forwarding lcores (lcore 2 and 3 of four), and they forward; the main lcore, an lcore not enabled and a bad mask are one line each', async (t) => {
  const LCORES4 = ['--lcores=(0-3)@0', '--no-pci', '--vdev=net_null0', '--vdev=net_null1'];
  const r = await runTestpmd([...LCORES4, prefix(), '--', '-i', '--coremask=0x4'], 'show config fwd\nstart\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(answer(r.stdout, 'show config fwd').slice(0, 2), [
    'io packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native',
    'Logical Core 2 (socket 0) forwards packets on 2 streams:',
  ]);
  const rx = [...forwardStats(r.stdout).values()].map((s) => s.rx);
  t.true(rx.length === 2 && rx.every((n) => n > 0), r.stdout);
  const two = await runTestpmd([...LCORES4, prefix(), '--', '-i', '--coremask=0xc'], 'show config fwd\nquit\n');
  t.deepEqual(answer(two.stdout, 'show config fwd').filter((l) => l.startsWith('Logical Core')), [
    'Logical Core 2 (socket 0) forwards packets on 1 streams:',
    'Logical Core 3 (socket 0) forwards packets on 1 streams:',
  ]);
  for (const [mask, line] of [
    ['0x1', 'coremask is not valid: lcore 0 cannot be masked on for running packet forwarding, which is the main lcore and reserved for command line parsing only'],
    ['0x10', "coremask is not valid: lcore 4 not enabled (the EAL's lcores: 0,1,2,3)"],
    ['0', 'coremask is not valid: Invalid NULL mask of cores (--coremask 0)'],
    ['zz', "Invalid fwd core mask 'zz' (--coremask): expected a hexadecimal mask such as 0x6"],
  ] as const) {
    const bad = await runTestpmd([...LCORES4, prefix(), '--', '-i', `--coremask=${mask}`], 'quit\n');
    t.is(bad.code, 1, mask);
    t.is(bad.stderr.trim(), `dpkit-testpmd: ${line}`);
  }
});

test('--cmdline-file runs its commands after the ports start and before the prompt, unechoed; a failing one says so and the next runs; quit ends the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cmds-'));
  try {
    const file = join(dir, 'cmds');
    writeFileSync(file, 'bogus cmd\nset fwd mac\nshow config fwd\nquit\nset fwd rxonly\n');
    const r = await runTestpmd([...NULL4.slice(0, 5), prefix(), '--', '-i', `--cmdline-file=${file}`], 'show config fwd\nquit\n');
    t.is(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    t.deepEqual(lines.slice(0, 2), ['Interactive-mode selected', `CLI commands to be read from ${file}`]);
    const from = lines.indexOf('Done') + 1;
    t.deepEqual(lines.slice(from, from + 7), [
      'Command not found',
      'Set mac packet forwarding mode',
      'mac packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native',
      'Logical Core 1 (socket 0) forwards packets on 2 streams:',
      '  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01',
      '  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00',
      '',
    ]);
    t.is(lines[from + 7], `Read CLI commands from ${file}`);
    t.true(answer(r.stdout, 'show config fwd')[0]!.startsWith('mac packet forwarding'), 'the file stopped at quit: rxonly was not set');
    // without -i, the file runs before forwarding starts
    writeFileSync(file, 'set fwd rxonly\n');
    const n = await runTestpmd([...NULL4.slice(0, 5), prefix(), '--', `--cmdline-file=${file}`], '\n');
    t.is(n.code, 0, n.stderr);
    t.true(n.stdout.includes(`Set rxonly packet forwarding mode\nRead CLI commands from ${file}\nNo commandline core given, start packet forwarding\nrxonly packet forwarding`), n.stdout);
    const bad = await runTestpmd([...NULL4.slice(0, 5), prefix(), '--', `--cmdline-file=${join(dir, 'none')}`]);
    t.is(bad.code, 1);
    t.is(bad.stderr.trim(), `dpkit-testpmd: --cmdline-file: cannot read ${join(dir, 'none')}: ENOENT`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mbuf-size sizes the pool\'s buffers and --max-pkt-len sets the ports\' MTU to it minus 18, as DPDK\'s', async (t) => {
  const r = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i', '--mbuf-size=4096', '--max-pkt-len=9000'], 'show port info 0\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('testpmd: create a new mbuf pool <mb_pool_0>: n=8192, size=4096, socket=0\n'), r.stdout);
  t.true(answer(r.stdout, 'show port info 0').includes('MTU: 8982'), r.stdout);
  // an MTU the driver does not take is its line, as any configure failure
  const big = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '--max-pkt-len=9100'], '\n');
  t.is(big.code, 1);
  t.is(big.stderr.trim(), 'dpkit-testpmd: port 0 (net_null0): MTU 9082 is out of range: net_null takes 68 to 9000');
});

test('--enable-rx-cksum, --rx-offloads and --tx-offloads configure the ports with them: a driver without them refuses, as DPDK\'s net_null does', async (t) => {
  const r = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i', '--enable-rx-cksum'], 'quit\n');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('Configuring Port 0 (socket 0)\nport 0 (net_null0): rx offloads 0xe are not supported by net_null (capabilities 0x0)\nFail to configure port 0\nStart ports failed\n'), r.stdout);
  const tx = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '--tx-offloads=0x10000'], '\n');
  t.is(tx.code, 1);
  t.is(tx.stderr.trim(), 'dpkit-testpmd: port 0 (net_null0): tx offloads 0x10000 are not supported by net_null (capabilities 0x0)');
  const none = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i', '--rx-offloads=0', '--tx-offloads=0x0'], 'quit\n');
  t.is(none.code, 0, none.stderr);
  t.false(none.stdout.includes('Fail to configure'), none.stdout);
});

test('--flow-isolate-all isolates each port before it is configured; a port that takes no rules fails to start, as DPDK\'s', async (t) => {
  const flowtab = ['-l', '0-1', '--no-pci', '-d', new URL('./fixtures/flow-table-driver.js', import.meta.url).pathname, '--vdev=net_flowtab0'];
  const r = await runTestpmd([...flowtab, prefix(), '--', '-i', '--flow-isolate-all'], 'quit\n');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('Ingress traffic on port 0 is now restricted to the defined flow rules\nConfiguring Port 0 (socket 0)\n'), r.stdout);
  const n = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i', '--flow-isolate-all'], 'quit\n');
  t.true(n.stdout.includes('Failed to apply isolated mode on port 0: port 0 (net_null0): net_null takes no flow rules (rte_flow)\nFail to configure port 0\nStart ports failed\n'), n.stdout);
});

test('--disable-link-check leaves out the link check (its line) after the ports start, as DPDK\'s', async (t) => {
  const on = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i'], 'quit\n');
  t.regex(on.stdout, /\nPort 0: [0-9A-F:]{17}\nChecking link statuses\.\.\.\nDone\ntestpmd> /);
  const off = await runTestpmd([...NULL4.slice(0, 4), prefix(), '--', '-i', '--disable-link-check'], 'quit\n');
  t.is(off.code, 0, off.stderr);
  t.regex(off.stdout, /\nPort 0: [0-9A-F:]{17}\nDone\ntestpmd> /);
  t.false(off.stdout.includes('Checking link statuses'));
});
