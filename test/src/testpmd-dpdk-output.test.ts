/**
 * dpkit-testpmd's output where DPDK users' scripts read it, line by line against DPDK 22.11's
 * dpdk-testpmd (the expected lines were taken from running Debian's dpdk-testpmd 22.11 on
 * `--no-pci --vdev=net_null0 --vdev=net_null1 --no-huge` with the same commands, and from
 * app/test-pmd at v22.11 for the formats).
 */
import test, { type ExecutionContext } from 'ava';
import { TestpmdProcess, prefix, runTestpmd } from './testpmd-process.js';

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

/** Checks a forward statistics display with four streams on two ports, line by line. */
function checkFourStreams(t: ExecutionContext, lines: string[], what: string): number[][] {
  // as DPDK 22.11 printed on net_null with --rxq=2 --txq=2: four streams, queue by queue
  t.is(lines[0], '', what);
  t.is(lines[1], '  ------- Forward Stats for RX Port= 0/Queue= 0 -> TX Port= 1/Queue= 0 -------', what);
  const blocks = streamBlocks(lines);
  t.deepEqual(blocks.map((b) => `${b.rx}->${b.tx}`), ['0/0->1/0', '1/0->0/0', '0/1->1/1', '1/1->0/1'], what);
  for (const b of blocks) t.is(b.line, countsLine(b.counts), `${what}: DPDK's padding, trailing spaces included`);
  // each block is a blank line, the header, the counts; the port blocks come after the last one
  t.is(lines.slice(0, 12).filter((l) => l === '').length, 4, what);
  t.is(lines[12], '', what);
  t.regex(lines[13]!, /^  -{22} Forward statistics for port 0  -{22}$/, what);
  return blocks.map((b) => b.counts);
}

test('show fwd stats all and stop print per-stream blocks before the port blocks when there are more streams than ports (fwd_stats_display)', async (t) => {
  const p = new TestpmdProcess([...NULL2, prefix(), '--', '-i', '--rxq=2', '--txq=2']);
  try {
    await p.until((out) => out.includes('testpmd> '));
    await p.command('start');
    // a stream that has seen nothing yet is left out, as DPDK's: ask until each has received
    let shown: string[] = [];
    for (let i = 0; i < 200 && streamBlocks(shown).length < 4; i++) shown = (await p.command('show fwd stats all')).split('\n').slice(1, -1);
    checkFourStreams(t, shown, 'show fwd stats all');
    const stopped = (await p.command('stop')).split('\n').slice(1, -1);
    t.deepEqual(stopped.slice(0, 2), ['Telling cores to stop...', 'Waiting for lcores to finish...']);
    const counts = checkFourStreams(t, stopped.slice(2), 'stop');
    // the streams that receive on port 0 add up to its RX-packets
    t.is(counts[0]![0]! + counts[2]![0]!, Number(/RX-packets: (\d+)/.exec(stopped[2 + 14]!)![1]));
    p.child.stdin.end('quit\n');
    t.is((await p.exit()).code, 0, p.stderr);
  } finally {
    p.kill();
  }
});

test('a stream that saw no packet has no block (fwd_stream_stats_display)', async (t) => {
  // net_ring ports with nothing sent: four streams, none receives
  const r = await runTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', prefix(), '--', '-i', '--rxq=2', '--txq=2'],
    'start\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, / - streams=4 - /);
  const lines = answer(r.stdout, 'stop');
  t.is(streamBlocks(lines).length, 0);
  t.regex(lines[3]!, /^  -{22} Forward statistics for port 0  -{22}$/);
});

test('with as many streams as ports, no per-stream block is printed (DPDK prints them only for more streams than ports)', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'start\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  const lines = answer(r.stdout, 'stop');
  t.is(lines.filter((l) => l.includes('Forward Stats for RX Port')).length, 0);
  t.regex(lines[3]!, /^  -{22} Forward statistics for port 0  -{22}$/);
});

test('port close releases the port as DPDK does: a started port is refused, a closed one is gone from every port list', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    ['port close 0', 'port stop 0', 'port close 0', 'show port stats all', 'show port info 0', 'port close 0', 'port start 0',
      'show config fwd', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // DPDK 22.11: rte_eth_dev_close refuses a started port; testpmd's close event prints `Port N is closed`
  t.deepEqual(answer(r.stdout, 'port close 0'), ['Closing ports...', 'Cannot close started device (port 0)', 'Done']);
  t.deepEqual(answer(r.stdout, 'port close 0', 1), ['Closing ports...', 'Port 0 is closed', 'Done']);
  const stats = answer(r.stdout, 'show port stats all');
  t.deepEqual(stats.filter((l) => l.includes('NIC statistics for port')), ['  ######################## NIC statistics for port 1  ########################']);
  t.deepEqual(answer(r.stdout, 'show port info 0'), ['Invalid port 0', 'The valid ports array is [ 1 ]']);
  t.deepEqual(answer(r.stdout, 'port close 0', 2), ['Invalid port 0']);
  t.deepEqual(answer(r.stdout, 'port start 0'), ['Invalid port 0']);
  t.regex(answer(r.stdout, 'show config fwd')[0]!, /^io packet forwarding - ports=1 - /, 'a closed port does not forward');
  t.notRegex(r.stdout, /Shutting down port 0/, 'quit does not close it again');
});

test('port detach works on a stopped port as DPDK\'s: Port was not closed, the close, Device is detached', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    ['port detach 0', 'port stop 0', 'port detach 0', 'show port info 0', 'port detach 3', 'port stop 1', 'port close 1', 'port detach 1',
      'port attach net_null0', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // DPDK 22.11 on net_null, line for line
  t.deepEqual(answer(r.stdout, 'port detach 0'), ['Port not stopped']);
  t.deepEqual(answer(r.stdout, 'port detach 0', 1),
    ['Port was not closed', 'Removing a device...', 'Port 0 is closed', 'Device is detached', 'Now total ports is 1', 'Done']);
  t.deepEqual(answer(r.stdout, 'show port info 0'), ['Invalid port 0', 'The valid ports array is [ 1 ]']);
  t.deepEqual(answer(r.stdout, 'port detach 3'), ['Invalid port_id=3']);
  // dpkit: a closed port can still be detached (DPDK needs `device detach` then), so its device can be attached again
  t.deepEqual(answer(r.stdout, 'port detach 1'), ['Removing a device...', 'Device is detached', 'Now total ports is 0', 'Done']);
  t.regex(answer(r.stdout, 'port attach net_null0').join('\n'), /^Attaching a new port\.\.\.\n(?:.*\n)*Port \d+ is attached\. Now total ports is 1\nDone$/);
});

test('port stop and port start print what DPDK\'s stop_port and start_port print, forwarding or not', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    ['port stop 0', 'port stop 0', 'port start 0', 'port start 1', 'port stop 7', 'start', 'port stop 1', 'port close all', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // DPDK 22.11 on net_null, line for line
  t.deepEqual(answer(r.stdout, 'port stop 0'), ['Stopping ports...', 'Checking link statuses...', 'Done']);
  t.deepEqual(answer(r.stdout, 'port stop 0', 1), ['Stopping ports...', 'Done'], 'nothing stopped: no link check');
  const restart = answer(r.stdout, 'port start 0');
  t.is(restart.length, 3);
  t.regex(restart[0]!, /^Port 0: [0-9A-F]{2}(?::[0-9A-F]{2}){5}$/);
  t.deepEqual(restart.slice(1), ['Checking link statuses...', 'Done']);
  t.deepEqual(answer(r.stdout, 'port start 1'), ['Port 1 is now not stopped', 'Please stop the ports first', 'Done']);
  t.deepEqual(answer(r.stdout, 'port stop 7'), ['Invalid port 7']);
  t.deepEqual(answer(r.stdout, 'port stop 1'), ['Stopping ports...', 'Please remove port 1 from forwarding configuration.', 'Done']);
  t.deepEqual(answer(r.stdout, 'port close all'),
    ['Closing ports...', 'Please remove port 0 from forwarding configuration.', 'Please remove port 1 from forwarding configuration.', 'Done']);
});

test('the parameters print what DPDK\'s parsing prints, in argument order and first; -a says Start automatic packet forwarding', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i', '-a', '--forward-mode=mac'], 'stop\nquit\n');
  t.is(r.code, 0, r.stderr);
  // DPDK 22.11, `-- -i -a --forward-mode=mac`: these three come before the mbuf pool line
  t.deepEqual(r.stdout.split('\n').slice(0, 4),
    ['Interactive-mode selected', 'Auto-start selected', 'Set mac packet forwarding mode', 'testpmd: create a new mbuf pool <mb_pool_0>: n=10216, size=2176, socket=0']);
  t.regex(r.stdout, /\nChecking link statuses\.\.\.\nDone\nStart automatic packet forwarding\nmac packet forwarding - ports=2 - /);
  const swapped = await runTestpmd([...NULL2, prefix(), '--', '-a', '-i'], 'quit\n');
  t.deepEqual(swapped.stdout.split('\n').slice(0, 2), ['Auto-start selected', 'Interactive-mode selected']);
  t.is(r.stdout.split('Interactive-mode selected').length, 2, 'said once');
});

test('--stats-period shows the forwarding ports only, as DPDK\'s', async (t) => {
  const p = new TestpmdProcess([...NULL2, prefix(), '--', '--stats-period=1', '--portmask=0x2']);
  try {
    await p.until((out) => out.split('Port statistics ====').length > 2, 20_000, 'two periodic displays');
    p.child.kill('SIGINT');
    t.is((await p.exit()).code, 0, p.stderr);
    const shows = p.stdout.split('\x1b[2J\x1b[1;1H\nPort statistics ====================================\n').slice(1, 3);
    for (const show of shows) {
      const heads = show.split('\n').filter((l) => l.includes('NIC statistics for port'));
      t.deepEqual(heads, ['  ######################## NIC statistics for port 1  ########################']);
      t.true(show.startsWith('  ######################## NIC statistics for port 1 '), 'no blank line after the title, as DPDK\'s');
    }
  } finally {
    p.kill();
  }
});

const FLOWTAB = ['-l', '0-1', '--no-pci', '-d', new URL('./fixtures/flow-table-driver.js', import.meta.url).pathname, '--vdev=net_flowtab0'];

test('flow list\'s rule column is DPDK\'s (item names => action names, as written), dpkit\'s exact match after the table', async (t) => {
  const r = await runTestpmd([...FLOWTAB, prefix(), '--', '-i'], [
    'flow create 0 ingress pattern eth / ipv4 / udp dst is 7777 / end actions queue index 0 / count / end',
    'flow create 0 priority 1 ingress pattern eth / ipv4 / tcp / end actions count / drop / end',
    'flow create 0 ingress pattern eth / vlan tci is 5 / ipv6 / sctp / end actions passthru / queue index 1 / end',
    'flow ntuple 0 flow-type tcp4 dst-port 9090 action 0',
    'flow list 0', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // port_flow_list (app/test-pmd/config.c, v22.11): ID, group, priority, i/e/t, then each
  // item's name and a space, `=>`, a space and each action's name; sorted by priority then id
  t.deepEqual(answer(r.stdout, 'flow list 0'), [
    'ID\tGroup\tPrio\tAttr\tRule',
    '0\t0\t0\ti--\tETH IPV4 UDP => QUEUE COUNT',
    '2\t0\t0\ti--\tETH VLAN IPV6 SCTP => PASSTHRU QUEUE',
    '3\t0\t0\ti--\tETH IPV4 TCP => QUEUE COUNT',
    '1\t0\t1\ti--\tETH IPV4 TCP => COUNT DROP',
    'Rule #0 matches: ipv4 UDP dport 7777/0xffff => QUEUE 0 COUNT',
    'Rule #2 matches: vlan 5/0xffff ipv6 SCTP => QUEUE 1',
    'Rule #3 matches: ipv4 TCP dport 9090/0xffff => QUEUE 0 COUNT',
    'Rule #1 matches: ipv4 TCP => DROP COUNT',
  ]);
});

test('error lines as DPDK prints them: Invalid port, Flow rule #N not found, Bad arguments, Command not found', async (t) => {
  const r = await runTestpmd([...FLOWTAB, prefix(), '--', '-i'], [
    'flow create 0 ingress pattern eth / ipv4 / end actions queue index 0 / end',
    'flow query 0 9 count', 'flow destroy 0 rule 9', 'flow list 5', 'flow list all', 'flow bogus', 'show port stats 1x', 'show port stats',
    'show port stats 3', 'frobnicate', 'flow destroy 0 rule 0', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // each as DPDK 22.11 answered it (net_tap and net_null ports)
  t.deepEqual(answer(r.stdout, 'flow query 0 9 count'), ['Flow rule #9 not found']);
  t.deepEqual(answer(r.stdout, 'flow destroy 0 rule 9'), [], 'an id that is not there: nothing, as port_flow_destroy');
  t.deepEqual(answer(r.stdout, 'flow list 5'), ['Invalid port 5']);
  t.deepEqual(answer(r.stdout, 'flow bogus'), ['Bad arguments']);
  t.deepEqual(answer(r.stdout, 'flow list all'), ['Bad arguments']);
  t.deepEqual(answer(r.stdout, 'show port stats 1x'), ['Bad arguments']);
  t.deepEqual(answer(r.stdout, 'show port stats'), ['Bad arguments']);
  t.deepEqual(answer(r.stdout, 'show port stats 3'), ['Invalid port 3', 'The valid ports array is [ 0 ]']);
  t.deepEqual(answer(r.stdout, 'frobnicate'), ['Command not found']);
  t.deepEqual(answer(r.stdout, 'flow destroy 0 rule 0'), ['Flow rule #0 destroyed']);
});

test('a rule the driver refuses is reported as DPDK\'s port_flow_complain reports a PMD error', async (t) => {
  const rule = 'ingress pattern eth / ipv4 / udp dst is 53 / end actions queue index 0 / end';
  const r = await runTestpmd([...FLOWTAB, prefix(), '--', '-i'], [`flow create 0 ${rule}`, `flow validate 0 ${rule}`, `flow create 0 ${rule}`,
    'flow create 0 ingress pattern eth / ipv4 / end actions queue index 0 / drop / end', 'flow list 0', 'quit'].join('\n') + '\n');
  t.is(r.code, 0, r.stderr);
  // `port_flow_complain(): Caught PMD error type %d (%s): %s%s: %s` (config.c, v22.11): type 1 is
  // "cause unspecified"; the message, then rte_strerror of the error (EEXIST here)
  const refusal = 'port_flow_complain(): Caught PMD error type 1 (cause unspecified): net_flowtab: rule 0 matches the same packets already: File exists';
  t.deepEqual(answer(r.stdout, `flow validate 0 ${rule}`), [refusal]);
  t.deepEqual(answer(r.stdout, `flow create 0 ${rule}`, 1), [refusal]);
  // a rule dpkit's parser refuses is one dpkit line (no PMD was asked)
  t.deepEqual(answer(r.stdout, 'flow create 0 ingress pattern eth / ipv4 / end actions queue index 0 / drop / end'),
    ['flow rule: two fate actions (queue and drop): a rule has one of queue, drop, send_to_kernel']);
  t.is(answer(r.stdout, 'flow list 0').length, 3, 'one rule: nothing refused was added');
});

test('show port info has DPDK\'s fields: VLAN offload, RSS flow types, LRO size, device capabilities, error handling mode; dpkit\'s lines after them', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'show port info 0\nquit\n');
  t.is(r.code, 0, r.stderr);
  const lines = answer(r.stdout, 'show port info 0');
  // DPDK 22.11 on net_null, from `Maximum number of MAC addresses of hash filtering` on (dpkit's
  // net_null has no RSS types, no redirection table, no segment limits: DPDK leaves those lines out then)
  const from = lines.indexOf('Maximum number of MAC addresses of hash filtering: 0');
  t.deepEqual(lines.slice(from + 1), [
    'VLAN offload: ',
    '  strip off, filter off, extend off, qinq strip off',
    'No RSS offload flow type is supported.',
    'Minimum size of RX buffer: 0',
    'Maximum configurable length of RX packet: 4294967295',
    'Maximum configurable size of LRO aggregated packet: 0',
    'Current number of RX queues: 1',
    'Max possible RX queues: 1024',
    'Max possible number of RXDs per queue: 65535',
    'Min possible number of RXDs per queue: 0',
    'RXDs number alignment: 1',
    'Current number of TX queues: 1',
    'Max possible TX queues: 1024',
    'Max possible number of TXDs per queue: 65535',
    'Min possible number of TXDs per queue: 0',
    'TXDs number alignment: 1',
    'Device capabilities: 0x0( )',
    'Device error handling mode: none',
  ]);
});

test('on a port that takes no flow rules, flow list prints nothing and flow query says the rule is not found, as DPDK\'s on net_null', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'flow list 0\nflow query 0 3 count\nflow destroy 0 rule 3\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(answer(r.stdout, 'flow list 0'), []);
  t.deepEqual(answer(r.stdout, 'flow query 0 3 count'), ['Flow rule #3 not found']);
  t.deepEqual(answer(r.stdout, 'flow destroy 0 rule 3'), []);
});

test('start with a stopped port is refused as DPDK\'s: Not all ports were started', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'port stop 1\nstart\nport start 1\nstart\nstop\nquit\n');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(answer(r.stdout, 'start'), ['Not all ports were started']);
  t.regex(answer(r.stdout, 'start', 1)[0]!, /^io packet forwarding - ports=2 - cores=1 - streams=2 - /);
});
