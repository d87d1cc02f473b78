/**
 * dpkit-testpmd's output where DPDK users' scripts read it, line by line against DPDK 22.11's
 * dpdk-testpmd (the expected lines were taken from running Debian's dpdk-testpmd 22.11 on
 * `--no-pci --vdev=net_null0 --vdev=net_null1 --no-huge` with the same commands, and from
 * app/test-pmd at v22.11 for the formats).
 */
import test from 'ava';
import { prefix, runTestpmd } from './testpmd-process.js';

const NULL2 = ['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1'];

/** The lines of `out` from the echo of `command` up to the next prompt. */
function answer(out: string, command: string, nth = 0): string[] {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = out.indexOf(`testpmd> ${command}\n`, at + 1);
    if (at < 0) throw new Error(`no '${command}' echoed in:\n${out}`);
  }
  const start = at + `testpmd> ${command}\n`.length;
  const end = out.indexOf('testpmd> ', start);
  return out.slice(start, end < 0 ? undefined : end).split('\n').slice(0, -1);
}

const STREAM_HEAD = /^  ------- Forward Stats for RX Port=([ \d]\d)\/Queue=([ \d]\d) -> TX Port=([ \d]\d)\/Queue=([ \d]\d) -------$/;
const STREAM_COUNTS = /^  RX-packets: (\d+) +TX-packets: (\d+) +TX-dropped: (\d+) +$/;

/** The per-stream blocks of a forward statistics display, each line checked against DPDK's format. */
function streamBlocks(lines: string[]) {
  const blocks: { rx: string; tx: string; counts: number[]; line: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const h = STREAM_HEAD.exec(lines[i]!);
    if (!h) continue;
    const c = STREAM_COUNTS.exec(lines[i + 1]!);
    if (!c) throw new Error(`a stream block without DPDK's counts line: '${lines[i + 1]}'`);
    const counts = [Number(c[1]), Number(c[2]), Number(c[3])];
    blocks.push({ rx: `${h[1]!.trim()}/${h[2]!.trim()}`, tx: `${h[3]!.trim()}/${h[4]!.trim()}`, counts, line: lines[i + 1]! });
  }
  return blocks;
}

/** DPDK's `RX-packets: %-14 TX-packets: %-14 TX-dropped: %-14` line for these counts. */
const countsLine = ([rx, tx, dropped]: number[]) =>
  `  RX-packets: ${String(rx).padEnd(14)} TX-packets: ${String(tx).padEnd(14)} TX-dropped: ${String(dropped).padEnd(14)}`;

test('show fwd stats all and stop print per-stream blocks before the port blocks when there are more streams than ports (fwd_stats_display)', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i', '--rxq=2', '--txq=2'],
    'start\nshow fwd stats all\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  for (const [command, skip] of [['show fwd stats all', 0], ['stop', 2]] as const) {
    const lines = answer(r.stdout, command).slice(skip);
    if (command === 'stop') t.deepEqual(answer(r.stdout, command).slice(0, 2), ['Telling cores to stop...', 'Waiting for lcores to finish...']);
    // as DPDK 22.11 printed on net_null with --rxq=2 --txq=2: four streams, queue by queue
    t.deepEqual(lines[0], '', command);
    t.is(lines[1], '  ------- Forward Stats for RX Port= 0/Queue= 0 -> TX Port= 1/Queue= 0 -------', command);
    const blocks = streamBlocks(lines);
    t.deepEqual(blocks.map((b) => `${b.rx}->${b.tx}`), ['0/0->1/0', '1/0->0/0', '0/1->1/1', '1/1->0/1'], command);
    for (const b of blocks) t.is(b.line, countsLine(b.counts), `${command}: DPDK's padding, trailing spaces included`);
    // each block is a blank line, the header, the counts; the port blocks come after the last one
    t.is(lines.slice(0, 12).filter((l) => l === '').length, 4, command);
    t.is(lines[12], '');
    t.regex(lines[13]!, /^  -{22} Forward statistics for port 0  -{22}$/, command);
    // the streams that receive on a port add up to its RX-packets
    const port0 = Number(/RX-packets: (\d+)/.exec(lines[14]!)![1]);
    if (command === 'stop') t.is(blocks[0]!.counts[0]! + blocks[2]!.counts[0]!, port0);
  }
});

test('with as many streams as ports, no per-stream block is printed (DPDK prints them only for more streams than ports)', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'start\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  const lines = answer(r.stdout, 'stop');
  t.is(lines.filter((l) => l.includes('Forward Stats for RX Port')).length, 0);
  t.regex(lines[3]!, /^  -{22} Forward statistics for port 0  -{22}$/);
});
