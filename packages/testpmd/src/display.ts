/**
 * testpmd's output, in DPDK testpmd's formats (app/test-pmd/config.c and testpmd.c), so its
 * users read it at a glance: `NIC statistics for port N`, `Forward statistics for port N`,
 * `Infos for port N`, the forwarding configuration, and extended statistics.
 */
import { formatMac, type DevInfo, type EthDev, type EthStats } from '@dpkit/eal';

const NIC_BORDER = '#'.repeat(24);
const FWD_BORDER = '-'.repeat(22);
const ACC_BORDER = '+'.repeat(15);
const padL = (v: number | string, w: number) => String(v).padEnd(w);
const padR = (v: number | string, w: number) => String(v).padStart(w);

export interface Throughput {
  rxPps: number;
  rxBps: number;
  txPps: number;
  txBps: number;
}

/** nic_stats_display; the text starts with a newline, as DPDK's does. `xstats`: the --display-xstats lines, with their rates */
export function nicStats(port: number, s: EthStats, t: Throughput, xstats: { name: string; value: number; rate: number }[] = []): string {
  return [
    '',
    `  ${NIC_BORDER} NIC statistics for port ${padL(port, 2)} ${NIC_BORDER}`,
    `  RX-packets: ${padL(s.ipackets, 10)} RX-missed: ${padL(s.imissed, 10)} RX-bytes:  ${s.ibytes}`,
    `  RX-errors: ${s.ierrors}`,
    `  RX-nombuf:  ${padL(s.rxNombuf, 10)}`,
    `  TX-packets: ${padL(s.opackets, 10)} TX-errors: ${padL(s.oerrors, 10)} TX-bytes:  ${s.obytes}`,
    '',
    '  Throughput (since last show)',
    `  Rx-pps: ${padR(t.rxPps, 12)}          Rx-bps: ${padR(t.rxBps, 12)}`,
    `  Tx-pps: ${padR(t.txPps, 12)}          Tx-bps: ${padR(t.txBps, 12)}`,
    ...(xstats.length > 0 ? ['', `${' '.repeat(31)}${padL('Value', 17)}Rate (since last show)`] : []),
    ...xstats.map((x) => `  ${padL(x.name, 25)}${padR(x.value, 12)} ${padR(x.rate, 15)}`),
    `  ${NIC_BORDER}${'#'.repeat(28)}${NIC_BORDER}`,
  ].join('\n');
}

export interface FwdPortStats {
  rx: number;
  rxDropped: number;
  tx: number;
  txDropped: number;
  rxErrors: number;
  rxNombuf: number;
}

/**
 * pkt_burst_stats_display: `  RX-bursts : TOTAL [P% of 0 pkts + P% of N pkts + ...]`, the
 * bursts of 0 packets first, then the two most frequent sizes (the smaller on a tie), each
 * percentage truncated, the last entry taking what is left (`P% of other` after three), as
 * DPDK's; undefined when no burst was counted. `spread[n]`: bursts of n packets.
 */
export function burstStats(rxTx: 'RX' | 'TX', spread: ArrayLike<number>): string | undefined {
  let total = spread[0]!;
  const count = [spread[0]!, 0, 0];
  const size = [0, 0, 0];
  for (let n = 1; n < spread.length; n++) {
    const c = spread[n]!;
    if (c === 0) continue;
    total += c;
    if (c > count[1]!) {
      count[2] = count[1]!; size[2] = size[1]!;
      count[1] = c; size[1] = n;
    } else if (c > count[2]!) {
      count[2] = c; size[2] = n;
    }
  }
  if (total === 0) return undefined;
  let line = `  ${rxTx}-bursts : ${total} [`;
  let sum = 0;
  let pct = 0;
  for (let i = 0; i < 3; i++) {
    sum += count[i]!;
    if (sum === total) return `${line}${100 - pct}% of ${size[i]} pkts]`;
    const p = Math.floor((count[i]! / total) * 100);
    line += `${p}% of ${size[i]} pkts + `;
    pct += p;
  }
  return `${line}${100 - pct}% of other]`;
}

/** The csum engine's counts of received packets with bad checksums (DPDK's rx_bad_*_csum). */
export interface CsumCounts {
  badIp: number;
  badL4: number;
  badOuterL4: number;
  badOuterIp: number;
}

/** One port's block of fwd_stats_display; `bursts`: its --record-burst-stats lines; `csum`: its checksum counts in csum mode. */
export function fwdStats(port: number, f: FwdPortStats, bursts: string[] = [], csum?: CsumCounts): string {
  const lines = [
    '',
    `  ${FWD_BORDER} Forward statistics for port ${padL(port, 2)} ${FWD_BORDER}`,
    `  RX-packets: ${padL(f.rx, 14)} RX-dropped: ${padL(f.rxDropped, 14)}RX-total: ${f.rx + f.rxDropped}`,
  ];
  if (csum) {
    lines.push(
      `  Bad-ipcsum: ${padL(csum.badIp, 14)} Bad-l4csum: ${padL(csum.badL4, 14)}Bad-outer-l4csum: ${padL(csum.badOuterL4, 14)}`,
      `  Bad-outer-ipcsum: ${padL(csum.badOuterIp, 14)}`,
    );
  }
  if (f.rxErrors + f.rxNombuf > 0) {
    lines.push(`  RX-error: ${f.rxErrors}`, `  RX-nombufs: ${padL(f.rxNombuf, 14)}`);
  }
  lines.push(
    `  TX-packets: ${padL(f.tx, 14)} TX-dropped: ${padL(f.txDropped, 14)}TX-total: ${f.tx + f.txDropped}`,
    ...bursts,
    `  ${'-'.repeat(76)}`,
  );
  return lines.join('\n');
}

/**
 * fwd_stream_stats_display: one stream's block (DPDK pads each count to 14 and ends the line
 * there; in csum mode the checksum counts follow on the same line, then one more line).
 */
export function fwdStreamStats(s: { rxPort: number; rxQueue: number; txPort: number; txQueue: number }, rx: number, tx: number, dropped: number, bursts: string[] = [], csum?: CsumCounts): string {
  const counts = `  RX-packets: ${padL(rx, 14)} TX-packets: ${padL(tx, 14)} TX-dropped: ${padL(dropped, 14)}`;
  return [
    '',
    `  ------- Forward Stats for RX Port=${padR(s.rxPort, 2)}/Queue=${padR(s.rxQueue, 2)} -> TX Port=${padR(s.txPort, 2)}/Queue=${padR(s.txQueue, 2)} -------`,
    ...(csum
      ? [`${counts}  RX- bad IP checksum: ${padL(csum.badIp, 14)}  Rx- bad L4 checksum: ${padL(csum.badL4, 14)} Rx- bad outer L4 checksum: ${padL(csum.badOuterL4, 14)}`,
        ` RX- bad outer IP checksum: ${padL(csum.badOuterIp, 14)}`]
      : [counts]),
    ...bursts,
  ].join('\n');
}

export function accumulatedStats(f: FwdPortStats): string {
  return [
    '',
    `  ${ACC_BORDER} Accumulated forward statistics for all ports${ACC_BORDER}`,
    `  RX-packets: ${padL(f.rx, 14)} RX-dropped: ${padL(f.rxDropped, 14)}RX-total: ${f.rx + f.rxDropped}`,
    `  TX-packets: ${padL(f.tx, 14)} TX-dropped: ${padL(f.txDropped, 14)}TX-total: ${f.tx + f.txDropped}`,
    `  ${'+'.repeat(76)}`,
  ].join('\n');
}

export function xstats(port: number, list: { name: string; value: number }[]): string {
  return [`###### NIC extended statistics for port ${port} `, ...list.map((x) => `${x.name}: ${x.value}`)].join('\n');
}

/** port_infos_display */
export function portInfo(dev: EthDev, info: DevInfo): string {
  const link = dev.link;
  const speed = link.speed === 0 ? 'None' : link.speed >= 1000 ? `${link.speed / 1000} Gbps` : `${link.speed} Mbps`;
  const onOff = (b: boolean) => (b ? 'enabled' : 'disabled');
  const rxOffloads = dev.conf.rxmode?.offloads ?? 0;
  const onOffBit = (mask: number, bit: number) => (bitSet(mask, bit) ? 'on' : 'off');
  return [
    '',
    `${'*'.repeat(21)} Infos for port ${padL(dev.portId, 2)} ${'*'.repeat(21)}`,
    `MAC address: ${formatMac(dev.mac)}`,
    `Device name: ${dev.name}`,
    `Driver name: ${dev.driverName}`,
    `Firmware-version: ${info.firmwareVersion ?? 'not available'}`,
    `Devargs: ${dev.device.devargs?.args ?? dev.device.parent?.devargs?.args ?? ''}`,
    `Connect to socket: ${dev.device.numaNode}`,
    `memory allocation on the socket: ${dev.device.numaNode}`,
    `Link status: ${link.up ? 'up' : 'down'}`,
    `Link speed: ${speed}`,
    `Link duplex: ${link.duplex}-duplex`,
    `Autoneg status: ${link.autoneg ? 'On' : 'Off'}`,
    `MTU: ${dev.mtu}`,
    `Promiscuous mode: ${onOff(dev.promiscuous)}`,
    `Allmulticast mode: ${onOff(dev.allMulticast)}`,
    `Maximum number of MAC addresses: ${info.maxMacAddrs}`,
    `Maximum number of MAC addresses of hash filtering: 0`,
    // rte_eth_dev_get_vlan_offload: from the configured rx offloads (RTE_ETH_RX_OFFLOAD_VLAN_STRIP
    // bit 0, VLAN_FILTER 9, VLAN_EXTEND 10, QINQ_STRIP 5); dpkit's ports have no RSS
    // redirection table or hash key, so those lines are left out as DPDK leaves them out
    'VLAN offload: ',
    `  strip ${onOffBit(rxOffloads, 0)}, filter ${onOffBit(rxOffloads, 9)}, extend ${onOffBit(rxOffloads, 10)}, qinq strip ${onOffBit(rxOffloads, 5)}`,
    ...rssFlowTypes(info.flowTypeRssOffloads),
    `Minimum size of RX buffer: ${info.minRxBufSize}`,
    `Maximum configurable length of RX packet: ${info.maxRxPktLen}`,
    'Maximum configurable size of LRO aggregated packet: 0',
    `Current number of RX queues: ${dev.nbRxQueues}`,
    `Max possible RX queues: ${info.maxRxQueues}`,
    `Max possible number of RXDs per queue: ${info.rxDescLimits.max}`,
    `Min possible number of RXDs per queue: ${info.rxDescLimits.min}`,
    `RXDs number alignment: ${info.rxDescLimits.align}`,
    `Current number of TX queues: ${dev.nbTxQueues}`,
    `Max possible TX queues: ${info.maxTxQueues}`,
    `Max possible number of TXDs per queue: ${info.txDescLimits.max}`,
    `Min possible number of TXDs per queue: ${info.txDescLimits.min}`,
    `TXDs number alignment: ${info.txDescLimits.align}`,
    `Device capabilities: 0x${info.devCapa.toString(16)}(${DEV_CAPA.filter((_, bit) => bitSet(info.devCapa, bit)).map((n) => ` ${n}`).join('')} )`,
    'Device error handling mode: none',
    ...(info.ifName ? [`Kernel interface: ${info.ifName}`] : []),
    ...(dev.device.pci ? [`PCI device: ${dev.device.pci.address} ${hex4(dev.device.pci.vendor)}:${hex4(dev.device.pci.device)}${dev.device.pci.kernelDriver ? ` (kernel driver ${dev.device.pci.kernelDriver})` : ''}`] : []),
    ...(dev.closed ? [] : dev.describe()),
  ].join('\n');
}

const bitSet = (mask: number, bit: number) => Math.floor(mask / 2 ** bit) % 2 === 1;

/** RTE_ETH_DEV_CAPA_* names, by bit */
const DEV_CAPA = ['RUNTIME_RX_QUEUE_SETUP', 'RUNTIME_TX_QUEUE_SETUP', 'RXQ_SHARE', 'FLOW_RULE_KEEP', 'FLOW_SHARED_OBJECT_KEEP'];

/** RTE_ETH_RSS_* names of bits 2 to 21 (ipv4 ... nvgre); other bits are shown as DPDK shows a bit it has no name for */
const RSS_TYPES = ['ipv4', 'ipv4-frag', 'ipv4-tcp', 'ipv4-udp', 'ipv4-sctp', 'ipv4-other', 'ipv6', 'ipv6-frag', 'ipv6-tcp', 'ipv6-udp',
  'ipv6-sctp', 'ipv6-other', 'l2-payload', 'ipv6-ex', 'ipv6-tcp-ex', 'ipv6-udp-ex', 'port', 'vxlan', 'geneve', 'nvgre'];

/**
 * show port info's RSS lines (rss_offload_types_display): each type after two spaces, a new
 * line before one that would bring the line to 64 characters.
 */
export function rssFlowTypes(mask: number): string[] {
  if (mask === 0) return ['No RSS offload flow type is supported.'];
  const lines: string[] = [];
  let line = '';
  for (let bit = 0; bit < 53; bit++) {
    if (!bitSet(mask, bit)) continue;
    const name = RSS_TYPES[bit - 2] ?? `user-defined-${bit}`;
    if (line.length + name.length + 2 >= 64) {
      lines.push(line);
      line = '';
    }
    line += `  ${name}`;
  }
  return ['Supported RSS offload flow types:', ...lines, line];
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function macOf(bytes: ArrayLike<number>): string {
  return formatMac(Uint8Array.from(bytes));
}

/** rte_eth_link_speed_to_str for the speeds a link reports (Mbps): `None`, `100 Mbps`, `2.5 Gbps`, `10 Gbps` */
export function linkSpeed(mbps: number): string {
  if (mbps === 0) return 'None';
  if (mbps === 0xffffffff) return 'Unknown';
  return mbps < 1000 ? `${mbps} Mbps` : `${mbps / 1000} Gbps`;
}

export const PORT_SUMMARY_HEAD = 'Port MAC Address       Name         Driver         Status   Link';

/** One port's line of `show port summary` (port_summary_display). */
export function portSummaryLine(dev: EthDev): string {
  const link = dev.link;
  return `${padL(dev.portId, 4)} ${formatMac(dev.mac)} ${padL(dev.name, 12)} ${padL(dev.driverName, 14)} ${padL(link.up ? 'up' : 'down', 8)} ${linkSpeed(link.speed)}`;
}

/** `show config txpkts` (show_tx_pkt_segments); dpkit's txonly never splits packets at random */
export function txpktsConfig(txpkts: number[]): string {
  return [`Number of segments: ${txpkts.length}`, `Segment sizes: ${txpkts.join(',')}`, 'Split packet: off'].join('\n');
}

/** `show port P macs` (show_macs): the addresses the port has */
export function portMacs(macs: Uint8Array[]): string {
  return [`Number of MAC address added: ${macs.length}`, ...macs.map((m) => `  ${formatMac(m)}`)].join('\n');
}

/** strerror of the errno codes dpkit's errors carry, as DPDK prints rte_strerror(-ret) */
const STRERROR: Record<string, string> = {
  ENOTSUP: 'Operation not supported', ENODEV: 'No such device', EINVAL: 'Invalid argument', EBUSY: 'Device or resource busy',
  ENOMEM: 'Cannot allocate memory', EIO: 'Input/output error', EPERM: 'Operation not permitted', ENOSPC: 'No space left on device',
};

/** DPDK's text for an error's errno (`Operation not supported`), or its own message when it has none */
export function strerror(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && STRERROR[code]) || (err instanceof Error ? err.message.split('\n')[0]! : String(err));
}

/** rte_eth_dev_rx_offload_name / tx_offload_name of DPDK 22.11, by bit (undefined: no offload there) */
const RX_OFFLOADS: (string | undefined)[] = ['VLAN_STRIP', 'IPV4_CKSUM', 'UDP_CKSUM', 'TCP_CKSUM', 'TCP_LRO', 'QINQ_STRIP', 'OUTER_IPV4_CKSUM',
  'MACSEC_STRIP', undefined, 'VLAN_FILTER', 'VLAN_EXTEND', undefined, undefined, 'SCATTER', 'TIMESTAMP', 'SECURITY', 'KEEP_CRC', 'SCTP_CKSUM',
  'OUTER_UDP_CKSUM', 'RSS_HASH', 'BUFFER_SPLIT'];
const TX_OFFLOADS: (string | undefined)[] = ['VLAN_INSERT', 'IPV4_CKSUM', 'UDP_CKSUM', 'TCP_CKSUM', 'SCTP_CKSUM', 'TCP_TSO', 'UDP_TSO',
  'OUTER_IPV4_CKSUM', 'QINQ_INSERT', 'VXLAN_TNL_TSO', 'GRE_TNL_TSO', 'IPIP_TNL_TSO', 'GENEVE_TNL_TSO', 'MACSEC_INSERT', 'MT_LOCKFREE',
  'MULTI_SEGS', 'MBUF_FAST_FREE', 'SECURITY', 'UDP_TNL_TSO', 'IP_TNL_TSO', 'OUTER_UDP_CKSUM', 'SEND_ON_TIMESTAMP'];

/** print_rx_offloads / print_tx_offloads: ` NAME` for each bit set, as DPDK names them (UNKNOWN for a bit it has no name for) */
export function offloadNames(rx: boolean, mask: number): string {
  const names = rx ? RX_OFFLOADS : TX_OFFLOADS;
  let s = '';
  for (let bit = 0; bit < 53; bit++) if (bitSet(mask, bit)) s += ` ${names[bit] ?? 'UNKNOWN'}`;
  return s;
}

/**
 * `show port P rx_offload|tx_offload capabilities` (cmd_rx_offload_get_capa_parsed): dpkit's
 * drivers declare per-port capabilities only, so `Per Queue` is empty.
 */
export function offloadsCapabilities(rx: boolean, port: number, capa: number): string {
  return [`${rx ? 'Rx' : 'Tx'} Offloading Capabilities of port ${port} :`, '  Per Queue :', `  Per Port  :${offloadNames(rx, capa)}`, ''].join('\n');
}

/**
 * `show port P rx_offload|tx_offload configuration`: the port's offloads, then each queue's; a
 * dpkit queue has the port's (as testpmd gives each queue the port's offloads)
 */
export function offloadsConfiguration(rx: boolean, port: number, offloads: number, queues: number): string {
  const lines = [`${rx ? 'Rx' : 'Tx'} Offloading Configuration of port ${port} :`, `  Port :${offloadNames(rx, offloads)}`];
  for (let q = 0; q < queues; q++) lines.push(`  Queue[${String(q).padStart(2)}] :${offloadNames(rx, offloads)}`);
  return [...lines, ''].join('\n');
}

/** device_infos_display_speeds's names of the RTE_ETH_LINK_SPEED_* bits 0 to 15 */
const SPEED_CAPA = ['Disable autonegotiate (fixed speed)', '10 Mbps half-duplex', '10 Mbps full-duplex', '100 Mbps half-duplex',
  '100 Mbps full-duplex', '1 Gbps', '2.5 Gbps', '5 Gbps', '10 Gbps', '20 Gbps', '25 Gbps', '40 Gbps', '50 Gbps', '56 Gbps', '100 Gbps', '200 Gbps'];

/**
 * `show device info all|NAME` (device_infos_display): a device's lines, then each of its
 * ports'; the text starts with a newline, as DPDK's does.
 */
export function deviceInfo(dev: EthDev['device'], ports: EthDev[]): string {
  const pci = dev.pci;
  const lines = [
    '',
    `${'*'.repeat(21)} Infos for device ${dev.name} ${'*'.repeat(21)}`,
    `Bus name: ${dev.bus.name}`,
    `Bus information: ${pci ? `vendor_id=${pci.vendor.toString(16)}, device_id=${pci.device.toString(16)}` : ''}`,
    `Driver name: ${dev.driver?.name ?? ''}`,
    `Devargs: ${dev.devargs?.args ?? ''}`,
    `Connect to socket: ${dev.numaNode}`,
  ];
  for (const p of ports) {
    const capa = p.info().speedCapa;
    const speeds = capa === 0 ? ' Autonegotiate (all speeds)' : SPEED_CAPA.filter((_, bit) => bitSet(capa, bit)).map((s) => ` ${s}  `).join('');
    lines.push('', `\tPort id: ${padL(p.portId, 2)}`, `\tMAC address: ${formatMac(p.mac)}`, `\tDevice name: ${p.name}`, `\tDevice speed capability:${speeds}`);
  }
  return lines.join('\n');
}

/**
 * `show rxq info P Q` (rx_queue_infos_display): dpkit's queues have no prefetch/host/write-back
 * thresholds, drop or deferred start; no burst mode is reported, so that line is left out.
 */
export function rxqInfo(port: number, queue: number, pool: string, freeThresh: number, nbDesc: number, state: string): string {
  return [
    '',
    `${'*'.repeat(21)} Infos for port ${padL(port, 2)}, RX queue ${padL(queue, 2)} ${'*'.repeat(21)}`,
    `Mempool: ${pool}`, 'RX prefetch threshold: 0', 'RX host threshold: 0', 'RX writeback threshold: 0', `RX free threshold: ${freeThresh}`,
    'RX drop packets: off', 'RX deferred start: off', 'RX scattered packets: off', `Rx queue state: ${state}`, `Number of RXDs: ${nbDesc}`,
  ].join('\n');
}

/** `show txq info P Q` (tx_queue_infos_display), as rxqInfo */
export function txqInfo(port: number, queue: number, rsThresh: number, freeThresh: number, nbDesc: number, state: string): string {
  return [
    '',
    `${'*'.repeat(21)} Infos for port ${padL(port, 2)}, TX queue ${padL(queue, 2)} ${'*'.repeat(21)}`,
    'TX prefetch threshold: 0', 'TX host threshold: 0', 'TX writeback threshold: 0', `TX RS threshold: ${rsThresh}`, `TX free threshold: ${freeThresh}`,
    'TX deferred start: off', `Number of TXDs: ${nbDesc}`, `Tx queue state: ${state}`,
  ].join('\n');
}
