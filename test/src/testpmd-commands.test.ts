/**
 * The interactive commands of issue 12 §4, each answer line by line against DPDK 22.11's
 * dpdk-testpmd (the expected lines were taken from running Debian's dpdk-testpmd 22.11 with
 * `--no-pci --vdev=net_null0 --vdev=net_null1 --no-huge -- -i` and the same commands; where
 * dpkit's net_null differs from DPDK's, as promiscuous off, which DPDK's refuses, the test says so).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CLI, TestpmdProcess, runTestpmd, prefix } from './testpmd-process.js';

const NULL2 = ['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1'];

/** Each command's answer: the lines between its echo and the next prompt. */
function answers(out: string): Map<string, string[][]> {
  const map = new Map<string, string[][]>();
  const parts = out.split('testpmd> ').slice(1);
  for (const part of parts) {
    const [cmd, ...lines] = part.split('\n');
    const list = map.get(cmd!) ?? [];
    list.push(lines.slice(0, -1));
    map.set(cmd!, list);
  }
  return map;
}

/** [command, DPDK's answer] in order; MAC0/MAC1 stand for the ports' addresses */
const SCRIPT: [string, string[]][] = [
  ['show port summary all', ['Number of available ports: 2', 'Port MAC Address       Name         Driver         Status   Link',
    '0    MAC0 net_null0    net_null       up       10 Gbps', '1    MAC1 net_null1    net_null       up       10 Gbps']],
  ['show port summary 1', ['Number of available ports: 2', 'Port MAC Address       Name         Driver         Status   Link',
    '1    MAC1 net_null1    net_null       up       10 Gbps']],
  ['show port summary 5', ['Number of available ports: 2', 'Port MAC Address       Name         Driver         Status   Link',
    'Invalid port 5', 'The valid ports array is [ 0 1 ]']],
  ['show port summary', ['Bad arguments']],
  ['show port 0 macs', ['Number of MAC address added: 1', '  MAC0']],
  ['show port 5 macs', ['Invalid port 5']],
  ['show config cores', ['List of forwarding lcores:  1']],
  ['show config txpkts', ['Number of segments: 1', 'Segment sizes: 64', 'Split packet: off']],
  ['set txpkts 64,64', []],
  ['set txpkts 10', ['total packet length=10 < 42 - give up']],
  ['show config txpkts', ['Number of segments: 2', 'Segment sizes: 64,64', 'Split packet: off']],
  ['show config rxtx', ['  io packet forwarding packets/burst=32', '  nb forwarding cores=1 - nb forwarding ports=2',
    ...[0, 1].flatMap((p) => [`  port ${p}: RX queue number: 1 Tx queue number: 1`, '    Rx offloads=0x0 Tx offloads=0x0', '    RX queue: 0',
      '      RX desc=0 - RX free threshold=0', '      RX threshold registers: pthresh=0 hthresh=0  wthresh=0', '      RX Offloads=0x0',
      '    TX queue: 0', '      TX desc=0 - TX free threshold=0', '      TX threshold registers: pthresh=0 hthresh=0  wthresh=0',
      '      TX offloads=0x0 - TX RS bit threshold=0'])]],
  ['clear port xstats all', []],
  ['clear port xstats 5', ['Invalid port 5', 'The valid ports array is [ 0 1 ]']],
  ['set xstats-hide-zero on', []],
  ['show port xstats 0', ['###### NIC extended statistics for port 0 ']],
  ['set xstats-hide-zero off', []],
  // dpkit's net_null takes promiscuous off (DPDK's answers Operation not supported)
  ['set promisc 0 off', []],
  ['set promisc all on', []],
  ['set promisc 5 on', ['Invalid port_id=5', 'Error during enabling promiscuous mode for port 5: No such device']],
  ['set promisc 0 maybe', ['Bad arguments']],
  ['set allmulti 0 on', []],
  ['set allmulti 5 on', ['Invalid port_id=5', 'Error during enabling all-multicast mode for port 5: No such device']],
  ['set link-up port 0', ['', 'Set link up fail.']],
  ['set link-down port 0', ['', 'Set link down fail.']],
  ['set link-up port 5', ['Invalid port_id=5', '', 'Set link up fail.']],
  ['mac_addr add 0 02:00:00:00:00:09', ['mac_addr_cmd error: (Operation not supported)']],
  ['mac_addr remove 0 02:00:00:00:00:09', ['mac_addr_cmd error: (Operation not supported)']],
  ['mac_addr set 5 02:00:00:00:00:09', ['Invalid port_id=5', 'mac_addr_cmd error: (No such device)']],
  ['mac_addr add 0 zz', ['Bad arguments']],
  ['mac_addr set 1 02:00:00:00:00:09', []],
  ['show port 1 macs', ['Number of MAC address added: 1', '  02:00:00:00:00:09']],
  ['set nbport 9', ['nb fwd ports 9 > 2 (number of configured ports) - ignored']],
  ['set portmask 0', ['Invalid NULL mask of ports']],
  ['set eth-peer 5 02:00:00:00:00:01', ['Error: Invalid port number 5']],
  ['set eth-peer 0 02:00:00:00:00:33', []],
  ['set nbport 1', ['Number of forwarding ports set to 1', '', 'Warning! port-topology=paired and odd forward ports number, the last port will pair with itself.', '']],
  ['show config fwd', ['io packet forwarding - ports=1 - cores=1 - streams=1 - NUMA support disabled, MP allocation mode: native',
    'Logical Core 1 (socket 0) forwards packets on 1 streams:', '  RX P=0/Q=0 (socket 0) -> TX P=0/Q=0 (socket 0) peer=02:00:00:00:00:33', '']],
  ['port 0 rxq 0 stop', ['Function not supported in PMD']],
  ['port 0 txq 0 start', ['Function not supported in PMD']],
  ['port 0 rxq 5 stop', ['Invalid RX queue 5 (must be < nb_rxq=1)']],
  ['port 0 txq 1 stop', ['Invalid TX queue 1 (must be < nb_txq=1)']],
  ['port 5 rxq 0 stop', ['Invalid port 5']],
  ['port 0 rxq 0 pause', ['Bad arguments']],
  ['show port 0 rx_offload capabilities', ['Rx Offloading Capabilities of port 0 :', '  Per Queue :', '  Per Port  :', '']],
  ['show port 0 rx_offload configuration', ['Rx Offloading Configuration of port 0 :', '  Port :', '  Queue[ 0] :', '']],
  ['show port 1 tx_offload capabilities', ['Tx Offloading Capabilities of port 1 :', '  Per Queue :', '  Per Port  :', '']],
  ['show port 1 tx_offload configuration', ['Tx Offloading Configuration of port 1 :', '  Port :', '  Queue[ 0] :', '']],
  ['show port 5 tx_offload configuration', ['Invalid port_id=5', 'Error during getting device (port 5) info: No such device']],
  ['port stop 1', ['Stopping ports...', 'Checking link statuses...', 'Done']],
  ['port 1 rxq 0 start', ['Please start port 1 first']],
];

test('the §4 commands answer as DPDK 22.11 testpmd does, line by line', async (t) => {
  const input = SCRIPT.map(([c]) => c).join('\n') + '\nquit\n';
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], input);
  t.is(r.code, 0, r.stderr);
  const macs = [0, 1].map((p) => new RegExp(`^Port ${p}: (\\S+)$`, 'm').exec(r.stdout)?.[1]);
  t.truthy(macs[0] && macs[1], r.stdout);
  const got = answers(r.stdout);
  const seen = new Map<string, number>();
  for (const [cmd, want] of SCRIPT) {
    const nth = seen.get(cmd) ?? 0;
    seen.set(cmd, nth + 1);
    const lines = got.get(cmd)?.[nth];
    t.deepEqual(lines, want.map((l) => l.replace('MAC0', macs[0]!).replace('MAC1', macs[1]!)), cmd);
  }
});

test('set xstats-hide-zero off shows the zero counters again, and set promisc off shows in show port info', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    'set xstats-hide-zero on\nshow port xstats 0\nset xstats-hide-zero off\nshow port xstats 0\nset promisc 0 off\nshow port info 0\nquit\n');
  t.is(r.code, 0, r.stderr);
  const got = answers(r.stdout);
  t.deepEqual(got.get('show port xstats 0')![0], ['###### NIC extended statistics for port 0 ']);
  const shown = got.get('show port xstats 0')![1]!;
  t.true(shown.length > 1 && shown.slice(1).every((l) => / 0$/.test(l)), shown.join('\n'));
  t.true(got.get('show port info 0')![0]!.includes('Promiscuous mode: disabled'));
});

test('clear fwd stats all: silent, and the forward statistics count from there (fwd_stats_reset)', async (t) => {
  const p = new TestpmdProcess([...NULL2, prefix(), '--', '-i', '--rxq=2', '--txq=2']);
  try {
    await p.until((o) => o.includes('testpmd> '));
    await p.command('start');
    // forwarding until port 0 has received something (bounded: 250 looks)
    for (let i = 0; i < 250 && /RX-packets: 0 /.test(await p.command('show port stats 0')); i++);
    for (const c of ['stop', 'show fwd stats all', 'clear fwd stats all', 'show fwd stats all']) await p.command(c);
    p.child.stdin.end('quit\n');
    t.is((await p.exit()).code, 0, p.stderr);
  } finally {
    p.kill();
  }
  const got = answers(p.stdout);
  t.deepEqual(got.get('clear fwd stats all'), [[]]);
  const [before, after] = got.get('show fwd stats all')!;
  // net_null received while forwarding ran: the first display counts it
  t.true(before!.some((l) => /^  RX-packets: [1-9]/.test(l)), before!.join('\n'));
  // after the reset: no stream block (none saw anything), every port and the total at 0
  const counts = after!.filter((l) => /^  (RX|TX)-packets:/.test(l));
  t.is(counts.length, 6, after!.join('\n'));
  t.true(counts.every((l) => /^  RX-packets: 0 +RX-dropped: 0 +RX-total: 0$|^  TX-packets: 0 +TX-dropped: 0 +TX-total: 0$/.test(l)), after!.join('\n'));
  t.false(after!.some((l) => l.includes('Forward Stats for RX Port')), after!.join('\n'));
});

test('tab completion at the prompt on a terminal: a word is completed with its space, then the command runs', async (t) => {
  // `script` gives testpmd a pseudo-terminal, as a user's shell does
  const cmd = [process.execPath, CLI, '-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i'].join(' ');
  const child = spawn('script', ['-qfc', cmd, '/dev/null'], { stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const until = async (text: string) => {
    for (let i = 0; !out.includes(text); i++) {
      if (i > 1000 || child.exitCode !== null) throw new Error(`no '${JSON.stringify(text)}' in:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until('testpmd> ');
    child.stdin.write('show con\t');
    await until('show config ');
    child.stdin.write('cor\t');
    await until('show config cores ');
    child.stdin.write('\r');
    await until('List of forwarding lcores:  1');
    child.stdin.write('quit\r');
    await until('Bye...');
    t.pass();
  } finally {
    child.kill('SIGKILL');
  }
});

test('port reset: refused on a started port, a stopped one is reset and configured again at its start; DPDK\'s diag line for a driver without reset', async (t) => {
  const r = await runTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_ring0', prefix(), '--', '-i'],
    'port reset 0\nport stop all\nport reset 0\nport reset 1\nport start 0\nquit\n');
  t.is(r.code, 0, r.stderr);
  const got = answers(r.stdout);
  t.deepEqual(got.get('port reset 0'), [['Can not reset port(s), please stop port(s) first.'], ['Resetting ports...', 'Done']]);
  t.deepEqual(got.get('port reset 1'), [['Resetting ports...', 'Failed to reset port 1. diag=-95', 'Done']]);
  t.deepEqual(got.get('port start 0')![0]!.slice(0, 2), ['Configuring Port 0 (socket 0)', `Port 0: ${/^Port 0: (\S+)$/m.exec(r.stdout)![1]}`]);
});

test('load FILE runs its commands without echo, then Read CLI commands from FILE; a file that is not there is DPDK\'s line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-load-'));
  try {
    const file = join(dir, 'cmds');
    writeFileSync(file, 'show config cores\nshow port 9 macs\nset txpkts 64,64\n');
    const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], `load ${file}\nshow config txpkts\nload ${dir}/none\nquit\n`);
    t.is(r.code, 0, r.stderr);
    const got = answers(r.stdout);
    t.deepEqual(got.get(`load ${file}`), [['List of forwarding lcores:  1', 'Invalid port 9', `Read CLI commands from ${file}`]]);
    t.deepEqual(got.get('show config txpkts'), [['Number of segments: 2', 'Segment sizes: 64,64', 'Split packet: off']]);
    t.deepEqual(got.get(`load ${dir}/none`), [[`Failed to create file based cmdline context: ${dir}/none`]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('port config all rxq|txq|rxd|txd N on stopped ports takes effect at the next start; port config mtu P N at once', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    'port config all rxq 2\nport stop all\nport config all rxq 2\nport config all txq 3\nport config all rxd 256\nport config all txd 128\n'
    + 'port config all rxq 5000\nport config all rxq 0\nport config mtu 0 1400\nport config mtu 0 99999\nport start all\nshow port info 0\nshow config rxtx\nquit\n');
  t.is(r.code, 0, r.stderr);
  const got = answers(r.stdout);
  t.deepEqual(got.get('port config all rxq 2'), [['Please stop all ports first'], []]);
  for (const c of ['port config all txq 3', 'port config all rxd 256', 'port config all txd 128', 'port config mtu 0 1400']) t.deepEqual(got.get(c), [[]], c);
  t.deepEqual(got.get('port config all rxq 5000'), [["Fail: input rxq (5000) can't be greater than max_rx_queues (1024) of port 0"]]);
  t.deepEqual(got.get('port config all rxq 0'), [['invalid rxq 0: dpkit-testpmd forwards with at least one rx and one tx queue per port']]);
  t.deepEqual(got.get('port config mtu 0 99999'), [['Set MTU failed. diag=-22']]);
  t.deepEqual(got.get('port start all')![0]!.filter((l) => l.startsWith('Configuring')), ['Configuring Port 0 (socket 0)', 'Configuring Port 1 (socket 0)']);
  const info = got.get('show port info 0')![0]!;
  for (const l of ['MTU: 1400', 'Current number of RX queues: 2', 'Current number of TX queues: 3']) t.true(info.includes(l), l);
  const rxtx = got.get('show config rxtx')![0]!;
  t.true(rxtx.includes('      RX desc=256 - RX free threshold=0') && rxtx.includes('      TX desc=128 - TX free threshold=0'), rxtx.join('\n'));
});

test('show device info all|NAME prints device_infos_display\'s lines as DPDK 22.11 did for net_null', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'show device info all\nshow device info net_null1\nquit\n');
  t.is(r.code, 0, r.stderr);
  const macs = [0, 1].map((p) => new RegExp(`^Port ${p}: (\\S+)$`, 'm').exec(r.stdout)![1]);
  const block = (p: number) => ['', `********************* Infos for device net_null${p} *********************`, 'Bus name: vdev', 'Bus information: ',
    'Driver name: net_null', 'Devargs: ', 'Connect to socket: 0', '', `\tPort id: ${p} `, `\tMAC address: ${macs[p]}`, `\tDevice name: net_null${p}`,
    '\tDevice speed capability: Autonegotiate (all speeds)'];
  const got = answers(r.stdout);
  t.deepEqual(got.get('show device info all'), [[...block(0), ...block(1)]]);
  t.deepEqual(got.get('show device info net_null1'), [block(1)]);
});

test('port config all max-pkt-len N sets the MTU for that frame length (1500 gives 1482, as DPDK 22.11 on net_null)', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'],
    'port config all max-pkt-len 1500\nport stop all\nport config all max-pkt-len 10\nport config all max-pkt-len 1500\nshow port info 1\nquit\n');
  t.is(r.code, 0, r.stderr);
  const got = answers(r.stdout);
  t.deepEqual(got.get('port config all max-pkt-len 1500'), [['Please stop all ports first'], []]);
  t.deepEqual(got.get('port config all max-pkt-len 10'), [['max-pkt-len can not be less than 64']]);
  t.true(got.get('show port info 1')![0]!.includes('MTU: 1482'));
});

test('show rxq|txq info P Q: rx_queue_infos_display / tx_queue_infos_display lines; DPDK 22.11\'s failure lines for a queue or port that is not there', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i', '--rxfreet=32', '--txd=256', '--txrst=16', '--txfreet=64'],
    'show rxq info 0 0\nshow txq info 1 0\nshow rxq info 0 1\nshow txq info 5 0\nquit\n');
  t.is(r.code, 0, r.stderr);
  const got = answers(r.stdout);
  t.deepEqual(got.get('show rxq info 0 0'), [['', '********************* Infos for port 0 , RX queue 0  *********************', 'Mempool: mb_pool_0',
    'RX prefetch threshold: 0', 'RX host threshold: 0', 'RX writeback threshold: 0', 'RX free threshold: 32', 'RX drop packets: off',
    'RX deferred start: off', 'RX scattered packets: off', 'Rx queue state: started', 'Number of RXDs: 512']]);
  t.deepEqual(got.get('show txq info 1 0'), [['', '********************* Infos for port 1 , TX queue 0  *********************',
    'TX prefetch threshold: 0', 'TX host threshold: 0', 'TX writeback threshold: 0', 'TX RS threshold: 16', 'TX free threshold: 64',
    'TX deferred start: off', 'Number of TXDs: 256', 'Tx queue state: started']]);
  t.deepEqual(got.get('show rxq info 0 1'), [['Invalid Rx queue_id=1', 'Failed to retrieve information for port: 0, RX queue: 1', 'error desc: Invalid argument(-22)']]);
  t.deepEqual(got.get('show txq info 5 0'), [['Invalid port_id=5', 'Failed to retrieve information for port: 5, TX queue: 0', 'error desc: No such device(-19)']]);
});

test('help all lists the new commands', async (t) => {
  const r = await runTestpmd([...NULL2, prefix(), '--', '-i'], 'help all\nquit\n');
  t.is(r.code, 0, r.stderr);
  for (const c of ['show port summary (port_id|all)', 'show (rxq|txq) info (port_id) (queue_id)', 'show device info (device_name|all)',
    'clear fwd stats all', 'show config (fwd|rxtx|cores|txpkts)', 'set (promisc|allmulti) (port_id|all) (on|off)', 'mac_addr (add|remove|set)',
    'load (filename)', 'port reset (port_id|all)', 'port config all (rxq|txq|rxd|txd|max-pkt-len) (value)', 'port (port_id) (rxq|txq) (queue_id) (start|stop)']) {
    t.true(r.stdout.includes(c), c);
  }
});
