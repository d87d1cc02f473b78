/**
 * dpkit-testpmd's statistics options (--display-xstats, --record-burst-stats,
 * --record-core-cycles), against the lines Debian's dpdk-testpmd 22.11 prints for them on
 * `--no-pci --vdev=net_null0 --no-huge`.
 */
import test from 'ava';
import { TestpmdProcess, prefix } from './testpmd-process.js';

const NULL1 = ['-l', '0-1', '--no-pci', '--vdev=net_null0'];

/** Runs `commands` in an interactive dpkit-testpmd with `opts`; returns each command's output. */
async function session(opts: string[], commands: string[]): Promise<{ outs: string[]; stdout: string }> {
  const p = new TestpmdProcess([...NULL1, prefix(), '--', '-i', ...opts]);
  try {
    await p.until((o) => o.includes('testpmd> '));
    const outs: string[] = [];
    for (const c of commands) outs.push(await p.command(c));
    p.child.stdin.write('quit\n');
    const r = await p.exit();
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${p.stderr}`);
    return { outs, stdout: p.stdout };
  } finally {
    p.kill();
  }
}

test('--display-xstats adds the named xstats under the throughput in show port stats, as DPDK\'s; a name the port lacks is named at start', async (t) => {
  const { outs, stdout } = await session(['--forward-mode=txonly', '--display-xstats=tx_good_packets,bogus_x,tx_good_bytes'],
    ['start', 'stop', 'show port stats 0']);
  t.true(stdout.includes("\nNo xstat 'bogus_x' on port 0 - skip it 1\n"), stdout);
  const lines = outs[2]!.split('\n');
  const tx = /TX-packets: (\d+)\s+TX-errors: \d+\s+TX-bytes:\s+(\d+)/.exec(outs[2]!)!;
  t.truthy(tx, outs[2]);
  t.true(Number(tx[1]) > 0);
  const at = lines.findIndex((l) => l.startsWith('  Tx-pps:'));
  t.deepEqual(lines.slice(at + 1, at + 6), [
    '',
    '                               Value            Rate (since last show)',
    `  tx_good_packets          ${tx[1]!.padStart(12)}               0`,
    `  tx_good_bytes            ${tx[2]!.padStart(12)}               0`,
    `  ${'#'.repeat(76)}`,
  ]);
});

test('without --display-xstats show port stats has no xstats lines', async (t) => {
  const { outs } = await session([], ['show port stats 0']);
  t.false(outs[0]!.includes('Rate (since last show)'), outs[0]);
});

test('--record-burst-stats: RX-bursts and TX-bursts in each port\'s forward statistics, as DPDK\'s on net_null', async (t) => {
  const { outs } = await session(['--record-burst-stats'], ['start', 'stop']);
  const stop = outs[1]!;
  const rx = Number(/Forward statistics for port 0\s+-+\n\s+RX-packets: (\d+)/.exec(stop)?.[1]);
  t.true(rx > 0, stop);
  t.true(stop.includes([
    `  TX-packets: ${String(rx).padEnd(14)} TX-dropped: 0             TX-total: ${rx}`,
    `  RX-bursts : ${rx / 32} [0% of 0 pkts + 100% of 32 pkts]`,
    `  TX-bursts : ${rx / 32} [0% of 0 pkts + 100% of 32 pkts]`,
    `  ${'-'.repeat(76)}`,
  ].join('\n')), stop);
  const plain = await session([], ['start', 'stop']);
  t.false(plain.outs[1]!.includes('-bursts :'), plain.outs[1]);
});

test('--record-core-cycles is accepted and says in one line that no cycles are counted; no CPU cycles line is made up', async (t) => {
  const { outs, stdout } = await session(['--record-core-cycles', '--record-core-cycles'], ['start', 'stop']);
  const line = '--record-core-cycles: dpkit has no TSC to count CPU cycles per packet with (JavaScript has no cycle counter, and timing each burst would allocate), so no CPU cycles/packet line is printed; accepted, no effect';
  t.is(stdout.split('\n').filter((l) => l === line).length, 1, stdout);
  t.false(outs[1]!.includes('CPU cycles/packet'), outs[1]);
});
