/**
 * The telemetry v2 socket of a running dpkit-testpmd, queried with DPDK's own client:
 * Debian's `dpdk-telemetry.py` (package `dpdk`), unchanged. It reads commands from stdin and,
 * when stdin is not a terminal, prints one JSON line per command that starts with '/'.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import test from 'ava';
import { kernelTest } from '@dpkit/eal/testing';
import { BifurcLab } from './lab.js';
import { TestpmdProcess } from './testpmd-process.js';

const CLIENT = '/usr/bin/dpdk-telemetry.py';
let seq = 0;
const uniquePrefix = () => `tele${process.pid}-${seq++}`;
const socketOf = (p: string) => `/var/run/dpdk/${p}/dpdk_telemetry.v2`;
/** Kills testpmd if the test left it running, and removes what a killed one leaves behind. */
function reap(p: TestpmdProcess, filePrefix: string): void {
  p.kill();
  rmSync(`/var/run/dpdk/${filePrefix}`, { recursive: true, force: true });
}

/** Runs dpdk-telemetry.py -f PREFIX with `commands` on stdin; its stdout lines, bounded to 20 s. */
function telemetry(filePrefix: string, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    if (!existsSync(CLIENT)) {
      reject(new Error(`${CLIENT} is missing: install Debian's dpdk package (apt-get install dpdk)`));
      return;
    }
    const child = execFile('python3', [CLIENT, '-f', filePrefix], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dpdk-telemetry.py failed: ${err.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l !== ''));
    });
    child.stdin!.end(commands.join('\n') + '\n');
  });
}

/** The replies to `commands`, each parsed and unwrapped from its `{"/cmd": ...}`. */
async function query(filePrefix: string, commands: string[]): Promise<unknown[]> {
  const lines = await telemetry(filePrefix, commands);
  if (lines.length !== commands.length) throw new Error(`${commands.length} commands, ${lines.length} replies:\n${lines.join('\n')}`);
  return lines.map((l, i) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const cmd = commands[i]!.split(',')[0]!;
    if (Object.keys(o).join() !== cmd) throw new Error(`reply to ${commands[i]} is keyed ${Object.keys(o)}`);
    return o[cmd];
  });
}

async function startTestpmd(ealArgs: string[]): Promise<TestpmdProcess> {
  const p = new TestpmdProcess([...ealArgs, '--', '-i']);
  await p.until((o) => o.includes('testpmd> '), 20_000, 'the first prompt');
  return p;
}

const rxPackets = (out: string) => Number(/RX-packets: (\d+)/.exec(out)?.[1]);
const txPackets = (out: string) => Number(/TX-packets: (\d+)/.exec(out)?.[1]);

const ETHDEV_INFO_FIELDS = ['name', 'state', 'nb_rx_queues', 'nb_tx_queues', 'port_id', 'mtu', 'rx_mbuf_size_min',
  'rx_mbuf_alloc_fail', 'mac_addr', 'promiscuous', 'scattered_rx', 'all_multicast', 'dev_started', 'lro', 'dev_configured',
  'rxq_state', 'txq_state', 'numa_node', 'dev_flags', 'rx_offloads', 'tx_offloads', 'ethdev_rss_hf'];
const ETHDEV_STATS_FIELDS = ['ipackets', 'opackets', 'ibytes', 'obytes', 'imissed', 'ierrors', 'oerrors', 'rx_nombuf',
  'q_ipackets', 'q_opackets', 'q_ibytes', 'q_obytes', 'q_errors'];
const MEMPOOL_INFO_FIELDS = ['name', 'pool_id', 'flags', 'socket_id', 'size', 'cache_size', 'elt_size', 'header_size',
  'trailer_size', 'private_data_size', 'ops_index', 'populated_size', 'mz_name', 'mz_len', 'mz_hugepage_sz', 'mz_socket_id', 'mz_flags'];

test('dpdk-telemetry.py reads DPDK 22.11\'s commands from a running dpkit-testpmd, with counters that moved', async (t) => {
  const fp = uniquePrefix();
  const eal = ['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1', `--file-prefix=${fp}`];
  const p = await startTestpmd(eal);
  try {
    t.true(existsSync(socketOf(fp)), 'the socket is in DPDK\'s runtime directory for the prefix');
    await p.command('start');
    const end = Date.now() + 20_000;
    while (rxPackets(await p.command('show port stats 0')) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await p.command('stop');
    const shown = await p.command('show port stats 0');
    const [list, info, help, params, ports, devInfo, stats, xstats, link, pools, pool, noPool, bogus, badPort, noParam] = await query(fp, [
      '/', '/info', '/help,/ethdev/stats', '/eal/params', '/ethdev/list', '/ethdev/info,0', '/ethdev/stats,0', '/ethdev/xstats,0',
      '/ethdev/link_status,1', '/mempool/list', '/mempool/info,mb_pool_0', '/mempool/info,nope', '/no/such/command',
      '/ethdev/stats,7', '/ethdev/stats',
    ]) as [string[], Record<string, unknown>, unknown, unknown, unknown, Record<string, unknown>, Record<string, unknown>,
      Record<string, number>, unknown, unknown, Record<string, unknown>, unknown, unknown, unknown, unknown];

    t.deepEqual([...list].sort(), ['/', '/dpkit/ethdev/describe', '/dpkit/flow/list', '/eal/params', '/ethdev/info', '/ethdev/link_status',
      '/ethdev/list', '/ethdev/stats', '/ethdev/xstats', '/help', '/info', '/mempool/info', '/mempool/list']);
    t.deepEqual(Object.keys(info), ['version', 'pid', 'max_output_len']);
    t.is(info.pid, p.child.pid);
    t.is(info.max_output_len, 16384);
    t.deepEqual(help, { '/ethdev/stats': 'Returns the common stats for a port. Parameters: int port_id' });
    t.deepEqual(params, ['dpkit-testpmd', ...eal]);
    t.deepEqual(ports, [0, 1]);

    t.deepEqual(Object.keys(devInfo), ETHDEV_INFO_FIELDS);
    t.like(devInfo, { name: 'net_null0', state: 1, port_id: 0, nb_rx_queues: 1, nb_tx_queues: 1, mtu: 1500, dev_started: 1,
      dev_configured: 1, rxq_state: [1], txq_state: [1], promiscuous: 1 });
    t.regex(String(devInfo.mac_addr), /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);

    t.deepEqual(Object.keys(stats), ETHDEV_STATS_FIELDS);
    t.true((stats.ipackets as number) > 0, 'the port received');
    t.is(stats.ipackets as number, rxPackets(shown), 'what show port stats 0 shows');
    t.is(stats.opackets as number, txPackets(shown));
    t.is(stats.ibytes, (stats.ipackets as number) * 64, 'net_null packets are 64 bytes');
    for (const q of ['q_ipackets', 'q_opackets', 'q_ibytes', 'q_obytes', 'q_errors']) t.is((stats[q] as number[]).length, 16, q);
    t.is((stats.q_ipackets as number[])[0], stats.ipackets as number);
    t.is(xstats.rx_good_packets, stats.ipackets as number);
    t.is(xstats.tx_good_packets, stats.opackets as number);
    t.is(xstats.rx_q0_packets, stats.ipackets as number);

    t.deepEqual(link, { status: 'UP', speed: 10000, duplex: 'full-duplex' });
    t.deepEqual(pools, ['mb_pool_0']);
    t.deepEqual(Object.keys(pool), MEMPOOL_INFO_FIELDS);
    t.like(pool, { name: 'mb_pool_0', pool_id: 0 });
    t.true((pool.size as number) > 0 && pool.populated_size === pool.size);
    t.deepEqual(noPool, {}, 'DPDK answers an empty dictionary for a pool that does not exist');
    t.is(bogus, null, 'an unknown command is answered null');
    t.is(badPort, null, 'a port that does not exist is answered null');
    t.is(noParam, null, 'a missing port_id is answered null');

    p.child.stdin.write('quit\n');
    t.is((await p.exit()).code, 0);
    t.false(existsSync(socketOf(fp)), 'the socket file is gone after quit');
    t.false(existsSync(`/var/run/dpdk/${fp}`), 'and its directory');
  } finally {
    reap(p, fp);
  }
});

test('a second client is served while the first stays connected, and the eleventh of eleven is refused', async (t) => {
  const fp = uniquePrefix();
  const p = await startTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_null0', `--file-prefix=${fp}`]);
  const first = spawn('python3', [CLIENT, '-f', fp], { stdio: 'pipe' });
  try {
    let out = '';
    first.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const next = async (cmd: string) => {
      const before = out.length;
      first.stdin.write(cmd + '\n');
      const end = Date.now() + 20_000;
      while (!out.slice(before).includes('\n')) {
        if (Date.now() > end || first.exitCode !== null) throw new Error(`no reply to ${cmd}: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return out.slice(before).trim();
    };
    t.is(await next('/ethdev/list'), '{"/ethdev/list": [0]}');
    t.deepEqual(await query(fp, ['/ethdev/list', '/mempool/list']), [[0], ['mb_pool_0']], 'the second client, while the first is connected');
    t.is(await next('/ethdev/link_status,0'), '{"/ethdev/link_status": {"status": "UP", "speed": 10000, "duplex": "full-duplex"}}');
    first.stdin.end();

    // DPDK's MAX_CONNECTIONS is 10: an eleventh client is accepted and closed without a greeting
    const script = [
      'import socket, sys',
      'socks = []',
      'for i in range(11):',
      '    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)',
      '    s.settimeout(10)',
      '    s.connect(sys.argv[1])',
      '    print(len(s.recv(1024)))',
      '    socks.append(s)',
    ].join('\n');
    await new Promise((r) => first.once('exit', r));
    const sizes = await new Promise<string>((resolve, reject) => {
      execFile('python3', ['-c', script, socketOf(fp)], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const greeting = `{"version":"dpkit 0.1.0","pid":${p.child.pid},"max_output_len":16384}`.length;
    t.deepEqual(sizes.trim().split('\n').map(Number), [...new Array<number>(10).fill(greeting), 0]);
    t.deepEqual(await query(fp, ['/ethdev/list']), [[0]], 'served again once they have gone');
  } finally {
    first.kill();
    reap(p, fp);
  }
});

const FLOWTAB = ['-l', '0-1', '--no-pci', '-d', new URL('./fixtures/flow-table-driver.js', import.meta.url).pathname, '--vdev=net_flowtab0'];

test('dpkit\'s extras: /dpkit/flow/list gives each rule\'s id, priority, action and counters; /dpkit/ethdev/describe', async (t) => {
  const fp = uniquePrefix();
  const p = await startTestpmd([...FLOWTAB, `--file-prefix=${fp}`]);
  try {
    t.regex(await p.command('flow create 0 ingress pattern eth / ipv4 / udp dst is 7777 / end actions queue index 1 / count / end'), /Flow rule #0 created/);
    t.regex(await p.command('flow create 0 priority 2 ingress pattern eth / ipv4 / tcp / end actions drop / end'), /Flow rule #1 created/);
    const [flows, describe, none] = await query(fp, ['/dpkit/flow/list,0', '/dpkit/ethdev/describe,0', '/dpkit/flow/list,4']);
    t.deepEqual(flows, [
      { id: 0, priority: 0, action: 'queue 1', hits: 0, bytes: 0 },
      { id: 1, priority: 2, action: 'drop' },
    ]);
    t.deepEqual(describe, [], 'net_flowtab0 has no describe op: no lines, as show port info adds none');
    t.is(none, null);
    await p.command('flow destroy 0 rule 0');
    t.deepEqual(await query(fp, ['/dpkit/flow/list,0']), [[{ id: 1, priority: 2, action: 'drop' }]]);
  } finally {
    reap(p, fp);
  }
});

test('--no-telemetry: no socket, and dpdk-telemetry.py says it cannot connect', async (t) => {
  const fp = uniquePrefix();
  const p = await startTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_null0', '--no-telemetry', `--file-prefix=${fp}`]);
  try {
    t.false(existsSync(socketOf(fp)));
    t.deepEqual(await telemetry(fp, ['/ethdev/list']), [`Error connecting to ${socketOf(fp)}`]);
  } finally {
    reap(p, fp);
  }
});

const real = kernelTest(test.serial);

real('on a bifurc port, /dpkit/flow/list counts what a rule steered (as flow query) and /dpkit/ethdev/describe shows the split queues', async (t) => {
  const lab = BifurcLab.create('tele', { queues: 1 });
  const fp = uniquePrefix();
  try {
    const services = await lab.startServices([7777], []);
    const tp = await lab.startTestpmd(['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=va,qpairs=1', `--file-prefix=${fp}`]);
    t.regex(await tp.cmd('flow create 0 ingress pattern eth / ipv4 / udp dst is 7777 / end actions queue index 0 / count / end'), /Flow rule #0 created/);
    await tp.cmd('set fwd 5tswap');
    await tp.cmd('start');
    t.like(await lab.client('udp', 7777, 10), { sent: 10, fromUser: 10, lost: 0 });
    await tp.cmd('stop');
    const hits = Number(/hits: (\d+)/.exec(await tp.cmd('flow query 0 0 count'))?.[1]);
    const [flows, describe] = await query(fp, ['/dpkit/flow/list,0', '/dpkit/ethdev/describe,0']) as [Record<string, unknown>[], string[]];
    await tp.quit();
    await services.stop();
    t.true(hits >= 10, `flow query: ${hits} hits`);
    t.deepEqual(flows, [{ id: 0, priority: 0, action: 'queue 0', hits, bytes: flows[0]!.bytes as number }]);
    t.true((flows[0]!.bytes as number) >= hits * 42, 'bytes counted too');
    t.true(describe.some((l) => /Split queues: rxq 0 <- netdev queue 0/.test(l)), describe.join('\n'));
  } finally {
    await lab.destroy();
    rmSync(`/var/run/dpdk/${fp}`, { recursive: true, force: true });
  }
});
