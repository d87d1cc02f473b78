import { existsSync } from 'node:fs';
import test from 'ava';
import { TestpmdProcess, forwardStats, prefix, runTestpmd } from './testpmd-process.js';

test('non-interactive net_null io forwarding prints non-zero Rx-pps and exits 0 on SIGINT', async (t) => {
  const p = new TestpmdProcess(['-l', '0-1', '-n', '4', '--vdev=net_null0', prefix(), '--',
    '--forward-mode=io', '--port-topology=loop', '--stats-period=1']);
  try {
    const rates = () => [...p.stdout.matchAll(/Rx-pps:\s+(\d+)/g)].map((m) => Number(m[1]));
    await p.until(() => rates().some((r) => r > 0), 20_000, 'a non-zero Rx-pps line');
    p.child.kill('SIGINT');
    const r = await p.exit();
    t.is(r.code, 0, p.stderr);
    t.true(rates().filter((x) => x > 0).length >= 1);
    t.regex(p.stdout, /Forward statistics for port 0/);
    t.regex(p.stdout, /Bye\.\.\./);
    const f = forwardStats(p.stdout).get(0)!;
    t.true(f.rx > 0 && f.tx === f.rx, 'io forwarding on net_null sends all it receives');
    t.is(p.stderr, '');
  } finally {
    p.kill();
  }
});

test('interactive net_ring ports forward between each other and count it on both ports', async (t) => {
  const p = new TestpmdProcess(['-l', '0-1', '-n', '4', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', prefix(), '--', '-i']);
  try {
    await p.until((o) => o.includes('testpmd> '), 20_000, 'the first prompt');
    await p.command('start tx_first');
    await new Promise((r) => setTimeout(r, 300));
    const stats = await p.command('show port stats all');
    const rx = [...stats.matchAll(/RX-packets: (\d+)/g)].map((m) => Number(m[1]));
    t.is(rx.length, 2);
    t.true(rx.every((n) => n > 0), `both ports received: ${rx}`);
    const fwd = await p.command('show fwd stats all');
    t.regex(fwd, /Forward statistics for port 0/);
    t.regex(fwd, /Accumulated forward statistics for all ports/);
    const stop = await p.command('stop');
    const f = forwardStats(stop);
    for (const port of [0, 1]) {
      const s = f.get(port)!;
      t.true(s.rx > 0, `port ${port} forwarded packets`);
      // tx_first put 32 packets in flight on each port; they are in the rings, not lost
      t.true(s.tx - s.rx >= 0 && s.tx - s.rx <= 32, `port ${port}: tx ${s.tx} rx ${s.rx}`);
      t.is(s.txDropped, 0);
    }
    p.child.stdin.write('quit\n');
    const r = await p.exit();
    t.is(r.code, 0);
    t.regex(p.stdout, /Port 1 is closed\nDone\n\nBye\.\.\./);
  } finally {
    p.kill();
  }
});

test('every forwarding engine runs on net_ring ports and keeps the books', async (t) => {
  const modes = ['io', 'mac', 'macswap', '5tswap', 'rxonly', 'txonly', 'flowgen', 'icmpecho'];
  const input = modes.flatMap((m) => [`set fwd ${m}`, 'start tx_first', 'stop']).join('\n') + '\nquit\n';
  const r = await runTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', prefix(), '--', '-i'], input);
  t.is(r.code, 0, r.stderr);
  for (const m of modes) t.regex(r.stdout, new RegExp(`Set ${m} packet forwarding mode`));
  t.notRegex(r.stdout, /Command not found|Bad arguments/);
  const blocks = r.stdout.split('Accumulated forward statistics for all ports').length - 1;
  t.is(blocks, modes.length);
});

test('commands: errors are one line and the prompt comes back', async (t) => {
  const input = ['show port stats 7', 'set fwd bogus', 'port detach 0', 'frobnicate', 'set burst 0', 'show port info 0',
    'port stop 0', 'port close 0', 'port detach 0', 'port attach net_null9', 'show port info 0', 'quit'].join('\n') + '\n';
  const r = await runTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i'], input);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\nInvalid port 7\nThe valid ports array is \[ 0 \]\n/);
  t.regex(r.stdout, /unknown forwarding mode 'bogus'/);
  t.regex(r.stdout, /port detach 0\nPort not stopped\n/);
  t.regex(r.stdout, /frobnicate\nCommand not found\n/);
  t.regex(r.stdout, /invalid burst 0/);
  t.regex(r.stdout, /\nDevice is detached\n/);
  t.regex(r.stdout, /Port \d+ is attached\. Now total ports is 1/);
  t.regex(r.stdout, /Device name: net_null9/);
  t.notRegex(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
});

test('-d loads a third-party driver module by path', async (t) => {
  const path = new URL('./fixtures/sink-driver.js', import.meta.url).pathname;
  const help = await runTestpmd(['-d', path, '-h']);
  t.is(help.code, 0);
  t.regex(help.stdout, /vdev: net_sink — label=<string>/);
  const r = await runTestpmd(['-l', '0-1', '--no-pci', '-d', path, '--vdev=net_sink0,label=x', '--vdev=net_null0', prefix(), '--', '-i'],
    'show port info 0\nset fwd io\nstart\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Driver name: net_sink/);
  t.regex(r.stdout, /Devargs: label=x/);
});

test('-i: a port that fails to configure or start is reported as DPDK\'s testpmd does, and the prompt comes all the same; without -i the run fails in one line', async (t) => {
  const path = new URL('./fixtures/sink-driver.js', import.meta.url).pathname;
  const started = await runTestpmd(['-l', '0-1', '--no-pci', '-d', path, '--vdev=net_sink0,startfail=1', '--vdev=net_null0', prefix(), '--', '-i'],
    'show port info 1\nquit\n');
  t.is(started.code, 0, started.stderr);
  const lines = started.stdout.split('\n');
  t.true(lines.includes('Fail to start port 0: net_sink0: start fails on purpose (startfail=1)'), started.stdout);
  t.false(lines.includes('Start ports failed'), 'a port that fails to start does not fail the start of the others');
  t.regex(started.stdout, /^Port 1: [0-9A-F:]{17}$/m, 'the next port started');
  t.regex(started.stdout, /testpmd> [\s\S]*Device name: net_null0/, 'the prompt answered');
  const configured = await runTestpmd(['-l', '0-1', '--no-pci', '-d', path, '--vdev=net_sink0', prefix(), '--', '-i', '--rxq=5', '--txq=5'], 'quit\n');
  t.is(configured.code, 0, configured.stderr);
  t.regex(configured.stdout, /\nport 0: --rxq=5 --txq=5 asked, net_sink supports at most 4 rx and 4 tx queues\nFail to configure port 0\nStart ports failed\n/);
  t.regex(configured.stdout, /testpmd> /);
  const batch = await runTestpmd(['-l', '0-1', '--no-pci', '-d', path, '--vdev=net_sink0,startfail=1', prefix(), '--'], '\n');
  t.is(batch.code, 1);
  t.is(batch.stderr, 'dpkit-testpmd: net_sink0: start fails on purpose (startfail=1)\n');
});

const THROWING = new URL('./fixtures/throwing-driver.js', import.meta.url).pathname;
const FAILED = /lcore 1: io forwarding failed: RangeError: net_throw: rx burst on port 1 queue 0 fails on purpose; forwarding stopped on every lcore \(the ports stay started: 'start' forwards again\)\n/;

test('a forwarding lcore that throws is reported at once in one line, forwarding stops and the prompt stays usable', async (t) => {
  // lcore 1 forwards net_null0 → net_null0 and polls net_throw0, whose rx throws at its 100001st burst
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '-d', THROWING, '--vdev=net_null0', '--vdev=net_throw0,after=100000', prefix(), '--',
    '-i', '--port-topology=loop']);
  try {
    await p.until((o) => o.includes('testpmd> '), 20_000, 'the first prompt');
    const from = p.stdout.length;
    p.child.stdin.write('start\n');
    // no command is typed: the failure is reported by itself, then the statistics as stop shows them
    await p.until((o) => FAILED.test(o.slice(from)) && /Accumulated forward statistics[^]*\nDone\.\n/.test(o.slice(from)), 20_000, 'the failure report');
    const report = p.stdout.slice(from);
    t.is(report.match(/forwarding failed/g)?.length, 1);
    const fwd = forwardStats(report).get(0)!;
    t.true(fwd.rx > 0 && fwd.tx === fwd.rx, `port 0 forwarded until the failure: ${JSON.stringify(fwd)}`);
    // forwarding really stopped: the counters no longer move, and they are the ones reported
    const rxOf = (out: string) => Number(/RX-packets: (\d+)/.exec(out)?.[1]);
    const s1 = rxOf(await p.command('show port stats 0'));
    await new Promise((r) => setTimeout(r, 200));
    const s2 = rxOf(await p.command('show port stats 0'));
    t.is(s1, fwd.rx);
    t.is(s2, s1);
    t.regex(await p.command('stop'), /Packet forwarding not started/);
    // start works again (and the driver fails again, reported again)
    const again = p.stdout.length;
    p.child.stdin.write('start\n');
    await p.until((o) => FAILED.test(o.slice(again)) && /\nDone\.\n/.test(o.slice(again)), 20_000, 'the second failure report');
    t.regex(await p.command('show config fwd'), /Logical Core 1 \(socket 0\) forwards packets on 2 streams/);
    p.child.stdin.write('quit\n');
    const r = await p.exit();
    t.is(r.code, 0, p.stderr);
    t.regex(p.stdout, /Bye\.\.\./);
    t.notRegex(p.stdout + p.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    p.kill();
  }
});

// after=0: the lcore throws at its first burst, before start has returned
for (const after of [100000, 0]) {
  test(`non-interactive: a forwarding lcore that throws ends the run with its line on stderr and exit 1 (after ${after} bursts)`, async (t) => {
    const r = await runTestpmd(['-l', '0-1', '--no-pci', '-d', THROWING, '--vdev=net_null0', `--vdev=net_throw0,after=${after}`, prefix(), '--',
      '--port-topology=loop', '--stats-period=1']);
    t.is(r.code, 1);
    t.is(r.stderr, 'dpkit-testpmd: lcore 1: io forwarding failed: RangeError: net_throw: rx burst on port 1 queue 0 fails on purpose\n');
    t.regex(r.stdout, FAILED);
    if (after > 0) t.true(forwardStats(r.stdout).get(0)!.rx > 0);
    t.regex(r.stdout, /Port 1 is closed\nDone\n\nBye\.\.\./);
  });
}

test('--nb-cores splits streams as DPDK does: streams/cores each, the remainder to the last lcores; icmpecho answers on the rx port', async (t) => {
  // 2 ports x 5 queues = 10 streams on 3 forwarding lcores (all on cpu 1: nothing is started)
  const r = await runTestpmd(['--lcores=0@0,1@1,2@1,3@1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', prefix(), '--',
    '-i', '--rxq=5', '--txq=5', '--nb-cores=3'], 'show config fwd\nset fwd icmpecho\nshow config fwd\nquit\n');
  t.is(r.code, 0, r.stderr);
  const configs = r.stdout.split(/packet forwarding - ports=2 - cores=3 - streams=10/).slice(1);
  t.is(configs.length, 2);
  const layout = (text: string) => text.split('testpmd>')[0]!.split(/Logical Core /).slice(1).map((block) => {
    const [head, ...rest] = block.trim().split('\n');
    return [head!, ...rest.map((l) => /RX P=(\d)\/Q=(\d) \(socket 0\) -> TX P=(\d)\/Q=(\d)/.exec(l)?.slice(1).join('') ?? l)];
  });
  // streams queue-major (port inner) to the paired port, split 3 + 3 + 4
  t.deepEqual(layout(configs[0]!), [
    ['1 (socket 0) forwards packets on 3 streams:', '0010', '1000', '0111'],
    ['2 (socket 0) forwards packets on 3 streams:', '1101', '0212', '1202'],
    ['3 (socket 0) forwards packets on 4 streams:', '0313', '1303', '0414', '1404'],
  ]);
  // icmpecho: port-major, each stream answers on the port and queue it receives from
  t.deepEqual(layout(configs[1]!), [
    ['1 (socket 0) forwards packets on 3 streams:', '0000', '0101', '0202'],
    ['2 (socket 0) forwards packets on 3 streams:', '0303', '0404', '1010'],
    ['3 (socket 0) forwards packets on 4 streams:', '1111', '1212', '1313', '1414'],
  ]);
});

test('a forwarding lcore that throws stops the other forwarding lcores too', async (t) => {
  // lcore 1 forwards net_null0 (stream 0), lcore 2 polls net_throw0 (stream 1), both on cpu 1;
  // lcore 2 throws after enough empty bursts (some 100 ms of its share of cpu 1) that lcore 1
  // is forwarding by then, also on a loaded machine (with 100000, lcore 2 could throw before
  // lcore 1 had entered its loop)
  const p = new TestpmdProcess(['--lcores=0@0,1@1,2@1', '--no-pci', '-d', THROWING, '--vdev=net_null0', '--vdev=net_throw0,after=3000000', prefix(), '--',
    '-i', '--port-topology=loop', '--nb-cores=2']);
  try {
    await p.until((o) => o.includes('testpmd> '), 20_000, 'the first prompt');
    const from = p.stdout.length;
    p.child.stdin.write('start\n');
    await p.until((o) => /\nDone\.\n/.test(o.slice(from)), 20_000, 'the failure report');
    const report = p.stdout.slice(from);
    t.regex(report, /Logical Core 1 \(socket 0\) forwards packets on 1 streams:\n {2}RX P=0\/Q=0/);
    t.regex(report, /lcore 2: io forwarding failed: RangeError: net_throw: rx burst on port 1 queue 0 fails on purpose; forwarding stopped on every lcore/);
    const fwd = forwardStats(report).get(0)!;
    t.true(fwd.rx > 0);
    // lcore 1 stopped as well: port 0's counters stay where the report left them
    const rxOf = (out: string) => Number(/RX-packets: (\d+)/.exec(out)?.[1]);
    await new Promise((r) => setTimeout(r, 200));
    t.is(rxOf(await p.command('show port stats 0')), fwd.rx);
    p.child.stdin.write('quit\n');
    t.is((await p.exit()).code, 0, p.stderr);
  } finally {
    p.kill();
  }
});

test('an lcore that throws while another is still entering its loop is reported as a forwarding failure, with statistics', async (t) => {
  // lcore 1's rx queue (net_throw0, which never throws here) takes 1 s to build, so lcore 2
  // (net_throw1) throws at its first burst while lcore 1 is still on its way into its loop
  const p = new TestpmdProcess(['--lcores=0@0,1@1,2@1', '--no-pci', '-d', THROWING, '--vdev=net_throw0,after=1000000000,setup_ms=1000',
    '--vdev=net_throw1,after=0', prefix(), '--',
    '-i', '--port-topology=loop', '--nb-cores=2']);
  try {
    await p.until((o) => o.includes('testpmd> '), 20_000, 'the first prompt');
    const from = p.stdout.length;
    p.child.stdin.write('start\n');
    await p.until((o) => /\nDone\.\n/.test(o.slice(from)), 20_000, 'the failure report');
    const report = p.stdout.slice(from);
    t.regex(report, /lcore 2: io forwarding failed: RangeError: net_throw: rx burst on port 1 queue 0 fails on purpose; forwarding stopped on every lcore/);
    t.true(forwardStats(report).has(0), report);
    t.regex(await p.command('stop'), /Packet forwarding not started/);
    p.child.stdin.write('quit\n');
    t.is((await p.exit()).code, 0, p.stderr);
  } finally {
    p.kill();
  }
});

test('stdout closed under it (| head): one line on stderr, the ports closed, exit 1, no stack trace', async (t) => {
  const fp = prefix();
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', fp, '--', '-i']);
  // the EAL's runtime directory (root's), removed by rte_eal_cleanup once the ports are closed
  const runtime = `/var/run/dpkit/${fp.slice('--file-prefix='.length)}`;
  try {
    await p.until((out) => out.includes('testpmd> '));
    t.true(existsSync(runtime), runtime);
    p.child.stdout.destroy();
    p.child.stdin.write('show port info 0\nstart\n');
    const r = await p.exit();
    t.is(r.code, 1);
    t.is(p.stderr, 'dpkit-testpmd: stdout was closed (EPIPE); stopping forwarding, closing the ports and exiting\n');
    t.false(existsSync(runtime), 'the EAL was cleaned up: ports closed, runtime directory removed');
  } finally {
    p.kill();
  }
});
