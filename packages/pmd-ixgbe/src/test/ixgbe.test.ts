/**
 * net_ixgbe on the emulated 82599 (dpkit-sim-82599 bx0 --loopback in a namespace of the test's
 * own), through the bifurc bus with the sim-82599 provider: the RFC's --vdev=net_bifurc0,iface=bx0,qpairs=1
 * (queue 32). Each test runs fixtures/child.js in the namespace and checks what it printed.
 */
import test from 'ava';
import { kernelTest } from '@dpkit/eal/testing';
import { loopbackNic } from './netns.js';

const real = kernelTest(test.serial);

/** ntuple on and one udp4 rule per [destination port, netdev queue] */
function steer(x: Awaited<ReturnType<typeof loopbackNic>>, ...rules: [number, number][]): void {
  x.ethtool('-K', 'bx0', 'ntuple', 'on');
  for (const [port, queue] of rules) x.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', String(port), 'action', String(queue));
}

real('the ethdev conformance suite passes on the emulated NIC in loopback, every case run: an EtherType filter steers the suite\'s frames to queue 32', async (t) => {
  const x = await loopbackNic(t);
  x.ethtool('-K', 'bx0', 'ntuple', 'on');
  // the suite's frames are EtherType 0x88b5: only an EtherType filter (ETQF/ETQS) reaches a split queue with them
  t.is(x.ethtool('-N', 'bx0', 'flow-type', 'ether', 'proto', '0x88b5', 'action', '32'), 'Added rule with ID 2045\n');
  const cases = x.run(['conformance', 'loopback']).trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok?: boolean; error?: string; skipped?: string });
  t.deepEqual(cases.filter((c) => c.skipped).map((c) => c.name), [], 'no case skipped');
  t.is(cases.length, 12);
  for (const c of cases) t.true(c.ok, `${c.name}: ${c.error ?? ''}`);
  t.regex(x.ethtool('-S', 'bx0'), /\n     rx_queue_32_packets: [1-9]\d*\n/, 'the frames came back through queue 32');
});

real('the ethdev conformance suite on 2 queue pairs (queues 32-33), without loopback: one EtherType filter cannot bring each tx queue\'s frames back on its own rx queue', async (t) => {
  const x = await loopbackNic(t);
  const cases = x.run(['conformance'], { QPAIRS: '2' }).trim().split('\n').map((l) => JSON.parse(l) as { name: string; ok?: boolean; error?: string; skipped?: string });
  t.deepEqual(cases.filter((c) => c.skipped).map((c) => c.name), [
    'net_bifurc0: rx sets every header field of the mbufs it returns and counts their bytes',
    'net_bifurc0: rx bursts honour start and n of the burst array',
  ]);
  t.is(cases.length, 12);
  for (const c of cases) if (!c.skipped) t.true(c.ok, `${c.name}: ${c.error ?? ''}`);
});

real('frames through tx and rx queue 32 in loopback: bytes, counts, packet type, chains, every mbuf back after stop', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32]);
  // L2 ether | L3 IPv4 | L4 UDP = 0x211; a flow director match: RX_FDIR (0x4) and the filter's id (its location) as the hash
  t.is(x.run(['udp', '10', '100', '1']), 'sent 10 received 10 same 10 first 1:100 ptype 0x211 ol_flags 0x4 hash 2045 opackets 10 ipackets 10 ibytes 1000\nin use after stop 0\n');
  // 300 frames through 128-descriptor rings (wrapping both, RS and refill batches of 32), each
  // sent as two 1500-byte segments and received as a 2048 + 952 chain (2 KB rx buffers, EOP on the second)
  t.is(x.run(['udp', '300', '3000', '2']), 'sent 300 received 300 same 300 first 2:2048+952 ptype 0x211 ol_flags 0x4 hash 2045 opackets 300 ipackets 300 ibytes 900000\nin use after stop 0\n');
  // mbufs of a pool the NIC cannot reach: copied into the rx pool's buffers (tx_q0_copies); a packet
  // longer than one such buffer cannot be copied: freed and counted in oerrors, not sent
  t.is(x.run(['udp', '50', '200', '1', 'copy']), 'sent 50 received 50 same 50 first 1:200 ptype 0x211 ol_flags 0x4 hash 2045 opackets 50 ipackets 50 ibytes 10000 copies 50 oerrors 0\nin use after stop 0 + 0\n');
  // a chain whose first segment the NIC reaches and whose second it does not: copied whole too
  // (before, only the first segment's pool was checked, and the NIC faulted on the second)
  t.is(x.run(['udp', '20', '200', '2', 'mixed']), 'sent 20 received 20 same 20 first 1:200 ptype 0x211 ol_flags 0x4 hash 2045 opackets 20 ipackets 20 ibytes 4000 copies 20 oerrors 0\nin use after stop 0 + 0\n');
  t.is(x.run(['udp', '10', '3000', '2', 'copy']), 'sent 10 received 0 same 0 first  ptype 0x-1  opackets 0 ipackets 0 ibytes 0 copies 0 oerrors 10\nin use after stop 0 + 0\n');
  t.regex(x.ethtool('-S', 'bx0'), /rx_queue_32_packets: 380\n/, 'the NIC received them on queue 32');
});

real('frames the NIC drops for a full rx ring are counted: the NIC\'s QPRDC in imissed and rx_q0_nic_dropped, its QPRC/QBRC/QPTC/QBTC in xstats', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32]);
  // 300 frames into a 128-descriptor ring nobody empties: 127 descriptors are the NIC's, 173 frames dropped
  t.is(x.run(['drop', '300']), 'sent 300 received 127 ipackets 127 imissed 173 rx_missed_errors 173 rx_q0_nic_packets 127 rx_q0_nic_bytes 7620 ' +
    'rx_q0_nic_dropped 173 tx_q0_nic_packets 300 tx_q0_nic_bytes 18000\n' +
    'after reset imissed 0 rx_q0_nic_dropped 0\n' +
    'after restart imissed 73 ipackets 127\n');
  t.regex(x.ethtool('-S', 'bx0'), /\n     rx_no_descriptors: 246\n/, 'the emulator counted the same drops');
});

real('rx out of mbufs: rx_nombuf counts each failed refill batch, the frames in the ring are still delivered, the NIC drops what does not fit (imissed), delivery resumes once mbufs come back', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32]);
  t.is(x.run(['nombuf'], { QPAIRS: '2' }),
    'bursts 32,32,32,4,0: held 100 pool free 0 ipackets 100 rx_nombuf 160 imissed 0\n' +
    'then 27,0: held 127 pool free 0 ipackets 127 rx_nombuf 224 imissed 23\n' +
    'freed 127 bursts 0: held 0 pool free 31 ipackets 127 rx_nombuf 224 imissed 23\n' +
    // 96 descriptors refilled: the 50 fit; the 31 mbufs left are less than a batch, so both bursts' refills fail again
    'resumed 32,18: held 50 pool free 31 ipackets 177 rx_nombuf 288 imissed 23\n' +
    'after stop in use 0 + 0\n');
});

real('two queue pairs: rules to queues 32 and 33, each frame on its own queue, per-queue counts', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32], [7778, 33]);
  t.is(x.run(['two'], { QPAIRS: '2' }),
    'sent 300+300 rx queue 0 300 (wrong port 0) rx queue 1 300 (wrong port 0) qIpackets 300,300 qOpackets 300,300 nic rx 300,300 nic tx 300,300 imissed 0\n' +
    'in use after stop 0\n');
});

real('promiscuous mode, link and MTU through the kernel interface: the port\'s mode put on bx0 at start and taken back at stop', async (t) => {
  const x = await loopbackNic(t);
  t.is(x.run(['modes']),
    'stopped, promiscuous asked: not promisc port true\n' +
    'started: PROMISC link up\n' +
    'off: not promisc on: PROMISC\n' +
    'ip link set down: link down; up again: link up\n' +
    'mtu 1400 netdev 1400\n' +
    'stopped: not promisc link down port true\n');
});

real('flow rules through the port program the NIC\'s flow director (dpkit-ethtool -n lists them); describe shows the split queues and every NIC filter', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32]);
  x.ethtool('-N', 'bx0', 'flow-type', 'ether', 'proto', '0x88b5', 'action', '32');
  steer(x, [53, 5]);
  const rule = (loc: number, port: number, queue: number) => `Filter: ${loc}\n\tRule Type: UDP over IPv4\n\tSrc IP addr: 0.0.0.0 mask: 255.255.255.255\n` +
    `\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n\tTOS: 0x0 mask: 0xff\n\tSrc port: 0 mask: 0xffff\n\tDest port: ${port} mask: 0x0\n\tAction: Direct to queue ${queue}\n\n`;
  t.is(x.run(['flow'], { QPAIRS: '2' }),
    'flow create: rule 2042\n' +
    `128 RX rings available\nTotal 4 rules\n\n${rule(2042, 7779, 33)}${rule(2043, 53, 5)}Filter: 2044\n\tFlow Type: Raw Ethernet\n` +
    '\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n' +
    `\tEthertype: 0x88B5 mask: 0x0\n\tAction: Direct to queue 32\n\n${rule(2045, 7777, 32)}` +
    'Kernel netdev: bx0 (ifindex 2), provider sim-82599\n' +
    'Split queues: queue 0 <- bx0 queue 32; queue 1 <- bx0 queue 33; split off the kernel, driven on their descriptor rings\n' +
    'Flow rules: 3; unmatched traffic stays with the kernel\n' +
    'NIC filters of bx0:\n' +
    '  filter 2042: ipv4 UDP dport 7779/0xffff => queue 1 (bx0 queue 33)\n' +
    '  filter 2043: ipv4 UDP dport 53/0xffff => bx0 queue 5 (not this port\'s)\n' +
    '  filter 2044: EtherType 0x88b5 => queue 0 (bx0 queue 32)\n' +
    '  filter 2045: ipv4 UDP dport 7777/0xffff => queue 0 (bx0 queue 32)\n' +
    'sent 20 to 7779: rx queue 1 20 (wrong port 0), rx queue 0 0\n' +
    'ipv6: net_bifurc0: flow rule \'ipv6 UDP dport 7779/0xffff => QUEUE 1\': the emulated 82599 takes tcp4, udp4 and sctp4 rules (IPv4 with TCP, UDP or SCTP); ip4 and IPv6 rules are not built\n' +
    'flow destroy: Total 3 rules\n');
});

real('16 split queues: the 16th gets no stat index of its own, and the port says so instead of counting nothing', async (t) => {
  const x = await loopbackNic(t);
  steer(x, [7777, 32]);
  const { stdout, stderr } = x.runBoth(['many'], { QPAIRS: '16' });
  const once = 'rx_q14_nic_dropped true rx_q15_nic_dropped false tx_q15_nic_packets false\n' +
    'NIC counters: none for queue 15 (all of bx0\'s stat indexes are in use): what the NIC drops for it is not in imissed\n';
  // the NIC's counters keep running across stop/start: 10 frames, then 5
  t.is(stdout, `${once}received 10 rx_q0_nic_packets 10\n${once}received 5 rx_q0_nic_packets 15\n`, 'the same after a restart: returned queues give their stat indexes back');
  t.regex(stderr, /bx0 keeps no statistics counters of its own for queue 47 \(all of bx0's stat indexes are in use\): what the NIC drops for it is not in imissed; dpkit-ethtool -S bx0 counts it \(rx_no_descriptors\)\n/);
});

real('queue registers as the driver leaves them after start and stop (datasheet values)', async (t) => {
  const x = await loopbackNic(t);
  const [started, stopped] = x.run(['regs']).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(started, {
    queue: 32,
    // the port's ring region at IOVA slot 1 (0x1_0000_0000): rx ring 0 at its start, tx ring 1 64 KiB in
    RDBAL: '0x00000000', RDBAH: '0x00000001', RDLEN: 512 * 16,
    // SRRCTL: DESCTYPE advanced one-buffer (0x02000000) | DROP_EN (0x10000000) | BSIZEPACKET 2 (2 KB buffers)
    SRRCTL: '0x12000002',
    RXDCTL: '0x02000000', // ENABLE
    RDT: 511, // N - 1, written after ENABLE read back
    TDBAL: '0x00010000', TDBAH: '0x00000001', TDLEN: 256 * 16,
    TXDCTL: '0x02000020', // ENABLE | PTHRESH 32, WTHRESH 0
    TDT: 0, TDWBAL: 0, // nothing queued; no head write-back
    inUse: 512, // the rx ring's mbufs
  });
  t.deepEqual(stopped, { RXDCTL: '0x00000000', TXDCTL: '0x00000020', inUse: 0 }, 'stop clears ENABLE and frees every mbuf');
});

real('threshold rules: DPDK\'s checks and messages at queue setup', async (t) => {
  const x = await loopbackNic(t);
  const setup = (rxd: number, txd: number, rxFree: number, txFree: number, txRs: number) => x.run(['setup', `${rxd}`, `${txd}`, `${rxFree}`, `${txFree}`, `${txRs}`]).trim();
  t.is(setup(128, 128, 0, 0, 126), 'error ffff:00:00.2: tx_rs_thresh must be less than the number of TX descriptors minus 2. (tx_rs_thresh=126 port=0 queue=0)');
  t.is(setup(128, 128, 0, 125, 0), 'error ffff:00:00.2: tx_rs_thresh must be less than the tx_free_thresh must be less than the number of TX descriptors minus 3. (tx_free_thresh=125 port=0 queue=0)');
  t.is(setup(128, 128, 0, 0, 64), 'error ffff:00:00.2: tx_rs_thresh must be less than or equal to tx_free_thresh. (tx_free_thresh=32 tx_rs_thresh=64 port=0 queue=0)');
  // both given (testpmd --txfreet=32 --txrst=64): DPDK's line too, not ethdev's own check's
  t.is(setup(128, 128, 0, 32, 64), 'error ffff:00:00.2: tx_rs_thresh must be less than or equal to tx_free_thresh. (tx_free_thresh=32 tx_rs_thresh=64 port=0 queue=0)');
  t.is(setup(128, 128, 0, 0, 24), 'error ffff:00:00.2: tx_rs_thresh must be a divisor of the number of TX descriptors. (tx_rs_thresh=24 port=0 queue=0)');
  t.is(setup(128, 128, 128, 0, 0), 'error ffff:00:00.2: rx_free_thresh (128) must be less than 128');
  t.is(setup(128, 128, 48, 0, 0), 'error ffff:00:00.2: rx_free_thresh (48) must be a divisor of the number of RX descriptors (128)');
  t.is(setup(128, 128, 32, 32, 32), 'ok', 'the RFC\'s --rxfreet=32 --txfreet=32 --txrst=32');
});

real('features.ini holds for a port on the emulated NIC (checkFeatures)', async (t) => {
  const x = await loopbackNic(t);
  t.is(x.run(['features']), 'ok 12\n');
});
