/**
 * Issue 12 §3 and the rest of §4's `set` commands, end to end against DPDK 22.11's dpdk-testpmd:
 * the csum engine and its commands, `set fwd MODE retry`, flowgen's flows lines, noisy, and
 * `set portlist|corelist|coremask`. The expected lines were taken from Debian's dpdk-testpmd
 * 22.11 run with `--no-huge --no-pci --vdev=net_null0 --vdev=net_null1 -l 0-1 -- -i` and the
 * same commands. The forwarding lcore of each new path collects no garbage (DPKIT_REPORT_GC).
 */
import test, { type ExecutionContext } from 'ava';
import { TestpmdProcess, runTestpmd, prefix } from './testpmd-process.js';
import { forwardingGarbage, noForwardingGarbage } from './gc-line.js';

const NULL2 = ['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1'];

/** The lines each command printed, in order: the text between its echo and the next prompt. */
function replies(out: string): { cmd: string; lines: string[] }[] {
  return out.split('testpmd> ').slice(1).map((chunk) => {
    const lines = chunk.split('\n');
    return { cmd: lines[0]!, lines: lines.slice(1, -1) };
  });
}

const SHOW_SW = ['Parse tunnel is off', 'IP checksum offload is sw', 'UDP checksum offload is sw', 'TCP checksum offload is sw',
  'SCTP checksum offload is sw', 'Outer-Ip checksum offload is sw', 'Outer-Udp checksum offload is sw'];
const STREAMS_01 = ['Logical Core 1 (socket 0) forwards packets on 2 streams:', '  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01',
  '  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00', ''];

/** [command, DPDK 22.11's answer] */
const SCRIPT: [string, string[]][] = [
  ['set fwd csum', ['Set csum packet forwarding mode']],
  ['csum show 0', ['Please stop port 0 first']],
  ['csum set ip sw 0', ['Please stop port 0 first']],
  ['csum show 5', ['Invalid port 5', 'invalid port 5']],
  ['csum set ip sw 5', ['Invalid port 5', 'invalid port 5']],
  ['csum set ip maybe 0', ['Bad arguments']],
  ['port stop 0', ['Stopping ports...', 'Checking link statuses...', 'Done']],
  ['csum show 0', SHOW_SW],
  // net_null has no tx checksum offloads: hw is refused in one line, as DPDK's answer for such a port
  ['csum set ip hw 0', ['IP checksum offload is not supported by port 0', ...SHOW_SW]],
  ['csum set udp hw 0', ['UDP checksum offload is not supported by port 0', ...SHOW_SW]],
  ['csum set outer-ip hw 0', ['Outer IP checksum offload is not supported by port 0', ...SHOW_SW]],
  ['csum set tcp sw 0', SHOW_SW],
  ['port start 0', ['Configuring Port 0 (socket 0)', 'Port 0: MAC0', 'Checking link statuses...', 'Done']],
  ['set fwd io retry', ['Set io packet forwarding mode with retry']],
  ['set fwd rxonly retry', ['Bad arguments']],
  ['show config fwd', ['io packet forwarding with retry - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native',
    'TX retry num: 64, delay between TX retries: 1us', ...STREAMS_01]],
  ['set burst tx delay 5 retry 10', []],
  ['set burst tx delay 5 retry', ['Bad arguments']],
  ['show config fwd', ['io packet forwarding with retry - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native',
    'TX retry num: 10, delay between TX retries: 5us', ...STREAMS_01]],
  ['set fwd txonly retry', ['Set txonly packet forwarding mode with retry']],
  ['show config rxtx', ['  txonly packet forwarding with retry packets/burst=32', '  packet len=64 - nb packet segments=1', '  nb forwarding cores=1 - nb forwarding ports=2',
    ...[0, 1].flatMap((p) => [`  port ${p}: RX queue number: 1 Tx queue number: 1`, '    Rx offloads=0x0 Tx offloads=0x0', '    RX queue: 0',
      '      RX desc=0 - RX free threshold=0', '      RX threshold registers: pthresh=0 hthresh=0  wthresh=0', '      RX Offloads=0x0',
      '    TX queue: 0', '      TX desc=0 - TX free threshold=0', '      TX threshold registers: pthresh=0 hthresh=0  wthresh=0',
      '      TX offloads=0x0 - TX RS bit threshold=0'])]],
  ['set fwd io', ['Set io packet forwarding mode']],
  ['show config fwd', ['io packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native', ...STREAMS_01]],
  ['set portlist 5', ['Invalid port 5']],
  ['set portlist 0,0', ['duplicated port 0 at index 0 and 1']],
  ['set portlist x', ['character x is not a decimal digit']],
  ['set portlist ,1', ['No valid value before comma']],
  ['set portlist 1,0', []],
  ['show config fwd', ['io packet forwarding - ports=2 - cores=1 - streams=2 - NUMA support disabled, MP allocation mode: native',
    'Logical Core 1 (socket 0) forwards packets on 2 streams:', '  RX P=1/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:00',
    '  RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:00:01', '']],
  ['set portlist 1', ['previous number of forwarding ports 2 - changed to number of configured ports 1']],
  ['set portlist 0,1', ['previous number of forwarding ports 1 - changed to number of configured ports 2']],
  ['set corelist 1', []],
  ['set corelist 0', ['lcore 0 cannot be masked on for running packet forwarding, which is the main lcore and reserved for command line parsing only']],
  ['set corelist 5', ['lcore 5 not enabled']],
  ['set corelist 1,1', ['duplicated core 1 at index 0 and 1']],
  ['set coremask 0x2', []],
  ['set coremask 0x1', ['lcore 0 cannot be masked on for running packet forwarding, which is the main lcore and reserved for command line parsing only']],
  ['set coremask 0x4', ['lcore 2 not enabled']],
  ['set coremask 0', ['Invalid NULL mask of cores']],
  ['show config cores', ['List of forwarding lcores:  1']],
];

test('csum, retry and the list/mask commands answer as DPDK 22.11 testpmd does, line by line', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], SCRIPT.map(([c]) => c).join('\n') + '\nquit\n');
  t.is(r.code, 0, r.stderr);
  const mac0 = /^Port 0: (\S+)$/m.exec(r.stdout)?.[1];
  t.truthy(mac0, r.stdout);
  const got = replies(r.stdout);
  SCRIPT.forEach(([cmd, want], i) => {
    t.is(got[i]?.cmd, cmd);
    t.deepEqual(got[i]?.lines, want.map((l) => l.replace('MAC0', mac0!)), cmd);
  });
});

/** Starts, lets `until` hold of `show port stats 0` (bounded), stops; returns the start and stop output. */
async function forwardAndStop(args: string[], until: (stats: string) => boolean, setup: string[] = [], startCmd = 'start') {
  const p = new TestpmdProcess(args);
  try {
    await p.until((o) => o.includes('testpmd> '), 20_000, 'the prompt');
    for (const c of setup) await p.command(c);
    const start = await p.command(startCmd);
    for (let i = 0; i < 600 && !until(await p.command('show port stats 0')); i++) await new Promise((r) => setTimeout(r, 100));
    const stop = await p.command('stop');
    p.child.stdin.end('quit\n');
    await p.exit();
    return { start, stop };
  } finally {
    p.kill();
  }
}

const received = (n: number) => (stats: string) => Number(/RX-packets: (\d+)/.exec(stats)?.[1] ?? 0) > n;

test('csum forwarding shows DPDK\'s Bad-ipcsum/Bad-l4csum lines in each port block, and its per-stream lines with more streams than ports', async (t) => {
  const { stop } = await forwardAndStop([...NULL2, prefix(), '--', '-i', '--forward-mode=csum', '--rxq=2', '--txq=2'], received(0));
  const lines = stop.split('\n');
  // net_null's packets are zeros: no IP to check, every count 0
  const at = lines.findIndex((l) => l.includes('Forward statistics for port 0'));
  t.regex(lines[at + 1]!, /^ {2}RX-packets: \d+ +RX-dropped: 0 +RX-total: \d+$/);
  t.is(lines[at + 2], '  Bad-ipcsum: 0              Bad-l4csum: 0             Bad-outer-l4csum: 0             ');
  t.is(lines[at + 3], '  Bad-outer-ipcsum: 0             ');
  t.regex(lines[at + 4]!, /^ {2}TX-packets: /);
  const s = lines.findIndex((l) => l.includes('Forward Stats for RX Port= 0/Queue= 0 -> TX Port= 1/Queue= 0'));
  t.true(s > 0, stop);
  t.regex(lines[s + 1]!, /^ {2}RX-packets: \d+ +TX-packets: \d+ +TX-dropped: 0 {13} {2}RX- bad IP checksum: 0 {15}Rx- bad L4 checksum: 0 {14}Rx- bad outer L4 checksum: 0 {13}$/);
  t.is(lines[s + 2], ' RX- bad outer IP checksum: 0             ');
});

test('flowgen prints DPDK\'s number of flows line for each forwarding port at start, after the forwarding configuration', async (t) => {
  const { start } = await forwardAndStop([...NULL2, prefix(), '--', '-i', '--forward-mode=flowgen', '--flowgen-flows=100'], () => true);
  const lines = start.split('\n');
  const at = lines.indexOf('  number of flows for port 0: 100');
  t.true(at > 0, start);
  t.is(lines[at - 1], '', 'after show config fwd\'s blank line');
  t.is(lines[at + 1], '  number of flows for port 1: 100');
  t.is(lines[at + 2], '  flowgen packet forwarding packets/burst=32');
});

test('noisy with a FIFO smaller than a burst counts what it cannot hold in TX-dropped: received = sent + dropped after stop', async (t) => {
  const { stop } = await forwardAndStop([...NULL2, prefix(), '--', '-i', '--forward-mode=noisy', '--noisy-tx-sw-buffer-size=16', '--port-topology=loop'], received(10_000));
  const acc = /Accumulated forward statistics[^\n]*\n\s+RX-packets: (\d+)\s+RX-dropped: \d+\s+RX-total: \d+\n\s+TX-packets: (\d+)\s+TX-dropped: (\d+)/.exec(stop);
  t.truthy(acc, stop);
  const [rx, tx, dropped] = acc!.slice(1).map(Number);
  t.true(dropped! > 0, 'a 16-slot FIFO cannot hold 32-packet bursts');
  t.is(tx! + dropped!, rx!, 'every packet received was sent or counted');
});

test('noisy refuses a FIFO size that is not a power of 2 when forwarding starts, in one line, and forwards nothing', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i', '--forward-mode=noisy', '--noisy-tx-sw-buffer-size=1000'], 'start\nquit\n');
  t.is(r.code, 0, r.stderr);
  const start = replies(r.stdout).find((x) => x.cmd === 'start')!;
  t.is(start.lines.at(-1), 'noisy: --noisy-tx-sw-buffer-size=1000 is not a power of 2 (the FIFO is a ring of a power of 2 slots, as DPDK\'s rte_ring; it holds size - 1 packets): give 1024, say');
  t.false(start.lines.some((l) => l.includes('packets/burst')), 'forwarding did not start');
});

// ---- no garbage on the forwarding lcore -------------------------------------------------------

const WARMUP_ITERATIONS = 2 * 65536;

/** Forwards with DPKIT_REPORT_GC=1 well past the loop's warm-up, stops, and checks the forwarding lcore collected no garbage. */
async function noGarbage(t: ExecutionContext, args: string[], until: (stats: string) => boolean, setup: string[] = [], startCmd = 'start'): Promise<string> {
  const prev = process.env.DPKIT_REPORT_GC;
  process.env.DPKIT_REPORT_GC = '1';
  let out: { stop: string };
  try {
    out = await forwardAndStop([...args, '--port-topology=loop'], until, setup, startCmd);
  } finally {
    process.env.DPKIT_REPORT_GC = prev;
  }
  const gc = forwardingGarbage(out.stop);
  t.truthy(gc, out.stop);
  t.true(gc!.iterations > WARMUP_ITERATIONS + 65536, `65536 iterations past the warm-up: ${gc!.iterations}`);
  t.true(noForwardingGarbage(gc), out.stop);
  return out.stop;
}

// well past the warm-up's packets: 4 chunks of 65536 bursts of 32
const PAST_WARMUP = 4 * 65536 * 32;

test('csum forwarding UDP/IPv4 packets (net_ring, start tx_first) collects no garbage on the forwarding lcore', async (t) => {
  const stop = await noGarbage(t, ['-l', '0-1', '--no-pci', '--vdev=net_ring0', prefix(), '--', '-i', '--forward-mode=csum'], received(PAST_WARMUP), [], 'start tx_first');
  t.regex(stop, /Bad-ipcsum: 0 /);
});

test('noisy with a FIFO and memory lookups collects no garbage on the forwarding lcore', async (t) => {
  await noGarbage(t, ['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i', '--forward-mode=noisy', '--noisy-tx-sw-buffer-size=1024',
    '--noisy-tx-sw-buffer-flushtime=1', '--noisy-lkup-memory=1', '--noisy-lkup-num-writes=2', '--noisy-lkup-num-reads=2', '--noisy-lkup-num-reads-writes=2'], received(PAST_WARMUP));
});

test('txonly retry on a full net_ring (every burst retried and dropped) collects no garbage on the forwarding lcore', async (t) => {
  const stop = await noGarbage(t, ['-l', '0-1', '--no-pci', '--vdev=net_ring0', prefix(), '--', '-i', '--burst-tx-retry-num=1', '--burst-tx-delay-time=1'],
    // each iteration: a refused burst and its one refused retry, 64 tx errors
    (stats) => Number(/TX-errors: (\d+)/.exec(stats)?.[1] ?? 0) > 2 * PAST_WARMUP, ['set fwd txonly retry']);
  t.regex(stop, /TX-dropped: [1-9]/);
});
