/**
 * Flow rules (after rte_flow): one rule model, written either in ethtool's ntuple syntax or in
 * testpmd's rte_flow syntax, and the ops a port implements to apply rules. A bifurcated port
 * sends to user space only what a rule sends there; everything else stays with the kernel.
 *
 *   flow-type udp4 dst-ip 10.0.0.1 dst-port 7777 action 0
 *   ingress pattern eth / ipv4 dst is 10.0.0.1 / udp dst is 7777 / end actions queue index 0 / count / end
 *
 * Parse errors are one-line DpkitErrors that name the token and what was expected.
 */
import { DpkitError } from '../errors.js';

export interface Masked {
  value: number;
  mask: number;
}

export interface MaskedAddr {
  /** 4 bytes (IPv4) or 16 (IPv6), network order */
  addr: Uint8Array;
  mask: Uint8Array;
}

/** What a rule matches; absent fields match anything. */
export interface FlowMatch {
  /** 4 or 6 when the rule matches IP fields */
  ipVersion?: 4 | 6;
  /** IP protocol / IPv6 next header (6 TCP, 17 UDP, 132 SCTP...) */
  proto?: number;
  /** outer VLAN TCI */
  vlan?: Masked;
  src?: MaskedAddr;
  dst?: MaskedAddr;
  srcPort?: Masked;
  dstPort?: Masked;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20...) */
  tcpFlags?: Masked;
}

/** Where matching packets go: a user-space rx queue, nowhere, or the kernel. */
export type FlowAction = { type: 'queue'; index: number } | { type: 'drop' } | { type: 'kernel' };

export interface FlowRule {
  /** lower is stronger (rte_flow attr priority; ethtool loc) */
  priority: number;
  match: FlowMatch;
  action: FlowAction;
  /** the rule keeps hit counters (the count action) */
  count: boolean;
}

export interface FlowCounters {
  hits: number;
  bytes: number;
}

/** What a port implements to take flow rules (rte_flow_ops). */
export interface FlowOps {
  /** Throws a one-line DpkitError if the port cannot apply the rule. */
  validate(rule: FlowRule): void;
  /** Applies the rule; returns its id. */
  create(rule: FlowRule): number;
  destroy(id: number): void;
  query(id: number): FlowCounters;
  flush(): void;
  /** isolated: only traffic rules send to user space reaches the port (bifurcated default) */
  isolate(on: boolean): void;
  list(): { id: number; rule: FlowRule }[];
}

export const IPPROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 } as const;

function fail(what: string): never {
  throw new DpkitError(`flow rule: ${what}`);
}

/** Parses an IPv4 or IPv6 address into network-order bytes, or undefined. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
  }
  if (!/^[0-9a-f:]+$/i.test(text) || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return g.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function num(text: string | undefined, what: string, max: number): number {
  if (text === undefined) fail(`${what} needs a value`);
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < 0 || v > max) fail(`${what} '${text}' is not a number from 0 to ${max}`);
  return v;
}

function ip(text: string | undefined, what: string, version: 4 | 6): Uint8Array {
  const a = text === undefined ? undefined : parseIp(text);
  if (!a) fail(`${what} '${text ?? ''}' is not an IP address`);
  if (a.length !== (version === 4 ? 4 : 16)) fail(`${what} ${text} is not an IPv${version} address`);
  return a;
}

const full = (n: number) => new Uint8Array(n).fill(0xff);

const NTUPLE_TYPES: Record<string, { v: 4 | 6; proto?: number }> = {
  tcp4: { v: 4, proto: 6 }, udp4: { v: 4, proto: 17 }, sctp4: { v: 4, proto: 132 }, ip4: { v: 4 },
  tcp6: { v: 6, proto: 6 }, udp6: { v: 6, proto: 17 }, sctp6: { v: 6, proto: 132 }, ip6: { v: 6 },
};

/**
 * ethtool's ntuple syntax (ethtool -N DEV flow-type ...): `flow-type T [src-ip A [m M]]
 * [dst-ip A [m M]] [src-port P [m M]] [dst-port P [m M]] [l4proto N] [vlan V [m M]] action Q|-1
 * [loc L]`. As in ethtool, a mask's 1 bits are the bits to *ignore*. `action -1` drops; `action
 * N` sends to user rx queue N; dpkit adds `action kernel` for an explicit kernel rule.
 */
export function parseNtuple(text: string): FlowRule {
  const t = text.trim().split(/\s+/);
  if (t[0] !== 'flow-type') fail(`expected 'flow-type' first, got '${t[0] ?? ''}' (e.g. flow-type udp4 dst-port 7777 action 0)`);
  const type = NTUPLE_TYPES[t[1] ?? ''];
  if (!type) fail(`flow-type '${t[1] ?? ''}' is not one of ${Object.keys(NTUPLE_TYPES).join(', ')}`);
  const match: FlowMatch = { ipVersion: type.v, ...(type.proto !== undefined ? { proto: type.proto } : {}) };
  let action: FlowAction | undefined;
  let actionText = '';
  let priority = 0;
  let i = 2;
  const maskAfter = (bits: number): number | undefined => {
    if (t[i] !== 'm') return undefined;
    i++;
    return num(t[i++], 'mask', 2 ** bits - 1);
  };
  while (i < t.length) {
    const key = t[i++]!;
    switch (key) {
      case 'src-ip':
      case 'dst-ip': {
        const addr = ip(t[i++], key, type.v);
        let mask: Uint8Array = full(addr.length);
        if (t[i] === 'm') {
          i++;
          const ignore = ip(t[i++], `${key} mask`, type.v);
          mask = ignore.map((b) => ~b & 0xff);
        }
        match[key === 'src-ip' ? 'src' : 'dst'] = { addr: addr.map((b, k) => b & mask[k]!), mask };
        break;
      }
      case 'src-port':
      case 'dst-port': {
        if (type.proto === undefined) fail(`${key} needs a flow-type with ports (tcp4, udp4, sctp4, tcp6, udp6, sctp6)`);
        const value = num(t[i++], key, 0xffff);
        const mask = ~(maskAfter(16) ?? 0) & 0xffff;
        match[key === 'src-port' ? 'srcPort' : 'dstPort'] = { value: value & mask, mask };
        break;
      }
      case 'l4proto':
        if (type.proto !== undefined) fail(`l4proto is only for flow-type ip4 or ip6`);
        match.proto = num(t[i++], 'l4proto', 255);
        break;
      case 'vlan': {
        const value = num(t[i++], 'vlan', 0xffff);
        const mask = ~(maskAfter(16) ?? 0) & 0xffff;
        match.vlan = { value: value & mask, mask };
        break;
      }
      case 'action': {
        const a = t[i++];
        if (action) fail(`two actions ('action ${actionText}' and 'action ${a ?? ''}'): a rule has one (N, -1 or kernel)`);
        actionText = a ?? '';
        if (a === '-1') action = { type: 'drop' };
        else if (a === 'kernel') action = { type: 'kernel' };
        else action = { type: 'queue', index: num(a, 'action (queue index, -1 to drop, or kernel)', 0xffff) };
        break;
      }
      case 'loc':
        priority = num(t[i++], 'loc', 0xffff);
        break;
      default:
        fail(`'${key}' is not an ntuple field dpkit knows (src-ip dst-ip src-port dst-port l4proto vlan action loc)`);
    }
  }
  if (!action) fail(`no action: end the rule with 'action N' (user queue N), 'action -1' (drop) or 'action kernel'`);
  return { priority, match, action, count: true };
}

/** Prefix length → mask bytes. */
function prefixMask(len: number, bytes: number): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) m[i] = len >= (i + 1) * 8 ? 0xff : len <= i * 8 ? 0 : (0xff << (8 - (len - i * 8))) & 0xff;
  return m;
}

/**
 * testpmd's rte_flow syntax after `flow create|validate PORT`: `[priority N] ingress pattern
 * ITEM / ... / end actions ACTION / ... / end`. Items: eth, vlan [tci is N], ipv4|ipv6 [src|dst
 * is A | spec A mask M | prefix N], tcp|udp [src|dst is P] [flags is F | flags spec F flags mask
 * M]; a field may be followed by `mask M`. Actions: queue index N, drop, count, send_to_kernel,
 * passthru (ignored).
 */
export function parseRteFlow(tokens: readonly string[]): FlowRule {
  const t = [...tokens];
  let i = 0;
  let priority = 0;
  const match: FlowMatch = {};
  while (t[i] === 'priority' || t[i] === 'group' || t[i] === 'ingress' || t[i] === 'egress' || t[i] === 'transfer') {
    const k = t[i++]!;
    if (k === 'priority') priority = num(t[i++], 'priority', 0xffff);
    else if (k === 'group') {
      if (num(t[i++], 'group', 0xffff) !== 0) fail('only group 0 exists on this port');
    } else if (k !== 'ingress') fail(`'${k}' rules are not supported: bifurcated steering acts on ingress traffic`);
  }
  if (t[i++] !== 'pattern') fail(`expected 'pattern' (e.g. ingress pattern eth / ipv4 / udp dst is 53 / end actions queue index 0 / end)`);
  const items = new Set<string>();
  for (;;) {
    const item = t[i++];
    if (item === undefined) fail(`the pattern has no 'end'`);
    if (item === 'end') break;
    if (item === '/') continue;
    if (items.has(item)) fail(`pattern item '${item}' appears twice`);
    items.add(item);
    // fields of this item, up to the next '/'
    const fields: string[] = [];
    while (t[i] !== undefined && t[i] !== '/' && t[i] !== 'end') fields.push(t[i++]!);
    switch (item) {
      case 'eth':
        if (fields.length) fail(`eth fields (${fields.join(' ')}) are not supported: match on vlan, ipv4/ipv6, tcp/udp`);
        break;
      case 'vlan': {
        const f = fieldValues(fields, item, { tci: 0xffff });
        if (f.tci) match.vlan = f.tci;
        break;
      }
      case 'ipv4':
      case 'ipv6': {
        const v = item === 'ipv4' ? 4 : 6;
        if (match.ipVersion && match.ipVersion !== v) fail('a pattern has ipv4 or ipv6, not both');
        match.ipVersion = v;
        addrFields(fields, item, v, match);
        break;
      }
      case 'tcp':
      case 'udp':
      case 'sctp': {
        if (!match.ipVersion) fail(`${item} must follow ipv4 or ipv6 in the pattern`);
        if (match.proto !== undefined) fail('a pattern has one L4 item');
        match.proto = IPPROTO[item];
        const f = fieldValues(fields, item, { src: 0xffff, dst: 0xffff, ...(item === 'tcp' ? { flags: 0xff } : {}) });
        if (f.src) match.srcPort = f.src;
        if (f.dst) match.dstPort = f.dst;
        if (f.flags) match.tcpFlags = f.flags;
        break;
      }
      default:
        fail(`pattern item '${item}' is not supported (eth, vlan, ipv4, ipv6, tcp, udp, sctp)`);
    }
  }
  if (t[i++] !== 'actions') fail(`expected 'actions' after the pattern`);
  let action: FlowAction | undefined;
  let count = false;
  for (;;) {
    const a = t[i++];
    if (a === undefined) fail(`the actions have no 'end'`);
    if (a === 'end') break;
    if (a === '/') continue;
    const set = (x: FlowAction) => {
      if (action) fail(`two fate actions (${action.type} and ${x.type}): a rule has one of queue, drop, send_to_kernel`);
      action = x;
    };
    if (a === 'queue') {
      if (t[i++] !== 'index') fail(`expected 'queue index N'`);
      set({ type: 'queue', index: num(t[i++], 'queue index', 0xffff) });
    } else if (a === 'drop') set({ type: 'drop' });
    else if (a === 'send_to_kernel') set({ type: 'kernel' });
    else if (a === 'count') {
      count = true;
      while (t[i] !== undefined && t[i] !== '/' && t[i] !== 'end') i++; // identifier N: ignored
    } else if (a === 'passthru') continue;
    else fail(`action '${a}' is not supported (queue index N, drop, count, send_to_kernel)`);
  }
  if (i < t.length) fail(`unexpected '${t.slice(i).join(' ')}' after the actions' end`);
  if (!action) fail(`no fate action: add 'queue index N', 'drop' or 'send_to_kernel'`);
  return { priority, match, action, count };
}

/** `name is V`, `name spec V name mask M`, `name is V mask M` for numeric fields. */
function fieldValues(fields: string[], item: string, known: Record<string, number>): Record<string, Masked | undefined> {
  const out: Record<string, Masked | undefined> = {};
  for (let i = 0; i < fields.length;) {
    const name = fields[i++]!;
    if (!(name in known)) fail(`${item} has no field '${name}' here (${Object.keys(known).join(', ')})`);
    const max = known[name]!;
    const how = fields[i++];
    if (how === 'is' || how === 'spec') {
      const value = num(fields[i++], `${item} ${name}`, max);
      let mask = max;
      if (fields[i] === 'mask' || (fields[i] === name && fields[i + 1] === 'mask')) {
        i += fields[i] === 'mask' ? 1 : 2;
        mask = num(fields[i++], `${item} ${name} mask`, max);
      }
      out[name] = { value: value & mask, mask };
    } else if (how === 'mask') {
      const prev = out[name];
      if (!prev) fail(`${item} ${name} mask comes before its spec`);
      prev.mask = num(fields[i++], `${item} ${name} mask`, max);
      prev.value &= prev.mask;
    } else fail(`expected 'is', 'spec' or 'mask' after ${item} ${name}`);
  }
  return out;
}

function addrFields(fields: string[], item: string, v: 4 | 6, match: FlowMatch): void {
  const bytes = v === 4 ? 4 : 16;
  for (let i = 0; i < fields.length;) {
    const name = fields[i++]!;
    if (name !== 'src' && name !== 'dst') fail(`${item} has no field '${name}' here (src, dst)`);
    const how = fields[i++];
    const addr = ip(fields[i++], `${item} ${name}`, v);
    let mask: Uint8Array = full(bytes);
    if (how === 'prefix') fail(`write '${item} ${name} spec A ${name} prefix N'`);
    if (how !== 'is' && how !== 'spec') fail(`expected 'is' or 'spec' after ${item} ${name}`);
    if (fields[i] === name && fields[i + 1] === 'prefix') {
      mask = prefixMask(num(fields[i + 2], `${item} ${name} prefix`, bytes * 8), bytes);
      i += 3;
    } else if (fields[i] === name && fields[i + 1] === 'mask') {
      mask = ip(fields[i + 2], `${item} ${name} mask`, v);
      i += 3;
    } else if (fields[i] === 'mask') {
      mask = ip(fields[i + 1], `${item} ${name} mask`, v);
      i += 2;
    }
    match[name] = { addr: addr.map((b, k) => b & mask[k]!), mask };
  }
}

/** An address with its mask: `A/len` for a prefix, `A/M` for any other mask. */
function formatMaskedAddr(a: MaskedAddr): string {
  let len = 0;
  while (len < a.mask.length * 8 && (a.mask[len >> 3]! & (0x80 >> (len & 7))) !== 0) len++;
  const prefix = a.mask.every((b, i) => b === prefixMask(len, a.mask.length)[i]);
  return `${formatIp(a.addr)}/${prefix ? len : formatIp(a.mask)}`;
}

const hexMask = (m: Masked, digits: number) => `0x${m.mask.toString(16).padStart(digits, '0')}`;

/**
 * One line describing a rule, for `flow list` and logs: every matched field with its mask
 * (`value/mask`; addresses as `A/prefix`, or `A/M` for a mask that is no prefix), the values
 * already masked, so the line says exactly what the rule matches.
 */
export function describeRule(r: FlowRule): string {
  const m = r.match;
  const parts: string[] = [];
  if (m.vlan) parts.push(`vlan ${m.vlan.value}/${hexMask(m.vlan, 4)}`);
  if (m.ipVersion) parts.push(`ipv${m.ipVersion}`);
  if (m.src) parts.push(`src ${formatMaskedAddr(m.src)}`);
  if (m.dst) parts.push(`dst ${formatMaskedAddr(m.dst)}`);
  const l4 = Object.entries(IPPROTO).find(([, v]) => v === m.proto)?.[0] ?? (m.proto !== undefined ? `proto ${m.proto}` : undefined);
  if (l4) parts.push(l4.toUpperCase());
  if (m.srcPort) parts.push(`sport ${m.srcPort.value}/${hexMask(m.srcPort, 4)}`);
  if (m.dstPort) parts.push(`dport ${m.dstPort.value}/${hexMask(m.dstPort, 4)}`);
  if (m.tcpFlags) parts.push(`flags 0x${m.tcpFlags.value.toString(16).padStart(2, '0')}/${hexMask(m.tcpFlags, 2)}`);
  const a = r.action.type === 'queue' ? `QUEUE ${r.action.index}` : r.action.type === 'drop' ? 'DROP' : 'SEND_TO_KERNEL';
  return `${parts.join(' ') || 'any'} => ${a}${r.count ? ' COUNT' : ''}`;
}
