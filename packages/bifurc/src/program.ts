/**
 * The classifier's XDP program, written with @dpkit/eal's BPF assembler: parse (up to two VLAN
 * tags, IPv4 with options, IPv6), follow a TCP connection's pin, else one masked lookup per rule
 * shape (tuple-space search), count, pin a SYN that goes to user space, act. XdpClassifier
 * (classifier.ts) owns the maps and the rules and rebuilds the program when shapes change.
 */
import {
  BpfAsm, type BpfMap, FP, Helper, MapUpdate, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, XdpAction, XdpMd,
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
export const STAT_SLOTS = 16;

export const V_KERNEL = 0;
export const V_USER = 1;
export const V_DROP = 2;

export const KEY_BYTES = 48;
export const PIN_KEY_BYTES = 40;
/** a pin's value: when its connection last sent a segment (CLOCK_MONOTONIC ns, coarse) */
export const PIN_VALUE_BYTES = 8;
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
export const VALUE_BYTES = 16;
export const MAX_SHAPES = 16;

// stack layout (offsets from FP)
const BASE = -48; // the packet's key
const LKEY = -96; // masked key of one shape
const SYN = -104; // u32: this packet is a SYN without a pin
const SLOT = -108; // u32 scratch: map keys
const STATK = -116; // u32: stats key
const PINV = -128; // u64: a new pin's value
const TUPLE = -168; // struct bpf_sock_tuple (36 bytes) for the kernel socket lookup

/** A rule shape: the mask every rule of it applies to the packet's key, and its id (key word 0). */
export interface Shape {
  id: number;
  mask: Uint8Array;
  rules: number;
}

/** The maps the program uses. */
export interface ClassifierMaps {
  rules: BpfMap;
  counters: BpfMap;
  stats: BpfMap;
  pins: BpfMap;
}

/** The classifier program for `shapes`, redirecting user packets into `xskMap`. */
export function classifierProgram(m: ClassifierMaps, shapes: Iterable<Shape>, isolated: boolean, xskMap: BpfMap): BpfAsm {
  const a = new BpfAsm();
  const stat = (slot: number) => {
    a.storeImm(4, FP, STATK, slot).loadMap(R1, m.stats.fd).movReg(R2, FP).alu('add', R2, STATK).call(Helper.mapLookupElem);
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
  a.loadMap(R1, m.pins.fd).movReg(R2, FP).alu('add', R2, BASE + 4).call(Helper.mapLookupElem);
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
  for (const s of shapes) {
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
    a.storeImm(4, FP, LKEY, s.id).loadMap(R1, m.rules.fd).movReg(R2, FP).alu('add', R2, LKEY).call(Helper.mapLookupElem);
    a.jmp('jeq', R0, 0, next).jmp('jeq', R8, 0, take);
    a.load(4, R1, R0, 4).load(4, R2, R8, 4).jmpReg('jge', R1, R2, next);
    a.label(take).movReg(R8, R0).label(next);
  }
  a.jmp('jeq', R8, 0, 'default');
  // per-rule counters: packets and bytes
  a.load(4, R7, R8, 8).load(4, R1, R8, 0).store(4, FP, SLOT, R1);
  a.loadMap(R1, m.counters.fd).movReg(R2, FP).alu('add', R2, SLOT).call(Helper.mapLookupElem);
  a.jmp('jeq', R0, 0, 'pin');
  a.movReg(R9, R0).load(8, R1, R9, 0).alu('add', R1, 1).store(8, R9, 0, R1);
  a.movReg(R1, R6).call(Helper.xdpGetBuffLen).load(8, R1, R9, 8).aluReg('add', R1, R0).store(8, R9, 8, R1);
  a.goto('pin');
  a.label('default').mov(R7, isolated ? V_KERNEL : V_USER).mov(R8, 0);
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
  a.loadMap(R1, m.pins.fd).movReg(R2, FP).alu('add', R2, BASE + 4).movReg(R3, FP).alu('add', R3, PINV).mov(R4, MapUpdate.NOEXIST).call(Helper.mapUpdateElem);
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
