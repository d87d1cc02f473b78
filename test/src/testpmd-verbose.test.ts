/**
 * `set verbose N` while forwarding, as DPDK 22.11's testpmd: level 1 dumps received bursts,
 * 2 sent ones, 3 both, 0 none, switched at run time; the lines are DPDK's dump_pkt_burst
 * lines, byte for byte (compared with dpdk-testpmd's on the same net_null and txonly packets).
 */
import test from 'ava';
import { TestpmdProcess, prefix } from './testpmd-process.js';

const RX_ZERO = [
  '  src=00:00:00:00:00:00 - dst=00:00:00:00:00:00 - pool=mb_pool_0 - type=0x0000 - length=64 - nb_segs=1 - sw ptype: L2_ETHER  - l2_len=14 - Receive queue=0x0',
  '  ol_flags: RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN RTE_MBUF_F_RX_OUTER_L4_CKSUM_UNKNOWN ',
];
const TX_ZERO = [
  '  src=00:00:00:00:00:00 - dst=00:00:00:00:00:00 - pool=mb_pool_0 - type=0x0000 - length=64 - nb_segs=1 - sw ptype: L2_ETHER  - l2_len=14 - Send queue=0x0',
  '  ol_flags: RTE_MBUF_F_TX_L4_NO_CKSUM ',
];

/** The dump lines printed between `from` and `to` in `out` (the burst lines and packet lines). */
function dumps(out: string): string[] {
  return out.split('\n').filter((l) => /^port \d+\/queue \d+: (received|sent) \d+ packets$/.test(l) || l.startsWith('  src=') || l.startsWith('  ol_flags: '));
}

test('set verbose 1, 2, 3 and 0 while io forwards on net_null: DPDK\'s received/sent dumps, switched at run time', async (t) => {
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', prefix(), '--', '-i', '--port-topology=loop', '--burst=2']);
  t.teardown(() => p.kill());
  await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
  await p.command('start');
  const quiet = await p.command('show config fwd');
  t.deepEqual(dumps(quiet), [], 'verbose 0 by default: no dump');
  const level = async (n: number, want: RegExp) => {
    t.true((await p.command(`set verbose ${n}`)).includes(`Change verbose level from 0 to ${n}\n`));
    const at = p.stdout.length;
    await p.until((out) => want.test(out.slice(at)), 20_000, `a dump at verbose ${n}`);
    t.true((await p.command('set verbose 0')).includes(`Change verbose level from ${n} to 0\n`));
    // a burst under way when the level changed may still finish its lines: a round trip later, none
    await p.command('show config fwd');
    const after = p.stdout.length;
    const off = await p.command('show config fwd');
    t.deepEqual(dumps(off), [], `nothing after set verbose 0 (from ${n})`);
    return dumps(p.stdout.slice(at, after));
  };

  const rx = await level(1, /received 2 packets\n(.*\n){4}/);
  t.true(rx.length >= 5);
  t.true(rx.every((l) => !l.includes('sent')), 'verbose 1: received bursts only');
  t.deepEqual(rx.slice(0, 5), ['port 0/queue 0: received 2 packets', ...RX_ZERO, ...RX_ZERO]);

  const tx = await level(2, /sent 2 packets\n(.*\n){4}/);
  t.true(tx.every((l) => !l.includes('received')), 'verbose 2: sent bursts only');
  t.deepEqual(tx.slice(0, 5), ['port 0/queue 0: sent 2 packets', ...TX_ZERO, ...TX_ZERO]);

  const both = await level(3, /received 2 packets\n(.*\n){4}port 0\/queue 0: sent 2 packets\n(.*\n){4}/);
  const first = both.indexOf('port 0/queue 0: received 2 packets');
  t.deepEqual(both.slice(first, first + 10), ['port 0/queue 0: received 2 packets', ...RX_ZERO, ...RX_ZERO, 'port 0/queue 0: sent 2 packets', ...TX_ZERO, ...TX_ZERO]);

  const bad = await p.command('set verbose x');
  t.true(bad.includes('Bad arguments'), bad);
  await p.command('stop');
  await p.command('quit').catch(() => undefined);
});

test('set verbose 2 dumps txonly\'s UDP packets as dpdk-testpmd does (addresses, type, lengths, packet type)', async (t) => {
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', '--vdev=net_null1', prefix(), '--', '-i', '--forward-mode=txonly', '--burst=1']);
  t.teardown(() => p.kill());
  await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
  const mac = (port: number) => new RegExp(`Port ${port}: ([0-9A-F:]{17})`).exec(p.stdout)![1]!;
  await p.command('set verbose 2');
  const at = p.stdout.length;
  await p.command('start');
  await p.until((out) => /port 0\/queue 0: sent 1 packets\n.*\n.*\n/.test(out.slice(at)) && /port 1\/queue 0: sent 1 packets\n.*\n.*\n/.test(out.slice(at)), 20_000, 'both ports\' dumps');
  await p.command('set verbose 0');
  const lines = dumps(p.stdout.slice(at));
  for (const port of [0, 1]) {
    const i = lines.indexOf(`port ${port}/queue 0: sent 1 packets`);
    t.deepEqual(lines.slice(i, i + 3), [
      `port ${port}/queue 0: sent 1 packets`,
      `  src=${mac(port)} - dst=02:00:00:00:00:0${port} - pool=mb_pool_0 - type=0x0800 - length=64 - nb_segs=1 - sw ptype: L2_ETHER L3_IPV4 L4_UDP  - l2_len=14 - l3_len=20 - l4_len=8 - Send queue=0x0`,
      '  ol_flags: RTE_MBUF_F_TX_L4_NO_CKSUM ',
    ]);
  }
  await p.command('stop');
  await p.command('quit').catch(() => undefined);
});
