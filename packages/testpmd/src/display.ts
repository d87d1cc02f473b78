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

/** nic_stats_display; the text starts with a newline, as DPDK's does. */
export function nicStats(port: number, s: EthStats, t: Throughput): string {
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

/** One port's block of fwd_stats_display. */
export function fwdStats(port: number, f: FwdPortStats): string {
  const lines = [
    '',
    `  ${FWD_BORDER} Forward statistics for port ${padL(port, 2)} ${FWD_BORDER}`,
    `  RX-packets: ${padL(f.rx, 14)} RX-dropped: ${padL(f.rxDropped, 14)}RX-total: ${f.rx + f.rxDropped}`,
  ];
  if (f.rxErrors + f.rxNombuf > 0) {
    lines.push(`  RX-error: ${f.rxErrors}`, `  RX-nombufs: ${padL(f.rxNombuf, 14)}`);
  }
  lines.push(
    `  TX-packets: ${padL(f.tx, 14)} TX-dropped: ${padL(f.txDropped, 14)}TX-total: ${f.tx + f.txDropped}`,
    `  ${'-'.repeat(76)}`,
  );
  return lines.join('\n');
}

/** fwd_stream_stats_display: one stream's block (DPDK pads each count to 14 and ends the line there). */
export function fwdStreamStats(s: { rxPort: number; rxQueue: number; txPort: number; txQueue: number }, rx: number, tx: number, dropped: number): string {
  return [
    '',
    `  ------- Forward Stats for RX Port=${padR(s.rxPort, 2)}/Queue=${padR(s.rxQueue, 2)} -> TX Port=${padR(s.txPort, 2)}/Queue=${padR(s.txQueue, 2)} -------`,
    `  RX-packets: ${padL(rx, 14)} TX-packets: ${padL(tx, 14)} TX-dropped: ${padL(dropped, 14)}`,
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
    `Minimum size of RX buffer: ${info.minRxBufSize}`,
    `Maximum configurable length of RX packet: ${info.maxRxPktLen}`,
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
    ...(info.ifName ? [`Kernel interface: ${info.ifName}`] : []),
    ...(dev.device.pci ? [`PCI device: ${dev.device.pci.address} ${hex4(dev.device.pci.vendor)}:${hex4(dev.device.pci.device)}${dev.device.pci.kernelDriver ? ` (kernel driver ${dev.device.pci.kernelDriver})` : ''}`] : []),
    ...(dev.closed ? [] : dev.describe()),
  ].join('\n');
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function macOf(bytes: ArrayLike<number>): string {
  return formatMac(Uint8Array.from(bytes));
}
