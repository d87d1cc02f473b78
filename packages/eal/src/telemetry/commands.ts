/**
 * The EAL's own telemetry commands, with DPDK 22.11's names, parameters and JSON fields:
 * /eal/params (lib/eal), /ethdev/* (lib/ethdev), /mempool/* (lib/mempool).
 */
import type { EthDev, EthDevRegistry } from '../ethdev/ethdev.js';
import { formatMac } from '../ethdev/types.js';
import type { Mempool } from '../mbuf/mempool.js';
import type { Telemetry, TelemetryValue } from './telemetry.js';

/** RTE_ETHDEV_QUEUE_STAT_CNTRS: the per-queue arrays of /ethdev/stats always have 16 entries */
const QUEUE_STAT_CNTRS = 16;
/** RTE_ETH_DEV_ATTACHED */
const DEV_ATTACHED = 1;
/** RTE_ETH_DEV_INTR_LSC */
const DEV_INTR_LSC = 2;
/** the page size dpkit's memory comes in (it does not use hugepages) */
const PAGE_SIZE = 4096;

export interface EalTelemetrySources {
  /** argv[0] and the EAL arguments, as /eal/params reports them */
  args: readonly string[];
  ethdevs: EthDevRegistry;
  pools: () => Iterable<Mempool>;
}

/** The port a `port_id` parameter names, as DPDK parses it (leading digits), or undefined. */
function portOf(ethdevs: EthDevRegistry, params: string | undefined): EthDev | undefined {
  if (params === undefined || !/^\d/.test(params)) return undefined;
  const id = parseInt(params, 10);
  return ethdevs.list().find((d) => d.portId === id && !d.closed);
}

function queueArray(values: number[]): number[] {
  const out = new Array<number>(QUEUE_STAT_CNTRS).fill(0);
  for (let i = 0; i < Math.min(values.length, QUEUE_STAT_CNTRS); i++) out[i] = values[i]!;
  return out;
}

function stats(dev: EthDev): TelemetryValue {
  const s = dev.statsGet();
  return {
    ipackets: s.ipackets, opackets: s.opackets, ibytes: s.ibytes, obytes: s.obytes, imissed: s.imissed,
    ierrors: s.ierrors, oerrors: s.oerrors, rx_nombuf: s.rxNombuf,
    q_ipackets: queueArray(s.qIpackets), q_opackets: queueArray(s.qOpackets), q_ibytes: queueArray(s.qIbytes),
    q_obytes: queueArray(s.qObytes), q_errors: queueArray(s.qErrors),
  };
}

function xstats(dev: EthDev): TelemetryValue {
  const out: Record<string, number> = {};
  for (const x of dev.xstatsGet()) out[x.name] = x.value;
  return out;
}

function linkStatus(dev: EthDev): TelemetryValue {
  const l = dev.link;
  if (!l.up) return { status: 'DOWN' };
  return { status: 'UP', speed: l.speed, duplex: l.duplex === 'full' ? 'full-duplex' : 'half-duplex' };
}

function queueStates(dev: EthDev, kind: 'rx' | 'tx'): number[] {
  const n = kind === 'rx' ? dev.nbRxQueues : dev.nbTxQueues;
  const out: number[] = [];
  for (let q = 0; q < n; q++) {
    let started = false;
    try {
      started = dev.queueInfo(kind, q).state === 'started';
    } catch {
      // not set up: stopped
    }
    out.push(started ? 1 : 0);
  }
  return out;
}

/** rte_eth_dev_data's min_rx_buf_size: the smallest data room of the rx queues' pools, 0 before any. */
function minRxBufSize(dev: EthDev): number {
  let min = 0;
  for (let q = 0; q < dev.nbRxQueues; q++) {
    let size: number;
    try {
      size = dev.queueDescriptor('rx', q).pool?.eltSize ?? 0;
    } catch {
      continue;
    }
    if (size > 0 && (min === 0 || size < min)) min = size;
  }
  return min;
}

function portInfo(dev: EthDev): TelemetryValue {
  const conf = dev.conf;
  return {
    name: dev.name,
    state: DEV_ATTACHED,
    nb_rx_queues: dev.nbRxQueues,
    nb_tx_queues: dev.nbTxQueues,
    port_id: dev.portId,
    mtu: dev.mtu,
    rx_mbuf_size_min: minRxBufSize(dev),
    rx_mbuf_alloc_fail: dev.statsGet().rxNombuf,
    mac_addr: formatMac(dev.mac),
    promiscuous: dev.promiscuous ? 1 : 0,
    scattered_rx: 0,
    all_multicast: dev.allMulticast ? 1 : 0,
    dev_started: dev.started ? 1 : 0,
    lro: 0,
    dev_configured: dev.configured ? 1 : 0,
    rxq_state: queueStates(dev, 'rx'),
    txq_state: queueStates(dev, 'tx'),
    numa_node: dev.device.numaNode,
    dev_flags: dev.lsc ? DEV_INTR_LSC : 0,
    rx_offloads: conf.rxmode?.offloads ?? 0,
    tx_offloads: conf.txmode?.offloads ?? 0,
    ethdev_rss_hf: conf.rss?.hashFunctions ?? 0,
  };
}

function mempoolInfo(p: Mempool): TelemetryValue {
  return {
    name: p.name,
    pool_id: p.id,
    flags: 0,
    socket_id: p.region.socket,
    size: p.size,
    cache_size: p.cacheSize,
    elt_size: p.eltSize,
    header_size: 0,
    trailer_size: 0,
    private_data_size: 0,
    ops_index: 0,
    populated_size: p.size,
    mz_name: p.region.name,
    mz_len: p.region.buffer.byteLength,
    mz_hugepage_sz: PAGE_SIZE,
    mz_socket_id: p.region.socket,
    mz_flags: 0,
  };
}

/** dpkit's /dpkit/flow/list: each rule's id, priority, action and (with `count`) its counters. */
function flowList(dev: EthDev): TelemetryValue {
  let flow;
  try {
    flow = dev.flow();
  } catch {
    return null; // the port takes no flow rules
  }
  return flow.list().map(({ id, rule }) => {
    const a = rule.action;
    const entry: Record<string, TelemetryValue> = { id, priority: rule.priority, action: a.type === 'queue' ? `queue ${a.index}` : a.type };
    if (rule.count) {
      const c = flow.query(id);
      entry.hits = c.hits;
      entry.bytes = c.bytes;
    }
    return entry;
  });
}

/** Registers /eal/params, /ethdev/*, /mempool/* and dpkit's /dpkit/ethdev/describe, /dpkit/flow/list on `t`. */
export function registerEalCommands(t: Telemetry, src: EalTelemetrySources): void {
  const ports = (params: string | undefined, fn: (d: EthDev) => TelemetryValue) => {
    const dev = portOf(src.ethdevs, params);
    return dev ? fn(dev) : null;
  };
  t.register('/eal/params', 'Returns EAL commandline parameters used. Takes no parameters', () => [...src.args]);
  t.register('/ethdev/list', 'Returns list of available ethdev ports. Takes no parameters',
    () => src.ethdevs.list().filter((d) => !d.closed).map((d) => d.portId));
  t.register('/ethdev/stats', 'Returns the common stats for a port. Parameters: int port_id', (_c, p) => ports(p, stats));
  t.register('/ethdev/xstats', 'Returns the extended stats for a port. Parameters: int port_id', (_c, p) => ports(p, xstats));
  t.register('/ethdev/link_status', 'Returns the link status for a port. Parameters: int port_id', (_c, p) => ports(p, linkStatus));
  t.register('/ethdev/info', 'Returns the device info for a port. Parameters: int port_id', (_c, p) => ports(p, portInfo));
  t.register('/mempool/list', 'Returns list of available mempool. Takes no parameters', () => [...src.pools()].map((p) => p.name));
  t.register('/mempool/info', 'Returns mempool info. Parameters: pool_name', (_c, p) => {
    if (p === undefined) return null;
    const pool = [...src.pools()].find((m) => m.name === p.slice(0, 31));
    return pool ? mempoolInfo(pool) : {};
  });
  t.register('/dpkit/ethdev/describe', "dpkit: the driver's own lines for a port (kernel netdev, split queues...), as show port info ends with. Parameters: int port_id",
    (_c, p) => ports(p, (d) => d.describe()));
  t.register('/dpkit/flow/list', 'dpkit: the flow rules of a port: id, priority, action, and hits/bytes for rules with count. Parameters: int port_id',
    (_c, p) => ports(p, flowList));
}
