/**
 * The flow director in XDP: flow rules compiled, by a BPF assembler in TypeScript, into the
 * program that decides for every packet whether it stays with the kernel (XDP_PASS), goes to
 * user space (redirect into the XSKMAP slot of the queue it arrived on), or is dropped.
 *
 * Tuple-space search: rules with the same set of matched fields and masks form a *shape*; the
 * program masks the packet's key once per shape and looks it up in one hash map, so the cost
 * per packet grows with the number of shapes, not of rules. Adding or removing a rule of a
 * known shape is a map update; a new shape swaps the program through the same BPF link
 * (BPF_LINK_UPDATE): the netdev never runs without a classifier.
 *
 * TCP connections live wholly on one side. A SYN (SYN set, ACK clear) without a pin is
 * classified by the rules; a user-space decision is pinned in a hash map keyed by the 5-tuple
 * (unless the kernel has a connection on that 5-tuple: then the SYN is the kernel's, which
 * answers it with a challenge ACK). Every segment of a pinned connection, a SYN included, follows
 * its pin and refreshes its last-seen time; every other TCP segment goes to the kernel. So no
 * packet, forged or not, moves an established connection, and rules added later apply to new
 * connections only. The table is never evicted by the kernel: when it is full, a SYN that needs
 * a pin is dropped and counted (PIN_FULL); the control path removes pins idle longer than
 * `pinIdleSeconds` (see README, "What ends a pin").
 */
import { DpkitError, describeRule, type FlowCounters, type FlowOps, type FlowRule } from '@dpkit/eal';
import { type BpfAsm, BpfMap, MapType, attachXdp, linux, loadXdpProgram } from '@dpkit/eal/linux';
import {
  KEY_BYTES, MAX_SHAPES, PIN_KEY_BYTES, PIN_VALUE_BYTES, STAT_SLOTS, Stat, V_DROP, V_KERNEL, V_USER, VALUE_BYTES, classifierProgram,
  type Shape, type StatName,
} from './program.js';

export { KEY_BYTES, MAX_SHAPES, PIN_ENTRY_BYTES, Stat, type StatName } from './program.js';

export interface ClassifierOptions {
  /** rules at most (the hash map's size) */
  maxRules?: number;
  /** TCP connections pinned at most (the hash map's size) */
  pinEntries?: number;
  /** a pin idle this long may be removed (the control path sweeps every quarter of it, at most every 30 s) */
  pinIdleSeconds?: number;
  /** user rx queues rules may name */
  queues: number;
  name?: string;
}

interface Installed {
  rule: FlowRule;
  slot: number;
  shape: Shape;
  key: Uint8Array;
}

/** Key bytes and mask bytes (KEY_BYTES) of a rule; word 0 is left for the shape id. */
export function ruleKey(rule: FlowRule): { key: Uint8Array; mask: Uint8Array } {
  const key = new Uint8Array(KEY_BYTES);
  const mask = new Uint8Array(KEY_BYTES);
  const m = rule.match;
  const put = (at: number, bytes: number, value: number, msk: number) => {
    for (let i = 0; i < bytes; i++) {
      const shift = 8 * (bytes - 1 - i);
      mask[at + i] = (msk >>> shift) & 0xff;
      key[at + i] = (value >>> shift) & (msk >>> shift) & 0xff;
    }
  };
  if (m.ipVersion) put(4, 1, m.ipVersion, 0xff);
  if (m.proto !== undefined) put(5, 1, m.proto, 0xff);
  if (m.vlan) put(6, 2, m.vlan.value, m.vlan.mask);
  for (const [f, at] of [['src', 8], ['dst', 24]] as const) {
    const a = m[f];
    if (!a) continue;
    for (let i = 0; i < a.addr.length; i++) {
      mask[at + i] = a.mask[i]!;
      key[at + i] = a.addr[i]! & a.mask[i]!;
    }
  }
  if (m.srcPort) put(40, 2, m.srcPort.value, m.srcPort.mask);
  if (m.dstPort) put(42, 2, m.dstPort.value, m.dstPort.mask);
  if (m.tcpFlags) put(44, 1, m.tcpFlags.value, m.tcpFlags.mask);
  return { key, mask };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);

export class XdpClassifier implements FlowOps {
  readonly rulesMap: BpfMap;
  readonly counters: BpfMap;
  readonly stats: BpfMap;
  readonly pins: BpfMap;
  readonly maxRules: number;
  readonly pinEntries: number;
  readonly pinIdleSeconds: number;
  readonly queues: number;
  private readonly name: string;
  private readonly shapes = new Map<string, Shape>();
  private readonly rules = new Map<number, Installed>();
  /** rule id by its key (hex), to refuse exact duplicates */
  private readonly byKey = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private nextId = 0;
  private isolatedNow = true;
  private attached: { link: number; prog: number; xskMap: BpfMap; sweeper: ReturnType<typeof setInterval> } | undefined;

  constructor(o: ClassifierOptions) {
    this.maxRules = o.maxRules ?? 4096;
    this.pinEntries = o.pinEntries ?? 65536;
    this.pinIdleSeconds = o.pinIdleSeconds ?? 120;
    this.queues = o.queues;
    this.name = (o.name ?? 'dpkit').slice(0, 8);
    const maps: BpfMap[] = [];
    try {
      maps.push(new BpfMap(MapType.HASH, KEY_BYTES, VALUE_BYTES, this.maxRules, `${this.name}_rul`));
      maps.push(new BpfMap(MapType.PERCPU_ARRAY, 4, 16, this.maxRules, `${this.name}_cnt`));
      maps.push(new BpfMap(MapType.PERCPU_ARRAY, 4, 8, STAT_SLOTS, `${this.name}_sta`));
      // a plain hash, not an LRU: the kernel's LRU evicts in batches of a quarter of the map
      // (per-CPU free lists), so the classifier decides what leaves the table, not the kernel
      maps.push(new BpfMap(MapType.HASH, PIN_KEY_BYTES, PIN_VALUE_BYTES, this.pinEntries, `${this.name}_pin`));
    } catch (err) {
      for (const m of maps) m.close();
      throw err;
    }
    [this.rulesMap, this.counters, this.stats, this.pins] = maps as [BpfMap, BpfMap, BpfMap, BpfMap];
    for (let s = this.maxRules - 1; s >= 0; s--) this.freeSlots.push(s);
  }

  /** The classifier program for the current shapes, redirecting user packets into `xskMap`. */
  program(xskMap: BpfMap): BpfAsm {
    return classifierProgram({ rules: this.rulesMap, counters: this.counters, stats: this.stats, pins: this.pins }, this.shapes.values(), this.isolatedNow, xskMap);
  }

  /** Loads the program for `xskMap` (not attached): for tests through BPF_PROG_TEST_RUN. */
  load(xskMap: BpfMap): number {
    return loadXdpProgram(this.program(xskMap), `${this.name}_cls`);
  }

  /** XdpSteering: attaches the classifier to the netdev through a BPF link. */
  attach(xskMap: BpfMap, ifindex: number, mode: 'drv' | 'skb'): { detach(): void } {
    if (this.attached) throw new DpkitError('the flow classifier is attached already');
    const prog = this.load(xskMap);
    let link: number;
    try {
      link = attachXdp(prog, ifindex, mode);
    } catch (err) {
      linux().close(prog);
      throw err;
    }
    const period = Math.min(Math.max(this.pinIdleSeconds / 4, 1), 30) * 1000;
    const sweeper = setInterval(() => {
      try {
        this.sweepIdlePins();
      } catch {
        // a sweep that fails (the map closed under it) loses nothing: the next one retries
      }
    }, period);
    sweeper.unref();
    this.attached = { link, prog, xskMap, sweeper };
    return {
      detach: () => {
        const at = this.attached;
        if (!at) return;
        this.attached = undefined;
        clearInterval(at.sweeper);
        linux().close(at.link);
        linux().close(at.prog);
      },
    };
  }

  /** Swaps in a program for the current shapes through the same link. */
  private reload(): void {
    const at = this.attached;
    if (!at) return;
    const prog = this.load(at.xskMap);
    try {
      linux().bpfLinkUpdate(at.link, prog);
    } catch (err) {
      linux().close(prog);
      throw new DpkitError(`cannot update the flow classifier: ${(err as Error).message}`);
    }
    linux().close(at.prog);
    at.prog = prog;
  }

  validate(rule: FlowRule): void {
    const why = (w: string): never => {
      throw new DpkitError(`flow rule '${describeRule(rule)}': ${w}`, 'ENOTSUP');
    };
    if (rule.action.type === 'queue' && rule.action.index >= this.queues) {
      why(`queue ${rule.action.index} does not exist: the port has ${this.queues} rx queue${this.queues === 1 ? '' : 's'} (0..${this.queues - 1})`);
    }
    const m = rule.match;
    if ((m.srcPort || m.dstPort) && m.proto !== 6 && m.proto !== 17 && m.proto !== 132) why('ports need tcp, udp or sctp');
    if (m.tcpFlags && m.proto !== 6) why('TCP flags need tcp');
    // only a connection's first SYN is classified (every later segment follows the connection's
    // side), so a flags rule must match SYN set and ACK clear, or it would never match
    if (m.tcpFlags && ((m.tcpFlags.mask & 0x12) !== 0x12 || (m.tcpFlags.value & 0x12) !== 0x02)) {
      why(`TCP flags 0x${m.tcpFlags.value.toString(16)}/0x${m.tcpFlags.mask.toString(16)} are not a SYN: only a connection's SYN is classified (later segments follow its side), so a flags rule must match SYN set and ACK clear (tcp flags is 0x02)`);
    }
    if ((m.src || m.dst || m.proto !== undefined) && !m.ipVersion) why('IP fields need ipv4 or ipv6');
    const { mask } = ruleKey(rule);
    if (!this.shapes.has(hex(mask)) && this.shapes.size >= MAX_SHAPES) {
      why(`it would be the ${MAX_SHAPES + 1}th distinct combination of matched fields and masks; the classifier takes ${MAX_SHAPES}`);
    }
    if (this.freeSlots.length === 0) why(`the classifier holds ${this.maxRules} rules already`);
    const { key } = this.placed(rule);
    const dup = this.byKey.get(hex(key));
    if (dup !== undefined) throw new DpkitError(`flow rule '${describeRule(rule)}' matches exactly what rule ${dup} matches; destroy that one first`, 'EEXIST');
  }

  /** The rule's map key (word 0: its shape's id) and its shape, new or known. */
  private placed(rule: FlowRule): { key: Uint8Array; shape: Shape; fresh: boolean } {
    const { key, mask } = ruleKey(rule);
    let shape = this.shapes.get(hex(mask));
    const fresh = !shape;
    if (!shape) {
      const used = new Set([...this.shapes.values()].map((s) => s.id));
      let id = 1;
      while (used.has(id)) id++;
      shape = { id, mask, rules: 0 };
    }
    key.set(u32(shape.id), 0);
    return { key, shape, fresh };
  }

  create(rule: FlowRule): number {
    this.validate(rule);
    const { key, shape, fresh } = this.placed(rule);
    const mk = hex(shape.mask);
    const k = hex(key);
    const slot = this.freeSlots.pop()!;
    const verdict = rule.action.type === 'queue' ? V_USER : rule.action.type === 'drop' ? V_DROP : V_KERNEL;
    this.counters.update(u32(slot), new Uint8Array(this.counters.valueBytes));
    this.rulesMap.update(key, new Uint8Array(new Uint32Array([slot, rule.priority, verdict, rule.count ? 1 : 0]).buffer));
    if (fresh) {
      this.shapes.set(mk, shape);
      try {
        this.reload();
      } catch (err) {
        this.shapes.delete(mk);
        this.rulesMap.delete(key);
        this.freeSlots.push(slot);
        throw err;
      }
    }
    shape.rules++;
    const id = this.nextId++;
    this.rules.set(id, { rule, slot, shape, key });
    this.byKey.set(k, id);
    return id;
  }

  destroy(id: number): void {
    const r = this.rules.get(id);
    if (!r) throw new DpkitError(`flow rule ${id} does not exist (see 'flow list')`, 'ENOENT');
    this.rulesMap.delete(r.key);
    this.rules.delete(id);
    this.byKey.delete(hex(r.key));
    this.freeSlots.push(r.slot);
    if (--r.shape.rules === 0) {
      this.shapes.delete(hex(r.shape.mask));
      this.reload();
    }
  }

  query(id: number): FlowCounters {
    const r = this.rules.get(id);
    if (!r) throw new DpkitError(`flow rule ${id} does not exist (see 'flow list')`, 'ENOENT');
    if (!r.rule.count) throw new DpkitError(`flow rule ${id} has no count action`, 'ENOTSUP');
    const [hits = 0, bytes = 0] = this.counters.sum64(u32(r.slot)) ?? [];
    return { hits, bytes };
  }

  flush(): void {
    for (const id of [...this.rules.keys()]) this.destroy(id);
  }

  /** false after isolate(false): unmatched traffic goes to user space */
  get isolated(): boolean {
    return this.isolatedNow;
  }

  isolate(on: boolean): void {
    if (this.isolatedNow === on) return;
    this.isolatedNow = on;
    try {
      this.reload();
    } catch (err) {
      this.isolatedNow = !on;
      throw err;
    }
  }

  list(): { id: number; rule: FlowRule }[] {
    return [...this.rules].map(([id, r]) => ({ id, rule: r.rule }));
  }

  /** The classifier's counters (what went where). */
  statistics(): Record<StatName, number> {
    const out = {} as Record<StatName, number>;
    for (const [name, slot] of Object.entries(Stat) as [StatName, number][]) {
      out[name] = this.stats.sum64(u32(slot))?.[0] ?? 0;
    }
    return out;
  }

  /** The classifier's counters as extended statistics (`show port xstats`): bifurc_<stat>. */
  xstats(): { name: string; value: number }[] {
    return Object.entries(this.statistics()).map(([k, value]) => ({ name: `bifurc_${k.toLowerCase()}`, value }));
  }

  xstatsReset(): void {
    for (let slot = 0; slot < STAT_SLOTS; slot++) this.stats.update(u32(slot), new Uint8Array(this.stats.valueBytes));
  }

  /**
   * Removes the pins whose connection sent nothing for longer than `pinIdleSeconds` (the
   * control path runs it periodically while attached); returns how many went. The pins' times
   * are CLOCK_MONOTONIC (coarse), as process.hrtime's.
   */
  sweepIdlePins(nowNs: number = Number(process.hrtime.bigint())): number {
    const l = linux();
    const limit = nowNs - this.pinIdleSeconds * 1e9;
    const key = new Uint8Array(PIN_KEY_BYTES);
    const next = new Uint8Array(PIN_KEY_BYTES);
    const value = new Uint8Array(PIN_VALUE_BYTES);
    const seen = new DataView(value.buffer);
    const idle: Uint8Array[] = [];
    let have = l.bpfMapNextKey(this.pins.fd, null, next);
    for (let n = 0; have && n < this.pinEntries; n++) {
      key.set(next);
      if (this.pins.lookup(key, value) && Number(seen.getBigUint64(0, true)) < limit) idle.push(key.slice());
      have = l.bpfMapNextKey(this.pins.fd, key, next);
    }
    // deleted after the walk: a deleted key would restart the walk from the first
    for (const k of idle) this.pins.delete(k);
    return idle.length;
  }

  /** TCP connections pinned now (walks the pin map). */
  pinnedConnections(): number {
    const l = linux();
    const key = new Uint8Array(PIN_KEY_BYTES);
    const next = new Uint8Array(PIN_KEY_BYTES);
    let n = 0;
    let have = l.bpfMapNextKey(this.pins.fd, null, next);
    while (have && n < this.pinEntries * 2) {
      n++;
      key.set(next);
      have = l.bpfMapNextKey(this.pins.fd, key, next);
    }
    return n;
  }

  close(): void {
    if (this.attached) clearInterval(this.attached.sweeper);
    for (const m of [this.rulesMap, this.counters, this.stats, this.pins]) m.close();
  }
}
