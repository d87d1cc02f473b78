/**
 * The kernel side's flow director: ethtool ntuple rules (`ethtool -N`) kept as Linux's ixgbe
 * keeps them, and programmed into the device's perfect filters with the base code's register
 * sequence (FDIRCTRL init, one global input mask, FDIRHASH + FDIRCMD add / query + remove).
 * A rule whose queue is neither a kernel queue nor split to a process stays in the list but out
 * of the hardware table, so its traffic goes to RSS and the kernel queues; it is programmed when
 * a process splits that queue, and taken out again when the queue is returned or its owner dies.
 *
 * `flow-type ether proto P` rules go to the EtherType filters instead (ETQF/ETQS, 8 of them,
 * ahead of every other filter in the 82599's order): a deviation from Linux's ixgbe, which
 * refuses ETHER_FLOW ("Unrecognized flow type"), made so that frames of a non-IP EtherType
 * can reach a split queue. They share ethtool's locations with the flow director's rules.
 */
import type { Sim82599 } from './device.js';
import {
  ATR_FLOW_TYPE_IPV4, ATR_FLOW_TYPE_SCTPV4, ATR_FLOW_TYPE_TCPV4, ATR_FLOW_TYPE_UDPV4, FDIRCMD, FDIRCMD_CMD_ADD_FLOW, FDIRCMD_CMD_MASK,
  FDIRCMD_CMD_QUERY_REM_FILT, FDIRCMD_CMD_REMOVE_FLOW, FDIRCMD_DROP, FDIRCMD_FILTER_UPDATE, FDIRCMD_FILTER_VALID,
  FDIRCMD_FLOW_TYPE_SHIFT, FDIRCMD_LAST, FDIRCMD_QUEUE_EN, FDIRCMD_RX_QUEUE_SHIFT, FDIRCTRL, FDIRCTRL_INIT_DONE,
  FDIRDIP4M, FDIRHASH, FDIRHASH_SIG_SW_INDEX_SHIFT, FDIRHKEY, FDIRIPDA, FDIRIPSA, FDIRM, FDIRPORT, FDIRSIP4M, FDIRSKEY,
  FDIRM_L4P, FDIRTCPM, FDIRUDPM, FDIRVLAN, FDIR_DROP_QUEUE, RX_QUEUES, fdirPerfectFilters, ETQF, ETQF_FILTERS, ETQF_FILTER_EN, ETQS,
  ETQS_QUEUE_EN, ETQS_RX_QUEUE_SHIFT,
} from '@dpkit/ixgbe-defs/regs';

/** ip4: IPv4 of any L4 protocol (the filter's flow type IPv4 with the L4 type masked); ether: an EtherType filter */
export type FlowType = 'tcp4' | 'udp4' | 'sctp4' | 'ip4' | 'ether';
const ATR: Record<Exclude<FlowType, 'ether'>, number> = { udp4: ATR_FLOW_TYPE_UDPV4, tcp4: ATR_FLOW_TYPE_TCPV4, sctp4: ATR_FLOW_TYPE_SCTPV4, ip4: ATR_FLOW_TYPE_IPV4 };

/** An ntuple rule; addresses are host-order numbers, masks have 1 for a bit to match (the kernel's m_u). */
export interface Rule {
  flow: FlowType;
  src: number; srcMask: number;
  dst: number; dstMask: number;
  sport: number; sportMask: number;
  dport: number; dportMask: number;
  /** a queue, or -1: drop (not for ether) */
  action: number;
  /** ether: the EtherType compared (all 16 bits) */
  etype?: number;
}

/** 64 KB PBALLOC: (1024 << 1) - 2 = 2046 perfect filters, Linux's default */
export const RULE_LOCATIONS = fdirPerfectFilters(1);
/** FDIRCTRL as the base code writes it for 64 KB perfect mode: PBALLOC 1, PERFECT_MATCH, REPORT_STATUS, drop queue 127, flex offset 6, max length 0xA, full threshold 4 */
const FDIRCTRL_PERFECT_64K = 0x4A067F31;

/** An errno for the channel's reply, as the kernel's ETHTOOL_SRXCLSRLINS would return it. */
export class RuleError extends Error {
  constructor(readonly errno: 'EOPNOTSUPP' | 'EINVAL' | 'ENOSPC' | 'EIO', why: string) {
    super(why);
  }
}

const bitrev16 = (v: number) => { let o = 0; for (let i = 0; i < 16; i++) o |= ((v >> i) & 1) << (15 - i); return o; };
/** a host-order IPv4 number as FDIRIPSA holds it: the wire-order bytes read as a little-endian word */
const wireLe = (a: number) => (((a >>> 24) & 0xFF) | (((a >>> 16) & 0xFF) << 8) | (((a >>> 8) & 0xFF) << 16) | ((a & 0xFF) << 24)) >>> 0;
/** the whole input mask, the L4 type's (masked for ip4 only) included, as ixgbe compares it */
const sameMask = (a: Rule, b: Rule): boolean => (a.flow === 'ip4') === (b.flow === 'ip4') && a.srcMask === b.srcMask && a.dstMask === b.dstMask && a.sportMask === b.sportMask && a.dportMask === b.dportMask;

/**
 * ETHTOOL_SRXCLSRLINS's flow type for `flow-type ip4` (an IP_USER_FLOW spec), as Linux's
 * ixgbe_flowspec_to_flow_type decides it: l4proto 6, 17, 132 make a tcp4, udp4, sctp4 rule
 * (listed back as such); no l4proto (0 under a zero mask) an ip4 rule; anything else EINVAL.
 */
export function userFlowType(proto: number, protoMask: number): FlowType {
  const flow = ({ 6: 'tcp4', 17: 'udp4', 132: 'sctp4' } as Record<number, FlowType>)[proto];
  if (flow) return flow;
  if (proto === 0 && protoMask === 0) return 'ip4';
  throw new RuleError('EINVAL', 'Unrecognized flow type');
}

export class FlowDirector {
  enabled = false;
  readonly rules = new Map<number, Rule>();
  private readonly programmed = new Set<number>();
  /** the ETQF/ETQS index of each programmed ether rule, by location */
  private readonly etqf = new Map<number, number>();

  /** `active(queue)`: is the queue the kernel's or split to a process now? */
  constructor(private readonly nic: Sim82599, private readonly active: (queue: number) => boolean) {}

  private reg(offset: number): number { return this.nic.regs[offset >> 2]!; }
  private set(offset: number, v: number): void { this.nic.regs[offset >> 2] = v >>> 0; }

  /** Waits (spinning: a control-path call, at most 200 ms) for the device to finish FDIRCMD or FDIRCTRL. */
  private wait(done: () => boolean, what: string): void {
    const deadline = Date.now() + 200;
    while (!done()) if (Date.now() > deadline) throw new RuleError('EIO', `the device did not complete ${what}`);
  }

  /** ethtool -K IF ntuple on|off: on initialises the table; off flushes every rule, as ixgbe does. */
  setEnabled(on: boolean): void {
    if (on && !this.enabled) {
      this.set(FDIRHKEY, 0x3DAD14E2);
      this.set(FDIRSKEY, 0x174D3614);
      this.set(FDIRCTRL, FDIRCTRL_PERFECT_64K);
      this.wait(() => (this.reg(FDIRCTRL) & FDIRCTRL_INIT_DONE) !== 0, 'FDIRCTRL initialisation');
    }
    if (!on && this.enabled) {
      for (const loc of [...this.programmed]) this.unprogram(loc);
      this.rules.clear();
    }
    this.enabled = on;
  }

  /** ETHTOOL_SRXCLSRLINS: returns the location (the highest free one when loc is -1). */
  insert(rule: Rule, loc: number): number {
    if (!this.enabled) throw new RuleError('EOPNOTSUPP', 'ntuple is off');
    if (rule.action < -1 || rule.action >= RX_QUEUES) throw new RuleError('EINVAL', `action ${rule.action} is not a queue 0-${RX_QUEUES - 1} or -1`);
    if (loc >= RULE_LOCATIONS) throw new RuleError('EINVAL', 'Location out of range');
    if (loc < 0) {
      loc = RULE_LOCATIONS - 1;
      while (loc >= 0 && this.rules.has(loc)) loc--;
      if (loc < 0) throw new RuleError('ENOSPC', 'no free location');
    }
    const others = [...this.rules].filter(([l]) => l !== loc).map(([, r]) => r);
    const fdir = others.filter((r) => r.flow !== 'ether');
    if (rule.flow === 'ether') {
      if (rule.action === -1) throw new RuleError('EINVAL', 'the EtherType filters have no drop action (ETQS gives a queue)');
      if (others.some((r) => r.flow === 'ether' && r.etype === rule.etype)) throw new RuleError('EINVAL', `EtherType 0x${rule.etype!.toString(16)} has a filter already`);
      if (others.filter((r) => r.flow === 'ether').length >= ETQF_FILTERS) throw new RuleError('ENOSPC', `all ${ETQF_FILTERS} EtherType filters are in use`);
    } else {
      // ixgbe_fdir_set_input_mask_82599: with the L4 type masked no port may be compared
      if (rule.flow === 'ip4' && (rule.sportMask || rule.dportMask)) throw new RuleError('EINVAL', 'Error writing mask');
      if (fdir.length && !sameMask(fdir[0]!, rule)) throw new RuleError('EINVAL', 'Only one mask supported per port');
    }
    if (this.programmed.has(loc)) this.unprogram(loc);
    this.rules.set(loc, rule);
    if (rule.flow !== 'ether' && !fdir.length) this.programMask(rule);
    if (this.wanted(rule)) this.program(loc);
    return loc;
  }

  /** ETHTOOL_SRXCLSRLDEL */
  delete(loc: number): void {
    if (!this.rules.has(loc)) throw new RuleError('EINVAL', `no rule at location ${loc}`);
    if (this.programmed.has(loc)) this.unprogram(loc);
    this.rules.delete(loc);
  }

  /** Programs or removes the rules steering to `queues` after their ownership changed. */
  refresh(queues: Iterable<number>): void {
    const changed = new Set(queues);
    for (const [loc, rule] of this.rules) {
      if (!changed.has(rule.action)) continue;
      const want = this.wanted(rule);
      if (want && !this.programmed.has(loc)) this.program(loc);
      if (!want && this.programmed.has(loc)) this.unprogram(loc);
    }
  }

  private wanted(rule: Rule): boolean {
    return rule.action === -1 || this.active(rule.action);
  }

  /** The port's one input mask (ixgbe_fdir_set_input_mask_82599): 1 bits in these registers are ignored. */
  private programMask(rule: Rule): void {
    // DIPv6 | FLEX | POOL | VLANP | VLANID masked; the L4 type compared, or masked for ip4
    this.set(FDIRM, 0x37 | (rule.flow === 'ip4' ? FDIRM_L4P : 0));
    this.set(FDIRSIP4M, ~wireLe(rule.srcMask));
    this.set(FDIRDIP4M, ~wireLe(rule.dstMask));
    const ports = ~((bitrev16(rule.dportMask) << 16) | bitrev16(rule.sportMask));
    this.set(FDIRTCPM, ports);
    this.set(FDIRUDPM, ports);
  }

  private command(cmd: number, loc: number): number {
    this.set(FDIRHASH, loc << FDIRHASH_SIG_SW_INDEX_SHIFT); // bucket hash 0: the device keys filters by software index
    this.set(FDIRCMD, cmd);
    this.wait(() => (this.reg(FDIRCMD) & FDIRCMD_CMD_MASK) === 0, 'an FDIRCMD command');
    return this.reg(FDIRCMD);
  }

  private program(loc: number): void {
    const r = this.rules.get(loc)!;
    if (r.flow === 'ether') {
      // the lowest free filter: its queue first, then the filter's enable (insert kept at most ETQF_FILTERS)
      const used = new Set(this.etqf.values());
      let i = 0;
      while (used.has(i)) i++;
      this.set(ETQS(i), ETQS_QUEUE_EN | (r.action << ETQS_RX_QUEUE_SHIFT));
      this.set(ETQF(i), ETQF_FILTER_EN | r.etype!);
      this.etqf.set(loc, i);
      this.programmed.add(loc);
      return;
    }
    this.set(FDIRIPSA, wireLe(r.src & r.srcMask));
    this.set(FDIRIPDA, wireLe(r.dst & r.dstMask));
    this.set(FDIRPORT, (((r.dport & r.dportMask) << 16) | (r.sport & r.sportMask)) >>> 0);
    this.set(FDIRVLAN, 0);
    const queue = r.action === -1 ? FDIR_DROP_QUEUE : r.action;
    this.command(FDIRCMD_CMD_ADD_FLOW | FDIRCMD_FILTER_UPDATE | (ATR[r.flow] << FDIRCMD_FLOW_TYPE_SHIFT) | FDIRCMD_LAST | FDIRCMD_QUEUE_EN |
      (r.action === -1 ? FDIRCMD_DROP : 0) | (queue << FDIRCMD_RX_QUEUE_SHIFT), loc);
    this.programmed.add(loc);
  }

  private unprogram(loc: number): void {
    const i = this.etqf.get(loc);
    if (i !== undefined) {
      this.set(ETQF(i), 0);
      this.set(ETQS(i), 0);
      this.etqf.delete(loc);
    } else if (this.command(FDIRCMD_CMD_QUERY_REM_FILT, loc) & FDIRCMD_FILTER_VALID) this.command(FDIRCMD_CMD_REMOVE_FLOW, loc);
    this.programmed.delete(loc);
  }
}
