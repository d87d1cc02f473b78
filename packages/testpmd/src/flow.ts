/**
 * testpmd's `flow` commands (rte_flow) on ports that take rules, with DPDK's output, plus
 * dpkit's `flow ntuple PORT <ethtool ntuple rule>` for rules in ethtool's syntax.
 */
import { DpkitError, describeRule, errorLine, parseNtuple, parseRteFlow, type EthDev, type FlowRule } from '@dpkit/eal';
import { DpdkAnswer, type Testpmd } from './testpmd.js';

export const FLOW_HELP = `
Flow rules (rte_flow):
----------------------

flow validate {port_id} [priority {level}] ingress pattern {item} [/ {item} [...]] / end actions {action} [/ {action} [...]] / end
    Check whether a flow rule can be created.

flow create {port_id} [priority {level}] ingress pattern {item} [/ {item} [...]] / end actions {action} [/ {action} [...]] / end
    Create a flow rule. Items: eth, vlan, ipv4, ipv6, tcp, udp, sctp; actions: queue index N, drop, count, send_to_kernel.

flow ntuple {port_id} flow-type {udp4|tcp4|sctp4|ip4|udp6|tcp6|sctp6|ip6} [src-ip A [m M]] [dst-ip A [m M]] [src-port P [m M]] [dst-port P [m M]] action {N|-1|kernel} [loc L]
    Create a flow rule written in ethtool's ntuple syntax (mask bits set are ignored, as in ethtool).

flow destroy {port_id} rule {rule_id} [...]
    Destroy specific flow rules.

flow flush {port_id}
    Destroy all flow rules.

flow query {port_id} {rule_id} count
    Query the counters of an existing flow rule.

flow list {port_id}
    List existing flow rules sorted by priority.

flow isolate {port_id} {boolean}
    Restrict ingress traffic to the defined flow rules (bifurcated ports start restricted).
`;

/**
 * DPDK's `flow list` rule column for a rule created from these tokens: the pattern's item names
 * then the actions', as written (`ETH IPV4 UDP => QUEUE COUNT`).
 */
function ruleColumn(tokens: readonly string[]): string {
  const names = (from: number): [string[], number] => {
    const out: string[] = [];
    let i = from;
    for (let start = true; i < tokens.length && tokens[i] !== 'end'; i++) {
      if (tokens[i] === '/') start = true;
      else if (start) {
        out.push(tokens[i]!.toUpperCase());
        start = false;
      }
    }
    return [out, i + 1];
  };
  const [items, next] = names(tokens.indexOf('pattern') + 1);
  const [actions] = names(tokens.indexOf('actions', next) + 1);
  return `${items.map((x) => `${x} `).join('')}=>${actions.map((x) => ` ${x}`).join('')}`;
}

/** The same column for a rule that was not written in rte_flow's syntax (flow ntuple, a driver's own). */
function ruleColumnOf(r: FlowRule): string {
  const items = ['ETH'];
  if (r.match.vlan) items.push('VLAN');
  if (r.match.ipVersion) items.push(`IPV${r.match.ipVersion}`);
  const l4 = ({ 6: 'TCP', 17: 'UDP', 132: 'SCTP', 1: 'ICMP', 58: 'ICMP6' } as Record<number, string>)[r.match.proto ?? -1];
  if (l4) items.push(l4);
  const fate = r.action.type === 'queue' ? 'QUEUE' : r.action.type === 'drop' ? 'DROP' : 'SEND_TO_KERNEL';
  return `${items.join(' ')} => ${fate}${r.count ? ' COUNT' : ''}`;
}

/** The rule column of each rule created here, by port and rule id. */
const columns = new WeakMap<EthDev, Map<number, string>>();

function columnsOf(dev: EthDev): Map<number, string> {
  let m = columns.get(dev);
  if (!m) columns.set(dev, (m = new Map()));
  return m;
}

function portOf(app: Testpmd, text: string | undefined): EthDev {
  if (text === undefined || !/^\d+$/.test(text)) throw new DpkitError('Bad arguments');
  return app.portsOf(text, false)[0]!;
}

/** strerror's text for the codes dpkit's drivers give, as rte_strerror prints them */
const STRERROR: Record<string, string> = {
  EINVAL: 'Invalid argument', ENOTSUP: 'Operation not supported', EEXIST: 'File exists', ENOSPC: 'No space left on device',
  ENOENT: 'No such file or directory', EBUSY: 'Device or resource busy', EPERM: 'Operation not permitted',
  ENOMEM: 'Cannot allocate memory', EIO: 'Input/output error', ENODEV: 'No such device', ENOSYS: 'Function not implemented',
};

/**
 * Runs a driver's flow op; its refusal is printed as DPDK's port_flow_complain prints a PMD's
 * (`port_flow_complain(): Caught PMD error type 1 (cause unspecified): MESSAGE: strerror`):
 * dpkit's drivers do not say which part of the rule they refuse, so the type is always 1.
 */
function pmd<T>(op: () => T): T {
  try {
    return op();
  } catch (err) {
    const code = err instanceof DpkitError ? err.code : 'EINVAL';
    throw new DpdkAnswer(`port_flow_complain(): Caught PMD error type 1 (cause unspecified): ${errorLine(err)}: ${STRERROR[code] ?? code}`, code);
  }
}

function takesRules(dev: EthDev): boolean {
  try {
    dev.flow();
    return true;
  } catch (err) {
    if (err instanceof DpkitError && err.code === 'ENOTSUP') return false;
    throw err;
  }
}

const FLOW_SUBCOMMANDS = new Set(['validate', 'create', 'ntuple', 'destroy', 'flush', 'query', 'list', 'isolate']);

export function flowCommand(app: Testpmd, words: string[], out: (s: string) => void): void {
  const [, sub, port, ...rest] = words;
  if (!FLOW_SUBCOMMANDS.has(sub ?? '')) throw new DpkitError('Bad arguments');
  const dev = portOf(app, port);
  // a port that takes no rules has none: list, query and destroy answer as for an empty list (as DPDK's)
  if ((sub === 'list' || sub === 'query' || sub === 'destroy') && !takesRules(dev)) {
    if (sub === 'query' && /^\d+$/.test(rest[0] ?? '')) throw new DpdkAnswer(`Flow rule #${rest[0]} not found`, 'ENOENT');
    return;
  }
  const flow = dev.flow();
  switch (sub) {
    case 'validate': {
      const rule = parseRteFlow(rest);
      pmd(() => flow.validate(rule));
      out('Flow rule validated');
      return;
    }
    case 'create': {
      const rule = parseRteFlow(rest);
      const id = pmd(() => flow.create(rule));
      columnsOf(dev).set(id, ruleColumn(rest));
      out(`Flow rule #${id} created`);
      return;
    }
    case 'ntuple': {
      const rule = parseNtuple(rest.join(' '));
      const id = pmd(() => flow.create(rule));
      columnsOf(dev).set(id, ruleColumnOf(rule));
      out(`Flow rule #${id} created`);
      return;
    }
    case 'destroy': {
      if (rest[0] !== 'rule' || rest.length < 2) throw new DpkitError('usage: flow destroy {port_id} rule {rule_id} [...]');
      for (const r of rest.slice(1)) {
        if (r === 'rule') continue;
        if (!/^\d+$/.test(r)) throw new DpkitError('Bad arguments');
        // as DPDK's port_flow_destroy, an id that is not there is passed over in silence
        if (!flow.list().some((x) => x.id === Number(r))) continue;
        flow.destroy(Number(r));
        columnsOf(dev).delete(Number(r));
        out(`Flow rule #${r} destroyed`);
      }
      return;
    }
    case 'flush':
      flow.flush();
      columnsOf(dev).clear();
      return;
    case 'query': {
      if (rest.length !== 2 || rest[1] !== 'count' || !/^\d+$/.test(rest[0]!)) throw new DpkitError('usage: flow query {port_id} {rule_id} count');
      if (!flow.list().some((x) => x.id === Number(rest[0]))) throw new DpdkAnswer(`Flow rule #${rest[0]} not found`, 'ENOENT');
      const c = flow.query(Number(rest[0]));
      out(['COUNT:', ' hits_set: 1', ' bytes_set: 1', ` hits: ${c.hits}`, ` bytes: ${c.bytes}`].join('\n'));
      return;
    }
    case 'list': {
      const rules = flow.list().sort((a, b) => a.rule.priority - b.rule.priority || a.id - b.id);
      if (rules.length === 0) return;
      // DPDK's table, then what each rule matches exactly (dpkit's, after DPDK's lines)
      const names = columnsOf(dev);
      out([
        'ID\tGroup\tPrio\tAttr\tRule',
        ...rules.map(({ id, rule }) => `${id}\t0\t${rule.priority}\ti--\t${names.get(id) ?? ruleColumnOf(rule)}`),
        ...rules.map(({ id, rule }) => `Rule #${id} matches: ${describeRule(rule)}`),
      ].join('\n'));
      return;
    }
    case 'isolate': {
      const on = rest[0];
      if (rest.length !== 1 || (on !== '0' && on !== '1')) throw new DpkitError('usage: flow isolate {port_id} {0|1}');
      flow.isolate(on === '1');
      out(on === '1' ? `Ingress traffic on port ${dev.portId} is now restricted to the defined flow rules`
        : `Ingress traffic on port ${dev.portId} is not restricted anymore to the defined flow rules`);
      return;
    }
    default:
      throw new DpkitError('Bad arguments');
  }
}
