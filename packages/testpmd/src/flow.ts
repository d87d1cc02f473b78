/**
 * testpmd's `flow` commands (rte_flow) on ports that take rules, with DPDK's output, plus
 * dpkit's `flow ntuple PORT <ethtool ntuple rule>` for rules in ethtool's syntax.
 */
import { DpkitError, describeRule, parseNtuple, parseRteFlow } from '@dpkit/eal';
import type { Testpmd } from './testpmd.js';

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

function portOf(app: Testpmd, text: string | undefined) {
  if (text === undefined || !/^\d+$/.test(text)) throw new DpkitError(`invalid port '${text ?? ''}': expected a port number`);
  return app.eal.ethdevs.get(Number(text));
}

export function flowCommand(app: Testpmd, words: string[], out: (s: string) => void): void {
  const [, sub, port, ...rest] = words;
  const dev = portOf(app, port);
  const flow = dev.flow();
  switch (sub) {
    case 'validate':
      flow.validate(parseRteFlow(rest));
      out('Flow rule validated');
      return;
    case 'create': {
      const id = flow.create(parseRteFlow(rest));
      out(`Flow rule #${id} created`);
      return;
    }
    case 'ntuple': {
      const id = flow.create(parseNtuple(rest.join(' ')));
      out(`Flow rule #${id} created`);
      return;
    }
    case 'destroy': {
      if (rest[0] !== 'rule' || rest.length < 2) throw new DpkitError('usage: flow destroy {port_id} rule {rule_id} [...]');
      for (const r of rest.slice(1)) {
        if (r === 'rule') continue;
        if (!/^\d+$/.test(r)) throw new DpkitError(`invalid rule id '${r}'`);
        flow.destroy(Number(r));
        out(`Flow rule #${r} destroyed`);
      }
      return;
    }
    case 'flush':
      flow.flush();
      return;
    case 'query': {
      if (rest.length !== 2 || rest[1] !== 'count' || !/^\d+$/.test(rest[0]!)) throw new DpkitError('usage: flow query {port_id} {rule_id} count');
      const c = flow.query(Number(rest[0]));
      out(['COUNT:', ' hits_set: 1', ' bytes_set: 1', ` hits: ${c.hits}`, ` bytes: ${c.bytes}`].join('\n'));
      return;
    }
    case 'list': {
      const rules = flow.list().sort((a, b) => a.rule.priority - b.rule.priority || a.id - b.id);
      if (rules.length === 0) return;
      out(['ID\tGroup\tPrio\tAttr\tRule', ...rules.map(({ id, rule }) => `${id}\t0\t${rule.priority}\ti--\t${describeRule(rule)}`)].join('\n'));
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
      throw new DpkitError(`unknown flow command '${sub ?? ''}' (validate, create, ntuple, destroy, flush, query, list, isolate)`);
  }
}
