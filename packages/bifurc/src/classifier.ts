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
import {
  BpfAsm, BpfMap, FP, Helper, MapType, MapUpdate, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, XdpAction, XdpMd, attachXdp, linux,
  loadXdpProgram,
} from '@dpkit/eal/linux';

/** Counters of what the classifier did, one u64 each in the stats map. */
export const Stat = {
  KERNEL_DEFAULT: 0,
  USER_DEFAULT: 1,
  USER_RULE: 2,
  KERNEL_RULE: 3,
  DROP_RULE: 4,
  /** a segment (a SYN included) of a connection pinned to user space */
  PIN_USER: 5,
  /** a TCP segment without a pin that is not a SYN: the kernel's */
  TCP_UNPINNED: 6,
  /** sent to user space, but the arrival queue has no socket: the kernel got it */
  NO_SOCKET: 7,
  UNPARSED: 8,
  /** a SYN a rule sends to user space for a 5-tuple the kernel has a connection on: kept with the kernel */
  KERNEL_CONNECTION: 9,
  /** a SYN a rule sends to user space while the pin table is full: dropped */
  PIN_FULL: 10,
} as const;
export type StatName = keyof typeof Stat;
const STAT_SLOTS = 16;

const V_KERNEL = 0;
const V_USER = 1;
const V_DROP = 2;

export const KEY_BYTES = 48;
const PIN_KEY_BYTES = 40;
/** a pin's value: when its connection last sent a segment (CLOCK_MONOTONIC ns, coarse) */
const PIN_VALUE_BYTES = 8;
/** bytes the kernel reserves per pin (preallocated hash element: key, value, bookkeeping), measured */
export const PIN_ENTRY_BYTES = 112;

// helpers beyond @dpkit/eal's Helper table (enum bpf_func_id); all of them exist for XDP since 5.11
const SK_LOOKUP_TCP = 84;
const SK_RELEASE = 86;
const KTIME_GET_COARSE_NS = 160;
/** netns argument of bpf_sk_lookup_tcp: the netdev's own namespace */
const BPF_F_CURRENT_NETNS = -1;
/** struct bpf_sock: offset of `state` (enum tcp_state; TCP_LISTEN is 10) */
const SOCK_STATE = 72;
const TCP_LISTEN = 10;
const EEXIST = 17;
const VALUE_BYTES = 16;
export const MAX_SHAPES = 16;

// stack layout (offsets from FP)
const BASE = -48; // the packet's key
const LKEY = -96; // masked key of one shape
const SYN = -104; // u32: this packet is a SYN without a pin
const SLOT = -108; // u32 scratch: map keys
const STATK = -116; // u32: stats key
const PINV = -128; // u64: a new pin's value
const TUPLE = -168; // struct bpf_sock_tuple (36 bytes) for the kernel socket lookup

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

interface Shape {
  id: number;
  mask: Uint8Array;
  rules: number;
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
  private isolated = true;
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
    const a = new BpfAsm();
    const stat = (slot: number) => {
      a.storeImm(4, FP, STATK, slot).loadMap(R1, this.stats.fd).movReg(R2, FP).alu('add', R2, STATK).call(Helper.mapLookupElem);
      const skip = `stat_${a.length}`;
      // per-CPU: this CPU's own copy, a plain add (XDP does not migrate mid-program)
      a.jmp('jeq', R0, 0, skip).load(8, R1, R0, 0).alu('add', R1, 1).store(8, R0, 0, R1).label(skip);
    };
    a.movReg(R6, R1);
    for (let w = 0; w < KEY_BYTES / 4; w++) a.storeImm(4, FP, BASE + 4 * w, 0);
    a.storeImm(4, FP, SYN, 0);
    a.load(4, R2, R6, XdpMd.data).load(4, R3, R6, XdpMd.dataEnd);
    a.movReg(R4, R2).alu('add', R4, 14).jmpReg('jgt', R4, R3, 'unparsed');
    a.load(2, R5, R2, 12).movReg(R7, R2).alu('add', R7, 14);
    // up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8); the outer TCI goes in the key
    a.jmp('jeq', R5, 0x0081, 'vlan1').jmp('jeq', R5, 0xa888, 'vlan1').goto('l3');
    a.label('vlan1').movReg(R4, R2).alu('add', R4, 18).jmpReg('jgt', R4, R3, 'unparsed');
    a.load(2, R0, R2, 14).store(2, FP, BASE + 6, R0).load(2, R5, R2, 16).movReg(R7, R2).alu('add', R7, 18);
    a.jmp('jeq', R5, 0x0081, 'vlan2').jmp('jeq', R5, 0xa888, 'vlan2').goto('l3');
    a.label('vlan2').movReg(R4, R2).alu('add', R4, 22).jmpReg('jgt', R4, R3, 'unparsed');
    a.load(2, R5, R2, 20).movReg(R7, R2).alu('add', R7, 22);
    a.label('l3').jmp('jeq', R5, 0x0008, 'ipv4').jmp('jeq', R5, 0xdd86, 'ipv6').goto('classify');
    // IPv4: options skipped by IHL; fragments have no L4 fields in the key
    a.label('ipv4').movReg(R4, R7).alu('add', R4, 20).jmpReg('jgt', R4, R3, 'unparsed');
    a.load(1, R0, R7, 0).movReg(R1, R0).alu('rsh', R1, 4).jmp('jne', R1, 4, 'unparsed');
    a.alu('and', R0, 0x0f).alu('lsh', R0, 2).jmp('jlt', R0, 20, 'unparsed').movReg(R8, R0);
    a.storeImm(1, FP, BASE + 4, 4).load(1, R9, R7, 9).store(1, FP, BASE + 5, R9);
    a.load(4, R1, R7, 12).store(4, FP, BASE + 8, R1).load(4, R1, R7, 16).store(4, FP, BASE + 24, R1);
    a.load(2, R1, R7, 6).alu('and', R1, 0xff3f).jmp('jne', R1, 0, 'classify');
    a.aluReg('add', R7, R8).goto('l4');
    // IPv6: a next header other than TCP/UDP/SCTP (extension headers included) has no L4 key
    a.label('ipv6').movReg(R4, R7).alu('add', R4, 40).jmpReg('jgt', R4, R3, 'unparsed');
    a.storeImm(1, FP, BASE + 4, 6).load(1, R9, R7, 6).store(1, FP, BASE + 5, R9);
    for (let i = 0; i < 8; i++) a.load(4, R1, R7, 8 + 4 * i).store(4, FP, BASE + 8 + 4 * i, R1);
    a.alu('add', R7, 40);
    a.label('l4').jmp('jeq', R9, 6, 'tcp').jmp('jeq', R9, 17, 'ports').jmp('jeq', R9, 132, 'ports').goto('classify');
    a.label('ports').movReg(R4, R7).alu('add', R4, 8).jmpReg('jgt', R4, R3, 'classify');
    a.load(2, R1, R7, 0).store(2, FP, BASE + 40, R1).load(2, R1, R7, 2).store(2, FP, BASE + 42, R1).goto('classify');
    a.label('tcp').movReg(R4, R7).alu('add', R4, 20).jmpReg('jgt', R4, R3, 'classify');
    a.load(2, R1, R7, 0).store(2, FP, BASE + 40, R1).load(2, R1, R7, 2).store(2, FP, BASE + 42, R1);
    a.load(1, R1, R7, 13).store(1, FP, BASE + 44, R1);
    // every segment of a pinned connection, a SYN included, follows its pin: nothing re-pins it
    a.loadMap(R1, this.pins.fd).movReg(R2, FP).alu('add', R2, BASE + 4).call(Helper.mapLookupElem);
    a.jmp('jne', R0, 0, 'pin_hit');
    // no pin: a SYN (SYN set, ACK clear) is classified; anything else is the kernel's
    a.load(1, R1, FP, BASE + 44).alu('and', R1, 0x12).jmp('jne', R1, 0x02, 'unpinned');
    a.storeImm(4, FP, SYN, 1).goto('classify');
    a.label('unpinned');
    stat(Stat.TCP_UNPINNED);
    a.goto('pass');
    a.label('pin_hit').movReg(R7, R0).call(KTIME_GET_COARSE_NS).store(8, R7, 0, R0);
    stat(Stat.PIN_USER);
    a.goto('user');
    // tuple-space search: one masked lookup per shape, the strongest (lowest priority) wins
    a.label('classify').mov(R8, 0);
    for (const s of this.shapes.values()) {
      const next = `next_${s.id}`;
      const take = `take_${s.id}`;
      const mw = new Uint32Array(s.mask.buffer.slice(0));
      for (let w = 1; w < KEY_BYTES / 4; w++) {
        const m = mw[w]!;
        if (m === 0) a.storeImm(4, FP, LKEY + 4 * w, 0);
        else {
          a.load(4, R1, FP, BASE + 4 * w);
          if (m !== 0xffffffff) a.alu32('and', R1, m | 0);
          a.store(4, FP, LKEY + 4 * w, R1);
        }
      }
      a.storeImm(4, FP, LKEY, s.id).loadMap(R1, this.rulesMap.fd).movReg(R2, FP).alu('add', R2, LKEY).call(Helper.mapLookupElem);
      a.jmp('jeq', R0, 0, next).jmp('jeq', R8, 0, take);
      a.load(4, R1, R0, 4).load(4, R2, R8, 4).jmpReg('jge', R1, R2, next);
      a.label(take).movReg(R8, R0).label(next);
    }
    a.jmp('jeq', R8, 0, 'default');
    // per-rule counters: packets and bytes
    a.load(4, R7, R8, 8).load(4, R1, R8, 0).store(4, FP, SLOT, R1);
    a.loadMap(R1, this.counters.fd).movReg(R2, FP).alu('add', R2, SLOT).call(Helper.mapLookupElem);
    a.jmp('jeq', R0, 0, 'pin');
    a.movReg(R9, R0).load(8, R1, R9, 0).alu('add', R1, 1).store(8, R9, 0, R1);
    a.movReg(R1, R6).call(Helper.xdpGetBuffLen).load(8, R1, R9, 8).aluReg('add', R1, R0).store(8, R9, 8, R1);
    a.goto('pin');
    a.label('default').mov(R7, this.isolated ? V_KERNEL : V_USER).mov(R8, 0);
    // a SYN that goes to user space is pinned for its connection, unless the kernel has one on
    // its 5-tuple (a connection from before the classifier: the SYN is the kernel's to answer)
    a.label('pin').load(4, R1, FP, SYN).jmp('jeq', R1, 0, 'act').jmp('jne', R7, V_USER, 'act');
    a.load(1, R1, FP, BASE + 4).jmp('jeq', R1, 6, 'tuple6');
    a.load(4, R1, FP, BASE + 8).store(4, FP, TUPLE, R1).load(4, R1, FP, BASE + 24).store(4, FP, TUPLE + 4, R1);
    a.load(4, R1, FP, BASE + 40).store(4, FP, TUPLE + 8, R1).mov(R3, 12).goto('sk_lookup');
    a.label('tuple6');
    for (let i = 0; i < 8; i++) a.load(4, R1, FP, BASE + 8 + 4 * i).store(4, FP, TUPLE + 4 * i, R1);
    a.load(4, R1, FP, BASE + 40).store(4, FP, TUPLE + 32, R1).mov(R3, 36);
    a.label('sk_lookup').movReg(R1, R6).movReg(R2, FP).alu('add', R2, TUPLE).mov(R4, BPF_F_CURRENT_NETNS).mov(R5, 0).call(SK_LOOKUP_TCP);
    a.jmp('jeq', R0, 0, 'pin_new');
    a.load(4, R1, R0, SOCK_STATE).store(4, FP, SLOT, R1).movReg(R1, R0).call(SK_RELEASE);
    a.load(4, R1, FP, SLOT).jmp('jeq', R1, TCP_LISTEN, 'pin_new');
    stat(Stat.KERNEL_CONNECTION);
    a.goto('pass');
    a.label('pin_new').call(KTIME_GET_COARSE_NS).store(8, FP, PINV, R0);
    a.loadMap(R1, this.pins.fd).movReg(R2, FP).alu('add', R2, BASE + 4).movReg(R3, FP).alu('add', R3, PINV).mov(R4, MapUpdate.NOEXIST).call(Helper.mapUpdateElem);
    // EEXIST: another CPU pinned the same SYN a moment ago, to user space as well
    a.jmp('jeq', R0, 0, 'act').jmp('jeq', R0, -EEXIST, 'act');
    stat(Stat.PIN_FULL);
    a.goto('drop');
    a.label('act').jmp('jeq', R8, 0, 'act_default');
    a.jmp('jeq', R7, V_USER, 'rule_user').jmp('jeq', R7, V_DROP, 'rule_drop');
    stat(Stat.KERNEL_RULE);
    a.goto('pass');
    a.label('rule_user');
    stat(Stat.USER_RULE);
    a.goto('user');
    a.label('rule_drop');
    stat(Stat.DROP_RULE);
    a.goto('drop');
    a.label('act_default').jmp('jeq', R7, V_USER, 'default_user');
    stat(Stat.KERNEL_DEFAULT);
    a.goto('pass');
    a.label('default_user');
    stat(Stat.USER_DEFAULT);
    a.goto('user');
    a.label('unparsed');
    stat(Stat.UNPARSED);
    a.goto('pass');
    // to the socket of the arrival queue; a queue without one hands the packet to the kernel
    a.label('user').loadMap(R1, xskMap.fd).load(4, R2, R6, XdpMd.rxQueueIndex).mov(R3, XdpAction.PASS).call(Helper.redirectMap);
    a.movReg(R7, R0).jmp('jne', R7, XdpAction.PASS, 'user_done');
    stat(Stat.NO_SOCKET);
    a.label('user_done').movReg(R0, R7).exit();
    a.label('pass').mov(R0, XdpAction.PASS).exit();
    a.label('drop').mov(R0, XdpAction.DROP).exit();
    return a;
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

  isolate(on: boolean): void {
    if (this.isolated === on) return;
    this.isolated = on;
    try {
      this.reload();
    } catch (err) {
      this.isolated = !on;
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
