/**
 * Hardware steering for the AF_XDP provider (`steering=ntuple`): the RFC's own recipe on a NIC
 * with ntuple filters (ixgbe, i40e, ice, mlx5). Flow rules become the NIC's ethtool rules
 * (ETHTOOL_SRXCLSRLINS/DEL), which send a flow to netdev queue `qoff + N` exactly; the XDP
 * program is the plain redirect (every packet of a split queue to its socket). Rule ids are
 * the NIC's rule locations, and `list` reads the NIC's table (GRXCLSRLALL, GRXCLSRULE), so
 * rules added with the real `ethtool -N` appear too. See README "Hardware steering (ntuple)".
 */
import { DpkitError, describeRule, type FlowCounters, type FlowMatch, type FlowRule } from '@dpkit/eal';
import {
  RxFlowType, ethtoolNtupleOn, ethtoolRssQueues, ethtoolRuleCount, ethtoolRuleDelete, ethtoolRuleGet, ethtoolRuleInsert,
  ethtoolRuleLocations, ethtoolRxRings, type BpfMap, type RxFlowSpec,
} from '@dpkit/eal/linux';
import type { NtupleTable, XdpFlowSteering, XdpSteering } from './dra.js';

export const kernelNtupleTable: NtupleTable = {
  ruleCount: ethtoolRuleCount, ntupleOn: ethtoolNtupleOn, locations: ethtoolRuleLocations, get: ethtoolRuleGet,
  insert: ethtoolRuleInsert, delete: ethtoolRuleDelete, rxRings: ethtoolRxRings, rssQueues: ethtoolRssQueues,
};

/**
 * Whether `iface` takes ntuple rules now: undefined if it does, else why not (one clause,
 * naming the ioctl and the errno) and the errno.
 */
export function ntupleUnavailable(iface: string, table: NtupleTable): { why: string; code: string } | undefined {
  try {
    table.ruleCount(iface);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    return { why: `${iface} has no ntuple filters (ETHTOOL_GRXCLSRLCNT: ${code})`, code };
  }
  if (!table.ntupleOn(iface)) return { why: `${iface} has ntuple filters switched off (ETH_FLAG_NTUPLE clear)`, code: 'EOPNOTSUPP' };
  return undefined;
}

const PROTO_TYPE: Record<number, [number, number]> = { 6: [RxFlowType.TCP_V4, RxFlowType.TCP_V6], 17: [RxFlowType.UDP_V4, RxFlowType.UDP_V6], 132: [RxFlowType.SCTP_V4, RxFlowType.SCTP_V6] };

/**
 * A flow rule as an ethtool rule at `location`, or one line saying why it has none: TCP flags,
 * send_to_kernel, a rule without an IP layer, a queue the port lacks.
 */
export function ruleToSpec(rule: FlowRule, qpairs: number, qoff: number, location: number): RxFlowSpec {
  const why = (w: string): never => {
    throw new DpkitError(`flow rule '${describeRule(rule)}': ${w}`, 'ENOTSUP');
  };
  const m = rule.match;
  const a = rule.action;
  if (a.type === 'queue' && a.index >= qpairs) why(`queue ${a.index} does not exist: the port has ${qpairs} rx queue${qpairs === 1 ? '' : 's'} (0..${qpairs - 1})`);
  if (a.type === 'kernel') why('send_to_kernel has no ethtool action in steering=ntuple: what no rule steers stays on the kernel\'s queues already');
  if (m.tcpFlags) why('ethtool ntuple rules match no TCP flags (steering=xdp classifies SYNs)');
  if (!m.ipVersion) why('steering=ntuple needs an IP layer (flow-type tcp4|udp4|sctp4|ip4|tcp6|udp6|sctp6|ip6)');
  const v6 = m.ipVersion === 6 ? 1 : 0;
  const l4 = m.proto !== undefined ? PROTO_TYPE[m.proto] : undefined;
  if ((m.srcPort || m.dstPort) && !l4) why('ports need tcp, udp or sctp');
  const spec: RxFlowSpec = {
    flowType: l4 ? l4[v6]! : v6 ? RxFlowType.IPV6_USER : RxFlowType.IPV4_USER,
    action: a.type === 'queue' ? { queue: qoff + a.index, vf: 0 } : 'drop',
    location,
  };
  if (m.src) spec.src = m.src;
  if (m.dst) spec.dst = m.dst;
  if (m.srcPort) spec.srcPort = m.srcPort;
  if (m.dstPort) spec.dstPort = m.dstPort;
  if (!l4 && m.proto !== undefined) spec.proto = { value: m.proto, mask: 0xff };
  if (m.vlan) spec.vlanTci = m.vlan;
  return spec;
}

const TYPE_MATCH: Record<number, { v: 4 | 6; proto?: number }> = {
  [RxFlowType.TCP_V4]: { v: 4, proto: 6 }, [RxFlowType.UDP_V4]: { v: 4, proto: 17 }, [RxFlowType.SCTP_V4]: { v: 4, proto: 132 },
  [RxFlowType.IPV4_USER]: { v: 4 }, [RxFlowType.TCP_V6]: { v: 6, proto: 6 }, [RxFlowType.UDP_V6]: { v: 6, proto: 17 },
  [RxFlowType.SCTP_V6]: { v: 6, proto: 132 }, [RxFlowType.IPV6_USER]: { v: 6 },
};

/**
 * An ethtool rule as the NIC reports it, in the port's terms: a queue qoff..qoff+qpairs-1 is
 * user queue q - qoff, any other queue (or a VF's) is the kernel's, RX_CLS_FLOW_DISC drops;
 * `loc` is the priority. A string says what the model cannot express (TOS, L4 bytes, a partial
 * protocol mask).
 */
export function specToRule(spec: RxFlowSpec, qpairs: number, qoff: number): FlowRule | string {
  const t = TYPE_MATCH[spec.flowType]!;
  if (spec.tos) return 'it matches TOS/traffic class';
  if (spec.l4Bytes) return 'it matches L4 header bytes';
  if (spec.proto && spec.proto.mask !== 0xff) return 'it matches part of the IP protocol';
  const match: FlowMatch = { ipVersion: t.v };
  const proto = t.proto ?? spec.proto?.value;
  if (proto !== undefined) match.proto = proto;
  if (spec.src) match.src = spec.src;
  if (spec.dst) match.dst = spec.dst;
  if (spec.srcPort) match.srcPort = spec.srcPort;
  if (spec.dstPort) match.dstPort = spec.dstPort;
  if (spec.vlanTci) match.vlan = spec.vlanTci;
  const a = spec.action;
  const action: FlowRule['action'] = a === 'drop' ? { type: 'drop' }
    : a !== 'wake' && a.vf === 0 && a.queue >= qoff && a.queue < qoff + qpairs ? { type: 'queue', index: a.queue - qoff } : { type: 'kernel' };
  return { priority: spec.location, match, action, count: false };
}

export interface NtupleSteeringOptions {
  iface: string;
  qpairs: number;
  qoff: number;
  maxRules: number;
  label: string;
  log: { info(message: string): void; notice(message: string): void };
  /** the plain redirect (every packet of a split queue to its socket): the provider's */
  redirect: XdpSteering;
  table?: NtupleTable;
}

/**
 * The port's flow rules as the NIC's ntuple rules. Rules the port creates are on the NIC while
 * the port is started (inserted at start or at create, deleted at stop, at destroy/flush and at
 * close) and keep their location, so their ids do not change across stop/start.
 */
export class NtupleSteering implements XdpFlowSteering {
  readonly isolated = true;
  /** the NIC sends a rule's flow to its queue exactly: only split queues get sockets */
  readonly exactQueues = true;
  private readonly o: Required<NtupleSteeringOptions>;
  /** the port's own rules by location */
  private readonly own = new Map<number, { rule: FlowRule; spec: RxFlowSpec }>();
  private attached: { detach(): void } | undefined;
  /** locations whose rule the port could not express, said once each */
  private readonly unlisted = new Set<number>();

  constructor(o: NtupleSteeringOptions) {
    this.o = { ...o, table: o.table ?? kernelNtupleTable };
    const rings = this.o.table.rxRings(o.iface);
    if (o.qoff + o.qpairs > rings) {
      throw new DpkitError(`${o.label}: steering=ntuple: ${o.iface}'s rules can send to rx rings 0..${rings - 1} (ETHTOOL_GRXRINGS), not to split queues ${o.qoff}..${o.qoff + o.qpairs - 1}: lower qoff/qpairs or add channels with ethtool -L`, 'EINVAL');
    }
  }

  private get iface(): string {
    return this.o.iface;
  }

  /** The location a rule takes: `priority` when given, else the last free one (as ethtool does). */
  private location(rule: FlowRule): number {
    const { table, iface } = this.o;
    const { size } = table.ruleCount(iface);
    const used = new Set([...table.locations(iface), ...this.own.keys()]);
    const fail = (w: string, code: string): never => {
      throw new DpkitError(`${this.o.label}: flow rule '${describeRule(rule)}': ${w}`, code);
    };
    if (rule.priority > 0) {
      if (size && rule.priority >= size) fail(`loc ${rule.priority} is outside ${iface}'s rule table (0..${size - 1})`, 'EINVAL');
      if (used.has(rule.priority)) fail(`loc ${rule.priority} of ${iface} holds a rule already (flow list ${this.o.label}, or ethtool -n ${iface})`, 'EEXIST');
      return rule.priority;
    }
    if (!size) fail(`${iface}'s driver reports no rule table size: give the rule a loc (priority)`, 'EINVAL');
    for (let l = size - 1; l >= 0; l--) if (!used.has(l)) return l;
    return fail(`${iface}'s rule table is full (${size} rules)`, 'ENOSPC');
  }

  private prepare(rule: FlowRule): RxFlowSpec {
    const spec = ruleToSpec(rule, this.o.qpairs, this.o.qoff, 0);
    if (this.own.size >= this.o.maxRules) throw new DpkitError(`${this.o.label}: the port holds ${this.o.maxRules} rules already (rules=)`, 'ENOSPC');
    spec.location = this.location(rule);
    return spec;
  }

  private insert(spec: RxFlowSpec, rule: FlowRule): void {
    try {
      this.o.table.insert(this.iface, spec);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      throw new DpkitError(`${this.o.label}: ${this.iface} refuses rule '${describeRule(rule)}' at loc ${spec.location} (${e.message ?? String(err)}): the NIC's driver decides which fields and masks it takes (ethtool -N ${this.iface} ... shows the same refusal)`, e.code ?? 'EIO');
    }
  }

  validate(rule: FlowRule): void {
    this.prepare(rule);
  }

  create(rule: FlowRule): number {
    const spec = this.prepare(rule);
    if (this.attached) this.insert(spec, rule);
    this.own.set(spec.location, { rule: { ...rule, priority: spec.location, count: false }, spec });
    return spec.location;
  }

  /** SRXCLSRLDEL; a rule already gone from the NIC (ethtool -N IF delete) is no error */
  private remove(id: number): void {
    try {
      this.o.table.delete(this.iface, id);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      if (e.code !== 'ENOENT') throw new DpkitError(`${this.o.label}: ${this.iface} does not delete its rule at loc ${id} (${e.message ?? String(err)})`, e.code ?? 'EIO');
    }
  }

  destroy(id: number): void {
    if (this.own.has(id)) {
      if (this.attached) this.remove(id);
      this.own.delete(id);
      return;
    }
    if (!this.o.table.locations(this.iface).includes(id)) throw new DpkitError(`${this.o.label}: no flow rule ${id} (flow list shows the ids: the NIC's rule locations)`, 'ENOENT');
    // a rule the port did not add (ethtool -N, or a process that died): the user names it
    this.remove(id);
  }

  query(id: number): FlowCounters {
    throw new DpkitError(`${this.o.label}: flow rule ${id}: a NIC's ntuple rules have no per-rule counters (steering=ntuple); ethtool -S ${this.iface} shows the NIC's own filter counters, steering=xdp counts per rule`, 'ENOTSUP');
  }

  flush(): void {
    for (const id of [...this.own.keys()]) this.destroy(id);
  }

  isolate(on: boolean): void {
    if (!on) throw new DpkitError(`${this.o.label}: flow isolate off needs steering=xdp: with steering=ntuple what no rule steers follows ${this.iface}'s RSS over the kernel's queues`, 'ENOTSUP');
  }

  /** The NIC's rules as the kernel reports them (the port's and any other), and the port's not on the NIC (stopped). */
  list(): { id: number; rule: FlowRule }[] {
    const { table, iface, qpairs, qoff } = this.o;
    const out = new Map<number, FlowRule>();
    for (const [loc, r] of this.own) out.set(loc, r.rule);
    for (const loc of table.locations(iface)) {
      const got = table.get(iface, loc);
      const rule = got.spec ? specToRule(got.spec, qpairs, qoff) : `its flow type 0x${got.flowType.toString(16)} is not TCP/UDP/SCTP/IP`;
      if (typeof rule !== 'string') out.set(loc, rule);
      else if (!this.unlisted.has(loc)) {
        this.unlisted.add(loc);
        this.o.log.notice(`${this.o.label}: ${iface}'s rule at loc ${loc} is not in flow list: ${rule} (ethtool -n ${iface} shows it)`);
      }
    }
    return [...out].sort((x, y) => x[0] - y[0]).map(([id, rule]) => ({ id, rule }));
  }

  attach(xskMap: BpfMap, ifindex: number, mode: 'drv' | 'skb'): { detach(): void } {
    const { table, iface, label, qoff, qpairs } = this.o;
    // everything on a split queue goes to the port: RSS must not spread the kernel's traffic there
    const rss = table.rssQueues(iface);
    const hit = rss?.filter((q) => q >= qoff && q < qoff + qpairs) ?? [];
    if (hit.length) {
      const fix = qoff > 0 ? `ethtool -X ${iface} equal ${qoff}` : `split queues above the RSS ones (qoff=${Math.max(...rss!) + 1})`;
      throw new DpkitError(`${label}: ${iface}'s RSS spreads the kernel's traffic over split queue${hit.length === 1 ? '' : 's'} ${hit.join(', ')} (ethtool -x ${iface}), which steering=ntuple gives to the port: ${fix}`, 'EBUSY');
    }
    const foreign = table.locations(iface).filter((l) => !this.own.has(l));
    if (foreign.length) {
      this.o.log.notice(`${label}: ${iface} has ${foreign.length} ntuple rule${foreign.length === 1 ? '' : 's'} this port did not add (loc ${foreign.join(', ')}): they stay, flow list shows them, flow destroy removes one`);
    }
    const program = this.o.redirect.attach(xskMap, ifindex, mode);
    const placed: number[] = [];
    const remove = () => {
      for (const loc of placed) {
        try {
          table.delete(iface, loc);
        } catch (err) {
          this.o.log.notice(`${label}: could not delete ${iface}'s rule at loc ${loc} (${(err as Error).message}): delete it with ethtool -N ${iface} delete ${loc}`);
        }
      }
      placed.length = 0;
      program.detach();
    };
    try {
      for (const [loc, r] of [...this.own].sort((x, y) => x[0] - y[0])) {
        if (foreign.includes(loc)) throw new DpkitError(`${label}: rule ${loc} cannot go back to loc ${loc} of ${iface}: a rule this port did not add holds it; delete that one (ethtool -N ${iface} delete ${loc}) or flow destroy ${loc}`, 'EEXIST');
        this.insert(r.spec, r.rule);
        placed.push(loc);
      }
    } catch (err) {
      remove();
      throw err;
    }
    const handle = {
      detach: () => {
        if (this.attached !== handle) return;
        this.attached = undefined;
        // the port's rules present now, including those created while started
        placed.splice(0, placed.length, ...[...this.own.keys()]);
        remove();
      },
    };
    this.attached = handle;
    return handle;
  }

  close(): void {
    this.attached?.detach();
    this.own.clear();
  }
}
