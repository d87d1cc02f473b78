import test from 'ava';
import { Eal } from '@dpkit/eal';
import { defineDriver, defineParams } from '@dpkit/eal/driver';
import { burstStats, fwdStats, fwdStreamStats, portInfo, rssFlowTypes } from '../display.js';

test('show port info\'s RSS flow types wrap as DPDK\'s rss_offload_types_display', (t) => {
  t.deepEqual(rssFlowTypes(0), ['No RSS offload flow type is supported.']);
  // bits 2..21, as DPDK 22.11 printed them for net_null (whose mask also has mpls, bit 33)
  const mask = 2 ** 22 - 4;
  t.deepEqual(rssFlowTypes(mask), [
    'Supported RSS offload flow types:',
    '  ipv4  ipv4-frag  ipv4-tcp  ipv4-udp  ipv4-sctp  ipv4-other',
    '  ipv6  ipv6-frag  ipv6-tcp  ipv6-udp  ipv6-sctp  ipv6-other',
    '  l2-payload  ipv6-ex  ipv6-tcp-ex  ipv6-udp-ex  port  vxlan',
    '  geneve  nvgre',
  ]);
  // a type that would bring the line to exactly 64 characters goes on the next line (`>=` in DPDK's)
  t.deepEqual(rssFlowTypes(2 ** 2 + 2 ** 3 + 2 ** 4 + 2 ** 6 + 2 ** 16 + 2 ** 17),
    ['Supported RSS offload flow types:', '  ipv4  ipv4-frag  ipv4-tcp  ipv4-sctp  ipv6-tcp-ex', '  ipv6-udp-ex']);
  // a bit dpkit has no name for is shown as DPDK shows one it has no name for
  t.deepEqual(rssFlowTypes(2 ** 2 + 2 ** 40), ['Supported RSS offload flow types:', '  ipv4  user-defined-40']);
});

// a port that can strip VLAN tags and QinQ (RTE_ETH_RX_OFFLOAD_VLAN_STRIP, bit 0; QINQ_STRIP, bit 5)
export const createRxQueue = () => ({ rxBurst: () => 0 });
export const createTxQueue = () => ({ txBurst: () => 0 });
const vlanDriver = defineDriver({
  name: 'net_vlanstrip',
  bus: 'vdev',
  drvFlags: 0,
  params: defineParams({}),
  probe(device, ctx) {
    ctx.ethdev.allocate({
      name: device.name, device, driver: 'net_vlanstrip', priv: {},
      ops: {
        infoGet: () => ({ rxOffloadCapa: 0x21, flowTypeRssOffloads: 0x3c }), configure: () => undefined, start: () => undefined, stop: () => undefined,
        close: () => undefined, rxQueueSetup: () => null, txQueueSetup: () => null, linkUpdate: () => ({ speed: 0, duplex: 'full', autoneg: false, up: false }),
      },
      fastPath: { module: import.meta.url, impl: { createRxQueue, createTxQueue } },
    });
  },
  remove(device, ctx) {
    for (const p of [...device.ports]) ctx.ethdev.release(ctx.ethdev.get(p));
  },
});

test('show port info\'s VLAN offload line says what the port was configured to strip (rte_eth_dev_get_vlan_offload)', async (t) => {
  const eal = (await Eal.init(['-l', '0', '--no-pci', '--vdev=net_vlanstrip0', `--file-prefix=display-${process.pid}`], { drivers: [vlanDriver] }))!;
  try {
    const dev = eal.ethdevs.get(0);
    await dev.configure(1, 1, { rxmode: { offloads: 0x21 } });
    const lines = portInfo(dev, dev.info()).split('\n');
    const at = lines.indexOf('VLAN offload: ');
    t.deepEqual(lines.slice(at, at + 5), ['VLAN offload: ', '  strip on, filter off, extend off, qinq strip on',
      'Supported RSS offload flow types:', '  ipv4  ipv4-frag  ipv4-tcp  ipv4-udp', 'Minimum size of RX buffer: 0']);
  } finally {
    await eal.cleanup();
  }
});

test('--record-burst-stats lines as DPDK\'s pkt_burst_stats_display: bursts of 0 first, the two most frequent sizes, truncated percentages, the rest as other', (t) => {
  const spread = (m: Record<number, number>) => Float64Array.from({ length: 513 }, (_, n) => m[n] ?? 0);
  t.is(burstStats('RX', spread({ 32: 588224 })), '  RX-bursts : 588224 [0% of 0 pkts + 100% of 32 pkts]');
  t.is(burstStats('TX', spread({ 0: 7 })), '  TX-bursts : 7 [100% of 0 pkts]');
  t.is(burstStats('RX', spread({ 0: 10, 7: 5, 16: 25, 32: 60 })), '  RX-bursts : 100 [10% of 0 pkts + 60% of 32 pkts + 25% of 16 pkts + 5% of other]');
  // a tie keeps the smaller size first; the last entry takes what truncation left
  t.is(burstStats('RX', spread({ 0: 1, 1: 1, 2: 1 })), '  RX-bursts : 3 [33% of 0 pkts + 33% of 1 pkts + 34% of 2 pkts]');
  t.is(burstStats('TX', spread({})), undefined);
});

test('csum mode\'s checksum counts as DPDK\'s fwd_stats_display and fwd_stream_stats_display print them', (t) => {
  const csum = { badIp: 3, badL4: 12, badOuterL4: 0, badOuterIp: 1 };
  const port = fwdStats(1, { rx: 40, rxDropped: 0, tx: 40, txDropped: 0, rxErrors: 0, rxNombuf: 0 }, [], csum).split('\n');
  t.deepEqual(port.slice(2, 6), [
    '  RX-packets: 40             RX-dropped: 0             RX-total: 40',
    '  Bad-ipcsum: 3              Bad-l4csum: 12            Bad-outer-l4csum: 0             ',
    '  Bad-outer-ipcsum: 1             ',
    '  TX-packets: 40             TX-dropped: 0             TX-total: 40',
  ]);
  const stream = fwdStreamStats({ rxPort: 0, rxQueue: 1, txPort: 1, txQueue: 1 }, 7, 7, 0, [], csum).split('\n');
  t.deepEqual(stream.slice(1), [
    '  ------- Forward Stats for RX Port= 0/Queue= 1 -> TX Port= 1/Queue= 1 -------',
    '  RX-packets: 7              TX-packets: 7              TX-dropped: 0               RX- bad IP checksum: 3               Rx- bad L4 checksum: 12             Rx- bad outer L4 checksum: 0             ',
    ' RX- bad outer IP checksum: 1             ',
  ]);
  t.false(fwdStats(1, { rx: 1, rxDropped: 0, tx: 1, txDropped: 0, rxErrors: 0, rxNombuf: 0 }).includes('Bad-'), 'other modes: no checksum lines');
});
