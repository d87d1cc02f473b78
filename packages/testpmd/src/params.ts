/**
 * testpmd's application arguments (after `--`), as DPDK's app/test-pmd/parameters.c takes them.
 * Each bad value is one DpkitError naming the option.
 */
import { readFileSync } from 'node:fs';
import { DpkitError, parseMac } from '@dpkit/eal';

export type PortTopology = 'paired' | 'chained' | 'loop';

export interface TestpmdParams {
  interactive: boolean;
  autoStart: boolean;
  forwardMode: string;
  nbCores: number;
  /** --coremask: the forwarding lcores, in id order (checked against the EAL's at start) */
  fwdLcores: number[] | undefined;
  nbPorts: number | undefined;
  portmask: number | undefined;
  /** --portlist: the forwarding ports in the order given, duplicates dropped */
  portlist: number[] | undefined;
  rxq: number;
  txq: number;
  rxd: number;
  txd: number;
  burst: number;
  rxFreeThresh: number;
  txFreeThresh: number;
  txRsThresh: number;
  topology: PortTopology;
  ethPeers: Map<number, Uint8Array>;
  txpkts: number[];
  totalNumMbufs: number | undefined;
  /** --mbuf-size: the pool's data room (headroom included) */
  mbufSize: number | undefined;
  /** --rx-offloads, --enable-rx-cksum and --tx-offloads: the ports' configured offloads */
  rxOffloads: number;
  txOffloads: number;
  /** `csum set`: a port's tx offloads when they are not --tx-offloads' (used at its next configure) */
  portTxOffloads: Map<number, number>;
  /** RSS hash functions asked of ports with several rx queues (RTE_ETH_RSS_*): --rss-ip (default), --rss-udp, --disable-rss */
  rssHf: number;
  /** --max-pkt-len: the ports' MTU is this minus 18 (Ethernet header and CRC) */
  maxPktLen: number | undefined;
  mbcache: number;
  statsPeriod: number;
  txFirst: boolean;
  /** txonly's IPv4 source and destination (host order) and UDP ports (--tx-ip, --tx-udp) */
  txIpSrc: number;
  txIpDst: number;
  txUdpSrc: number;
  txUdpDst: number;
  /** --txonly-multi-flow: txonly varies the IPv4 source per packet */
  txonlyMultiFlow: boolean;
  /** --flowgen-flows */
  flowgenFlows: number;
  /** --no-lsc-interrupt: ports are not asked for link-state-change events */
  noLscInterrupt: boolean;
  /** --disable-link-check: no link status check once the ports are started */
  disableLinkCheck: boolean;
  /** --flow-isolate-all: every port isolated (flow isolate P 1) before it is configured */
  flowIsolateAll: boolean;
  /** --display-xstats: xstats shown under `show port stats` and the --stats-period display */
  displayXstats: string[];
  /** --record-burst-stats: RX-bursts/TX-bursts lines in the forward statistics */
  recordBurstStats: boolean;
  /** `set fwd MODE retry`: tx retries (--burst-tx-retry-num times, --burst-tx-delay-time us apart) */
  retryEnabled: boolean;
  burstTxDelayTime: number;
  burstTxRetryNum: number;
  /** the noisy engine's --noisy-* options (0: off) */
  noisyTxSwBufferSize: number;
  noisyTxSwBufferFlushtime: number;
  noisyLkupMemory: number;
  noisyLkupNumWrites: number;
  noisyLkupNumReads: number;
  noisyLkupNumReadsWrites: number;
  /** --cmdline-file: commands run at start */
  cmdlineFile: string | undefined;
  help: boolean;
  /** what DPDK's parameter parsing prints, in argument order (`Interactive-mode selected`, ...) */
  notices: string[];
}

/** BURST_TX_WAIT_US and BURST_TX_RETRIES: DPDK's defaults for `set fwd MODE retry` */
export const BURST_TX_WAIT_US = 1;
export const BURST_TX_RETRIES = 64;

/** MAX_PKT_BURST */
export const MAX_PKT_BURST = 512;
export const DEFAULT_BURST = 32;
/** txonly's default addresses, 198.18.0.1 -> 198.18.0.2 (DPDK's testpmd) */
export const TX_IP_SRC = ((198 << 24) | (18 << 16) | 1) >>> 0;
export const TX_IP_DST = ((198 << 24) | (18 << 16) | 2) >>> 0;

export function defaultParams(): TestpmdParams {
  return {
    interactive: false, autoStart: false, forwardMode: 'io', nbCores: 1, fwdLcores: undefined, nbPorts: undefined, portmask: undefined, portlist: undefined,
    rxq: 1, txq: 1, rxd: 0, txd: 0, burst: DEFAULT_BURST, rxFreeThresh: 0, txFreeThresh: 0, txRsThresh: 0,
    topology: 'paired', ethPeers: new Map(), txpkts: [64], totalNumMbufs: undefined, mbufSize: undefined, maxPktLen: undefined, rxOffloads: 0, txOffloads: 0, portTxOffloads: new Map(), rssHf: RSS_IP, mbcache: 250, statsPeriod: 0,
    txFirst: false, txIpSrc: TX_IP_SRC, txIpDst: TX_IP_DST, txUdpSrc: 9, txUdpDst: 9, txonlyMultiFlow: false, flowgenFlows: 1024, displayXstats: [], recordBurstStats: false,
    retryEnabled: false, burstTxDelayTime: BURST_TX_WAIT_US, burstTxRetryNum: BURST_TX_RETRIES,
    noisyTxSwBufferSize: 0, noisyTxSwBufferFlushtime: 0, noisyLkupMemory: 0, noisyLkupNumWrites: 0, noisyLkupNumReads: 0, noisyLkupNumReadsWrites: 0, cmdlineFile: undefined, flowIsolateAll: false, disableLinkCheck: false, noLscInterrupt: false,
    help: false, notices: [],
  };
}

type Apply = (p: TestpmdParams, v: string) => void;

function int(name: string, v: string, min: number, max: number): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new DpkitError(`invalid --${name} '${v}': expected an integer from ${min} to ${max}`);
  return n;
}

/** A dotted-quad IPv4 address as a host-order number, or undefined. */
function ipv4(v: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** A UDP port (0-65535), or undefined. */
function udpPort(v: string): number | undefined {
  return /^\d{1,5}$/.test(v) && Number(v) <= 0xffff ? Number(v) : undefined;
}

/** --eth-peers-configfile: one MAC a line, line N for port N-1 (DPDK's init_peer_eth_addrs). */
function readPeersFile(p: TestpmdParams, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DpkitError(`--eth-peers-configfile: cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const mac = parseMac(line.trim());
    if (!mac) throw new DpkitError(`--eth-peers-configfile ${file}: Bad MAC address format on line ${i + 1} ('${line}'); expected one XX:XX:XX:XX:XX:XX a line, line N for port N-1`);
    p.ethPeers.set(i, mac);
  });
}

/** RTE_ETH_RSS_IP: ipv4, ipv4-frag, ipv4-other, ipv6, ipv6-frag, ipv6-other, ipv6-ex (bits 2, 3, 7, 8, 9, 13, 15) */
export const RSS_IP = 0xa38c;
/** RTE_ETH_RSS_UDP: ipv4-udp, ipv6-udp, ipv6-udp-ex (bits 5, 11, 17) */
export const RSS_UDP = 0x20820;

/** RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | UDP_CKSUM | TCP_CKSUM */
const RX_OFFLOAD_CHECKSUM = 0xe;

/** An offload mask: hexadecimal, as DPDK's strtoull(..., 16), within the 32 bits dpkit's ethdev has. */
function offloads(name: string, v: string): number {
  if (!/^(0x)?[0-9a-f]{1,8}$/i.test(v)) throw new DpkitError(`invalid --${name} '${v}': expected a hexadecimal mask of at most 32 bits such as 0xe`);
  return parseInt(v.replace(/^0x/i, ''), 16) >>> 0;
}

/** A --noisy-* count (DPDK's `NAME must be >= 0`; dpkit takes up to 2^31 - 1). */
function noisyCount(name: string, key: 'noisyTxSwBufferSize' | 'noisyTxSwBufferFlushtime' | 'noisyLkupMemory' | 'noisyLkupNumWrites' | 'noisyLkupNumReads' | 'noisyLkupNumReadsWrites', help: string) {
  return { arg: true, help, apply: (p: TestpmdParams, v: string) => {
    if (!/^\d+$/.test(v) || Number(v) > 0x7fffffff) throw new DpkitError(`${name} must be >= 0 (--${name}=${v}: expected an integer from 0 to 2147483647)`);
    p[key] = Number(v);
  } };
}

/** An option that has no meaning in dpkit: accepted, and says so once. */
function noEffect(name: string, why: string): Apply {
  return (p) => {
    const line = `--${name}: ${why}; accepted, no effect`;
    if (!p.notices.includes(line)) p.notices.push(line);
  };
}

const OPTIONS: Record<string, { arg: boolean; help: string; apply: Apply }> = {
  interactive: { arg: false, help: 'run an interactive command line', apply: (p) => { p.interactive = true; p.notices.push('Interactive-mode selected'); } },
  'auto-start': { arg: false, help: 'start forwarding at once (interactive mode)', apply: (p) => { p.autoStart = true; p.notices.push('Auto-start selected'); } },
  'forward-mode': { arg: true, help: 'MODE  io, mac, macswap, rxonly, txonly, csum, flowgen, icmpecho, noisy, 5tswap', apply: (p, v) => {
    p.forwardMode = v;
    p.notices.push(`Set ${v} packet forwarding mode`);
  } },
  'nb-cores': { arg: true, help: 'N  forwarding lcores', apply: (p, v) => { p.nbCores = int('nb-cores', v, 1, 128); } },
  coremask: { arg: true, help: 'MASK  hexadecimal mask of forwarding lcores (not the main one)', apply: (p, v) => {
    const hex = v.replace(/^0x/i, '');
    if (!/^[0-9a-f]{1,32}$/i.test(hex)) throw new DpkitError(`Invalid fwd core mask '${v}' (--coremask): expected a hexadecimal mask such as 0x6`);
    const lcores: number[] = [];
    for (let i = 0; i < hex.length; i++) {
      const nibble = parseInt(hex[hex.length - 1 - i]!, 16);
      for (let b = 0; b < 4; b++) if ((nibble >>> b) & 1) lcores.push(i * 4 + b);
    }
    if (lcores.length === 0) throw new DpkitError(`coremask is not valid: Invalid NULL mask of cores (--coremask ${v})`);
    p.fwdLcores = lcores;
    p.nbCores = lcores.length;
  } },
  'nb-ports': { arg: true, help: 'N  forwarding ports', apply: (p, v) => { p.nbPorts = int('nb-ports', v, 1, 32); } },
  portmask: { arg: true, help: 'MASK  hexadecimal mask of forwarding ports', apply: (p, v) => {
    if (!/^(0x)?[0-9a-f]+$/i.test(v) || parseInt(v, 16) === 0) throw new DpkitError(`invalid --portmask '${v}': expected a non-zero hexadecimal mask such as 0x3`);
    p.portmask = parseInt(v, 16);
    p.portlist = undefined;
  } },
  portlist: { arg: true, help: 'LIST  forwarding ports in this order, e.g. 0,2-3', apply: (p, v) => {
    const ports: number[] = [];
    for (const item of v.split(',')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(item);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
      if (!m || hi < lo || hi > 1023) throw new DpkitError(`Invalid fwd port list '${v}' (--portlist): expected port numbers and ranges such as 0,2-3`);
      for (let id = lo; id <= hi; id++) if (!ports.includes(id)) ports.push(id);
    }
    p.portlist = ports;
    p.portmask = undefined;
  } },
  rxq: { arg: true, help: 'N  rx queues per port', apply: (p, v) => { p.rxq = int('rxq', v, 1, 1024); } },
  txq: { arg: true, help: 'N  tx queues per port', apply: (p, v) => { p.txq = int('txq', v, 1, 1024); } },
  rxd: { arg: true, help: 'N  rx descriptors per queue', apply: (p, v) => { p.rxd = int('rxd', v, 1, 65535); } },
  txd: { arg: true, help: 'N  tx descriptors per queue', apply: (p, v) => { p.txd = int('txd', v, 1, 65535); } },
  burst: { arg: true, help: 'N  packets per burst', apply: (p, v) => { p.burst = int('burst', v, 1, MAX_PKT_BURST); } },
  rxfreet: { arg: true, help: 'N  rx free threshold', apply: (p, v) => { p.rxFreeThresh = int('rxfreet', v, 0, 65535); } },
  txfreet: { arg: true, help: 'N  tx free threshold', apply: (p, v) => { p.txFreeThresh = int('txfreet', v, 0, 65535); } },
  txrst: { arg: true, help: 'N  tx RS bit threshold', apply: (p, v) => { p.txRsThresh = int('txrst', v, 0, 65535); } },
  'port-topology': { arg: true, help: 'paired|chained|loop', apply: (p, v) => {
    if (v !== 'paired' && v !== 'chained' && v !== 'loop') throw new DpkitError(`invalid --port-topology '${v}': expected paired, chained or loop`);
    p.topology = v;
  } },
  'eth-peer': { arg: true, help: 'N,XX:XX:XX:XX:XX:XX  MAC address of port N\'s peer', apply: (p, v) => {
    const m = /^(\d+),(.+)$/.exec(v);
    const mac = m ? parseMac(m[2]!) : undefined;
    if (!m || !mac) throw new DpkitError(`invalid --eth-peer '${v}': expected PORT,XX:XX:XX:XX:XX:XX`);
    p.ethPeers.set(Number(m[1]), mac);
  } },
  txpkts: { arg: true, help: 'X[,Y]*  segment lengths of txonly packets', apply: (p, v) => {
    const parts = v.split(',').map((x) => int('txpkts', x, 1, 65535));
    const total = parts.reduce((a, b) => a + b, 0);
    if (total < 42) throw new DpkitError(`invalid --txpkts '${v}': a packet needs at least 42 bytes for Ethernet, IPv4 and UDP headers`);
    p.txpkts = parts;
  } },
  'total-num-mbufs': { arg: true, help: 'N  mbufs in the pool', apply: (p, v) => { p.totalNumMbufs = int('total-num-mbufs', v, 1025, 0xffffff); } },
  'mbuf-size': { arg: true, help: 'N  data room of each mbuf, headroom included (2176)', apply: (p, v) => {
    if (v.includes(',')) throw new DpkitError(`--mbuf-size ${v}: several sizes (DPDK's pools for buffer split) are not supported; give one size`);
    p.mbufSize = int('mbuf-size', v, 1, 0xffff);
  } },
  'max-pkt-len': { arg: true, help: 'N  largest frame received: the ports\' MTU is N - 18', apply: (p, v) => {
    if (!/^\d+$/.test(v) || Number(v) < 64) throw new DpkitError(`Invalid max-pkt-len=${v} - should be at least 64 (--max-pkt-len)`);
    p.maxPktLen = Number(v);
  } },
  'rx-offloads': { arg: true, help: 'MASK  hexadecimal rx offloads the ports are configured with', apply: (p, v) => { p.rxOffloads = offloads('rx-offloads', v); } },
  'tx-offloads': { arg: true, help: 'MASK  hexadecimal tx offloads the ports are configured with', apply: (p, v) => { p.txOffloads = offloads('tx-offloads', v); } },
  'rss-ip': { arg: false, help: 'RSS on IP addresses (the default)', apply: (p) => { p.rssHf = RSS_IP; } },
  'rss-udp': { arg: false, help: 'RSS on IP addresses and UDP ports', apply: (p) => { p.rssHf = RSS_UDP; } },
  'disable-rss': { arg: false, help: 'no RSS', apply: (p) => { p.rssHf = 0; } },
  'enable-rx-cksum': { arg: false, help: 'configure the ports with the rx checksum offloads (IPv4, UDP, TCP: 0xe)', apply: (p) => { p.rxOffloads = (p.rxOffloads | RX_OFFLOAD_CHECKSUM) >>> 0; } },
  mbcache: { arg: true, help: 'N  per-lcore mempool cache size', apply: (p, v) => { p.mbcache = int('mbcache', v, 0, 512); } },
  'stats-period': { arg: true, help: 'SECONDS  print port statistics every period (non-interactive)', apply: (p, v) => { p.statsPeriod = int('stats-period', v, 1, 86400); } },
  'tx-first': { arg: false, help: 'send one burst on each port before forwarding', apply: (p) => { p.txFirst = true; } },
  'tx-ip': { arg: true, help: 'SRC,DST  txonly IPv4 source and destination (198.18.0.1,198.18.0.2)', apply: (p, v) => {
    const comma = v.indexOf(',');
    if (comma <= 0) throw new DpkitError(`Invalid tx-ip: ${v}: expected SRC,DST such as 198.18.0.1,198.18.0.2`);
    const src = ipv4(v.slice(0, comma));
    if (src === undefined) throw new DpkitError(`Invalid source IP address: ${v.slice(0, comma)} (--tx-ip ${v})`);
    const dst = ipv4(v.slice(comma + 1));
    if (dst === undefined) throw new DpkitError(`Invalid destination IP address: ${v.slice(comma + 1)} (--tx-ip ${v})`);
    p.txIpSrc = src;
    p.txIpDst = dst;
  } },
  'tx-udp': { arg: true, help: 'SRC[,DST]  txonly UDP source and destination ports (9,9; one value sets both)', apply: (p, v) => {
    const comma = v.indexOf(',');
    const src = udpPort(comma < 0 ? v : v.slice(0, comma));
    if (src === undefined) throw new DpkitError(`Invalid UDP port: ${v} (--tx-udp: expected SRC[,DST], each 0-65535)`);
    const dst = comma < 0 ? src : udpPort(v.slice(comma + 1));
    if (dst === undefined) throw new DpkitError(`Invalid destination UDP port: ${v.slice(comma + 1)} (--tx-udp ${v})`);
    p.txUdpSrc = src;
    p.txUdpDst = dst;
  } },
  'txonly-multi-flow': { arg: false, help: 'txonly varies the IPv4 source address per packet', apply: (p) => { p.txonlyMultiFlow = true; } },
  'flowgen-flows': { arg: true, help: 'N  flows flowgen spreads its packets over (1024)', apply: (p, v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 0x7fffffff) throw new DpkitError(`invalid --flowgen-flows '${v}': flows must be >= 1`);
    p.flowgenFlows = Number(v);
  } },
  'burst-tx-delay-time': { arg: true, help: 'US  wait between tx retries with set fwd MODE retry (1)', apply: (p, v) => { p.burstTxDelayTime = int('burst-tx-delay-time', v, 0, 0x7fffffff); } },
  'burst-tx-retry-num': { arg: true, help: 'N  tx retries with set fwd MODE retry (64)', apply: (p, v) => { p.burstTxRetryNum = int('burst-tx-retry-num', v, 0, 0x7fffffff); } },
  'noisy-tx-sw-buffer-size': noisyCount('noisy-tx-sw-buffer-size', 'noisyTxSwBufferSize', 'N  noisy: size of the FIFO buffering packets before tx (a power of 2; holds N - 1)'),
  'noisy-tx-sw-buffer-flushtime': noisyCount('noisy-tx-sw-buffer-flushtime', 'noisyTxSwBufferFlushtime', 'N  noisy: flush the FIFO after N ms'),
  'noisy-lkup-memory': noisyCount('noisy-lkup-memory', 'noisyLkupMemory', 'N  noisy: N MB of memory for the simulated lookups'),
  'noisy-lkup-num-writes': noisyCount('noisy-lkup-num-writes', 'noisyLkupNumWrites', 'N  noisy: N random writes per packet'),
  'noisy-lkup-num-reads': noisyCount('noisy-lkup-num-reads', 'noisyLkupNumReads', 'N  noisy: N random reads per packet'),
  'noisy-lkup-num-reads-writes': noisyCount('noisy-lkup-num-reads-writes', 'noisyLkupNumReadsWrites', 'N  noisy: N random reads and writes per packet'),
  'flow-isolate-all': { arg: false, help: 'isolate every port: only traffic flow rules steer reaches it', apply: (p) => { p.flowIsolateAll = true; } },
  'cmdline-file': { arg: true, help: 'FILE  run the commands of FILE at start, before forwarding and the prompt', apply: (p, v) => {
    try {
      readFileSync(v, 'utf8');
    } catch (err) {
      throw new DpkitError(`--cmdline-file: cannot read ${v}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    p.cmdlineFile = v;
    p.notices.push(`CLI commands to be read from ${v}`);
  } },
  'eth-peers-configfile': { arg: true, help: 'FILE  peer MACs, one a line (line N for port N-1)', apply: (p, v) => { readPeersFile(p, v); } },
  numa: { arg: false, help: 'NUMA-aware allocation (no effect: dpkit does not place memory per socket)', apply: noEffect('numa', 'dpkit does not place memory per NUMA socket (show config fwd says NUMA support disabled)') },
  'display-xstats': { arg: true, help: 'NAME[,NAME...]  xstats added to show port stats', apply: (p, v) => {
    const names = v.split(',');
    // RTE_ETH_XSTATS_NAME_SIZE is 64, the NUL included
    if (names.some((n) => n === '' || n.length > 63)) throw new DpkitError(`invalid --display-xstats '${v}': expected xstat names of 1 to 63 characters separated by commas, such as rx_good_packets,tx_good_packets`);
    p.displayXstats = names;
  } },
  'record-burst-stats': { arg: false, help: 'show the burst-size spread of rx and tx in the forward statistics', apply: (p) => { p.recordBurstStats = true; } },
  'record-core-cycles': { arg: false, help: 'CPU cycles per packet in the forward statistics (no effect: dpkit has no cycle counter)', apply: noEffect('record-core-cycles', 'dpkit has no TSC to count CPU cycles per packet with (JavaScript has no cycle counter, and timing each burst would allocate), so no CPU cycles/packet line is printed') },
  'no-numa': { arg: false, help: 'no NUMA-aware allocation (dpkit\'s only mode)', apply: () => {} },
  'socket-num': { arg: true, help: 'N  socket to allocate memory on (no effect: one socket)', apply: (p, v) => {
    if (!/^\d+$/.test(v)) throw new DpkitError(`invalid --socket-num '${v}': Invalid socket id (expected a socket number such as 0)`);
    noEffect('socket-num', 'dpkit allocates every pool on socket 0')(p, v);
  } },
  'no-flush-rx': { arg: false, help: 'do not drain the rx queues before forwarding (dpkit never does)', apply: noEffect('no-flush-rx', 'dpkit-testpmd does not flush rx queues before forwarding') },
  'disable-link-check': { arg: false, help: 'no link status check once the ports are started', apply: (p) => { p.disableLinkCheck = true; } },
  'no-lsc-interrupt': { arg: false, help: 'do not ask ports for link status change events', apply: (p) => { p.noLscInterrupt = true; } },
  'hot-plug': { arg: false, help: 'hot-plug event monitoring (no effect; port attach/detach work without it)', apply: noEffect('hot-plug', 'dpkit has no device event monitor; port attach and port detach work without it') },
  help: { arg: false, help: 'show this help', apply: (p) => { p.help = true; } },
};

const SHORT: Record<string, string> = { i: 'interactive', a: 'auto-start', h: 'help' };

export function parseTestpmdArgs(argv: readonly string[]): TestpmdParams {
  const p = defaultParams();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let name: string;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      value = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (/^-[a-z]$/.test(arg) && SHORT[arg[1]!]) {
      name = SHORT[arg[1]!]!;
    } else {
      throw new DpkitError(`unknown testpmd option '${arg}'; run with -- --help for the list`);
    }
    const spec = OPTIONS[name];
    if (!spec) throw new DpkitError(`unknown testpmd option '--${name}'; run with -- --help for the list`);
    if (spec.arg && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new DpkitError(`option --${name} needs a value (${spec.help.split('  ')[0]})`);
    } else if (!spec.arg && value !== undefined) {
      throw new DpkitError(`option --${name} takes no value`);
    }
    spec.apply(p, value ?? '');
  }
  if (p.txRsThresh && p.txFreeThresh && p.txRsThresh > p.txFreeThresh) {
    throw new DpkitError(`--txrst (${p.txRsThresh}) must not exceed --txfreet (${p.txFreeThresh})`);
  }
  return p;
}

export function testpmdUsage(): string {
  const lines = ['testpmd options (after --):', '  -i, --interactive                  run an interactive command line', '  -a, --auto-start                   start forwarding at once (interactive mode)'];
  for (const [name, s] of Object.entries(OPTIONS)) {
    if (name === 'interactive' || name === 'auto-start') continue;
    const [arg, ...rest] = s.arg ? s.help.split('  ') : ['', s.help];
    lines.push(`  ${(`--${name}${arg ? '=' + arg : ''}`).padEnd(34)} ${rest.join('  ')}`);
  }
  return lines.join('\n');
}
