/**
 * steering=ntuple (packages/bifurc/src/ntuple.ts): how flow rules become a NIC's ethtool rules
 * and back. These run against RecordingNtupleTable (fixtures/ntuple-table.ts), an in-memory
 * table that stores each rule as struct ethtool_rxnfc bytes: a test of the translation and the
 * rule lifecycle, NOT a claim that veth or this machine has ntuple filters (it has none; what
 * needs a NIC is listed in packages/bifurc/README.md).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { describeRule, parseNtuple, parseRteFlow, type FlowRule } from '@dpkit/eal';
import { RxFlowType, decodeRxnfc, hasLinux, withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';
import { NtupleSteering, ruleToSpec } from '@dpkit/bifurc';
import { RecordingNtupleTable } from './fixtures/ntuple-table.js';
import { BifurcLab } from './lab.js';

const withAddon = hasLinux() ? test : test.skip;
const real = kernelTest(test.serial);
const queuesFixture = fileURLToPath(new URL('./fixtures/ntuple-queues-netns.js', import.meta.url));

function steering(o: { qpairs?: number; maxRules?: number; size?: number } = {}) {
  const table = new RecordingNtupleTable(o.size ?? 16);
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`info ${m}`), notice: (m: string) => lines.push(`notice ${m}`) };
  const s = new NtupleSteering({ iface: 'eth1', qpairs: o.qpairs ?? 2, qoff: 32, maxRules: o.maxRules ?? 100, label: 'net_bifurc0', log, redirect: noProgram, table });
  return { s, table, lines };
}
// attach's XDP program: these tests load none (the refusals come first)
const noProgram = { attach: (): never => { throw new Error('no XDP program in this test'); } };
const rte = (text: string): FlowRule => parseRteFlow(text.split(' '));
const line = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return `${(err as { code?: string }).code} ${(err as Error).message}`;
  }
};
const listed = (s: NtupleSteering) => s.list().map(({ id, rule }) => `${id} ${rule.priority} ${describeRule(rule)}`);

withAddon('a rule takes the last free location (as ethtool does), `loc L` takes L; ids are locations; the NIC gets them at start', (t) => {
  const { s, table } = steering();
  t.is(s.create(parseNtuple('flow-type tcp4 src-ip 10.1.2.3 m 0.0.0.255 dst-port 80 action 1')), 15);
  t.is(s.create(parseNtuple('flow-type udp4 dst-port 53 action -1 loc 3')), 3);
  t.is(s.create(rte('ingress pattern eth / ipv6 dst is 2001:db8::1 / udp dst is 4789 / end actions queue index 0 / end')), 14);
  t.deepEqual(table.calls, [], 'a stopped port\'s rules are not on the NIC');
  t.deepEqual(listed(s), [
    '3 3 ipv4 UDP dport 53/0xffff => DROP',
    '14 14 ipv6 dst 2001:db8::1/128 UDP dport 4789/0xffff => QUEUE 0',
    '15 15 ipv4 src 10.1.2.0/24 TCP dport 80/0xffff => QUEUE 1',
  ], 'no COUNT: the NIC keeps no per-rule counters');
});

withAddon('what reaches the NIC: flow type, masks with the kernel\'s meaning, queue qoff + N, drop as RX_CLS_FLOW_DISC', (t) => {
  const table = new RecordingNtupleTable();
  const put = (text: string, loc: number) => table.insert('eth1', ruleToSpec(parseNtuple(text), 2, 32, loc));
  put('flow-type tcp4 src-ip 10.1.2.3 m 0.0.0.255 dst-port 80 m 0x00ff action 1', 15);
  put('flow-type ip4 dst-ip 192.0.2.9 l4proto 47 action -1', 2);
  put('flow-type udp6 dst-port 53 vlan 7 m 0xf000 action 0', 4);
  const at = (loc: number) => decodeRxnfc(table.rules.get(loc)!).spec;
  t.deepEqual(at(15), {
    flowType: RxFlowType.TCP_V4, action: { queue: 33, vf: 0 }, location: 15,
    src: { addr: Uint8Array.from([10, 1, 2, 0]), mask: Uint8Array.from([255, 255, 255, 0]) },
    dstPort: { value: 0, mask: 0xff00 },
  }, 'ethtool\'s `m` (bits to ignore) arrives inverted: bits to compare');
  t.deepEqual(at(2), { flowType: RxFlowType.IPV4_USER, action: 'drop', location: 2, dst: { addr: Uint8Array.from([192, 0, 2, 9]), mask: Uint8Array.from([255, 255, 255, 255]) }, proto: { value: 47, mask: 0xff } });
  t.deepEqual(at(4), { flowType: RxFlowType.UDP_V6, action: { queue: 32, vf: 0 }, location: 4, dstPort: { value: 53, mask: 0xffff }, vlanTci: { value: 7 & 0x0fff, mask: 0x0fff } });
});

withAddon('rules ethtool cannot express are refused in one line each', (t) => {
  const { s } = steering({ qpairs: 1 });
  t.is(line(() => s.validate(rte('ingress pattern eth / ipv4 / tcp flags is 0x02 / end actions queue index 0 / end'))),
    'ENOTSUP flow rule \'ipv4 TCP flags 0x02/0xff => QUEUE 0\': ethtool ntuple rules match no TCP flags (steering=xdp classifies SYNs)');
  t.is(line(() => s.validate(parseNtuple('flow-type udp4 dst-port 53 action kernel'))),
    'ENOTSUP flow rule \'ipv4 UDP dport 53/0xffff => SEND_TO_KERNEL COUNT\': send_to_kernel has no ethtool action in steering=ntuple: what no rule steers stays on the kernel\'s queues already');
  t.is(line(() => s.validate(rte('ingress pattern eth / end actions queue index 0 / end'))),
    'ENOTSUP flow rule \'any => QUEUE 0\': steering=ntuple needs an IP layer (flow-type tcp4|udp4|sctp4|ip4|tcp6|udp6|sctp6|ip6)');
  t.is(line(() => s.validate(parseNtuple('flow-type udp4 dst-port 53 action 1'))),
    'ENOTSUP flow rule \'ipv4 UDP dport 53/0xffff => QUEUE 1 COUNT\': queue 1 does not exist: the port has 1 rx queue (0..0)');
  s.create(parseNtuple('flow-type udp4 dst-port 53 action 0 loc 3'));
  t.is(line(() => s.validate(parseNtuple('flow-type udp4 dst-port 54 action 0 loc 3'))),
    'EEXIST net_bifurc0: flow rule \'ipv4 UDP dport 54/0xffff => QUEUE 0 COUNT\': loc 3 of eth1 holds a rule already (flow list net_bifurc0, or ethtool -n eth1)');
  t.is(line(() => s.validate(parseNtuple('flow-type udp4 dst-port 54 action 0 loc 16'))),
    'EINVAL net_bifurc0: flow rule \'ipv4 UDP dport 54/0xffff => QUEUE 0 COUNT\': loc 16 is outside eth1\'s rule table (0..15)');
  t.is(line(() => s.query(3)), 'ENOTSUP net_bifurc0: flow rule 3: a NIC\'s ntuple rules have no per-rule counters (steering=ntuple); ethtool -S eth1 shows the NIC\'s own filter counters, steering=xdp counts per rule');
  t.is(line(() => s.isolate(false)), 'ENOTSUP net_bifurc0: flow isolate off needs steering=xdp: with steering=ntuple what no rule steers follows eth1\'s RSS over the kernel\'s queues');
  t.is(line(() => s.isolate(true)), 'no error');
  t.is(line(() => s.destroy(9)), 'ENOENT net_bifurc0: no flow rule 9 (flow list shows the ids: the NIC\'s rule locations)');
});

withAddon('a full table and the rules= cap', (t) => {
  const { s } = steering({ size: 2, maxRules: 100 });
  s.create(parseNtuple('flow-type udp4 dst-port 1 action 0'));
  s.create(parseNtuple('flow-type udp4 dst-port 2 action 0'));
  t.is(line(() => s.create(parseNtuple('flow-type udp4 dst-port 3 action 0'))), 'ENOSPC net_bifurc0: flow rule \'ipv4 UDP dport 3/0xffff => QUEUE 0 COUNT\': eth1\'s rule table is full (2 rules)');
  const capped = steering({ maxRules: 1 }).s;
  capped.create(parseNtuple('flow-type udp4 dst-port 1 action 0'));
  t.is(line(() => capped.create(parseNtuple('flow-type udp4 dst-port 2 action 0'))), 'ENOSPC net_bifurc0: the port holds 1 rules already (rules=)');
});

withAddon('rules the port did not add (ethtool -N, a process that died) are listed as the NIC reports them; flush leaves them, destroy removes one', (t) => {
  const { s, table, lines } = steering();
  // as `ethtool -N eth1 flow-type udp4 dst-port 7 action 33 loc 5`, `... action 2 loc 6`, and an ether rule
  table.insert('eth1', { flowType: RxFlowType.UDP_V4, dstPort: { value: 7, mask: 0xffff }, action: { queue: 33, vf: 0 }, location: 5 });
  table.insert('eth1', { flowType: RxFlowType.TCP_V4, dstPort: { value: 22, mask: 0xffff }, action: { queue: 2, vf: 0 }, location: 6 });
  table.insert('eth1', { flowType: RxFlowType.UDP_V4, tos: { value: 0x10, mask: 0xff }, action: { queue: 32, vf: 0 }, location: 7 });
  table.insertEther(8);
  t.is(s.create(parseNtuple('flow-type udp4 dst-port 9 action 0')), 15);
  t.deepEqual(listed(s), [
    '5 5 ipv4 UDP dport 7/0xffff => QUEUE 1',
    '6 6 ipv4 TCP dport 22/0xffff => SEND_TO_KERNEL',
    '15 15 ipv4 UDP dport 9/0xffff => QUEUE 0',
  ], 'a rule to a split queue is the port\'s queue, to any other queue the kernel\'s');
  s.list();
  t.deepEqual(lines, [
    'notice net_bifurc0: eth1\'s rule at loc 7 is not in flow list: it matches TOS/traffic class (ethtool -n eth1 shows it)',
    'notice net_bifurc0: eth1\'s rule at loc 8 is not in flow list: its flow type 0x12 is not TCP/UDP/SCTP/IP (ethtool -n eth1 shows it)',
  ], 'said once per rule');
  s.flush();
  t.deepEqual(table.locations(), [5, 6, 7, 8], 'flush removes the port\'s own rules only');
  s.destroy(5);
  t.deepEqual(table.locations(), [6, 7, 8], 'destroy of a listed id removes that NIC rule');
  t.deepEqual(table.calls, ['ins 5', 'ins 6', 'ins 7', 'del 5']);
  // the NIC refusing a delete is one line naming the rule
  table.refuseDelete = 'EPERM';
  t.is(line(() => s.destroy(6)), 'EPERM net_bifurc0: eth1 does not delete its rule at loc 6 (ETHTOOL_SRXCLSRLDEL eth1: Operation not permitted (EPERM))');
});

real('steering=ntuple\'s data path on a 4-queue veth: all of split queue 2 reaches the port, queues 1 and 3 stay with the kernel; rules go to the table at start, leave it at stop', async (t) => {
  await withVethPair((p) => {
    const out = JSON.parse(p.exec(process.execPath, [queuesFixture, p.a, p.b], 60_000)) as Record<string, any>;
    t.deepEqual([out.completed1, out.completed2, out.completed3], [40, 50, 30], 'the sender put 40, 50 and 30 frames on tx queues 1, 2, 3');
    t.is(out.portRx, 50, 'the port got every frame of split queue 2, and nothing else');
    t.deepEqual(out.portByQueue, { 2: 50 }, 'each one a UDP frame sent on queue 2');
    t.is(out.kernelRx, 70, 'the kernel\'s UDP socket got every frame of queues 1 and 3 (no socket there)');
    t.is(out.created, 15);
    t.deepEqual(out.nicRule, { queue: 2, vf: 0 }, 'action 0 is netdev queue qoff + 0');
    t.deepEqual(out.callsBeforeStart, ['ins 3'], 'only the rule added before (as by ethtool -N)');
    t.deepEqual(out.callsStarted, ['ins 3', 'ins 15'], 'the port\'s rule reaches the table at start');
    t.deepEqual(out.listStarted, [3, 15], 'flow list: the NIC\'s rule and the port\'s');
    t.deepEqual(out.callsStopped, ['ins 3', 'ins 15', 'del 15'], 'stop deletes the port\'s rule');
    t.deepEqual(out.listStopped, [3, 15], 'the stopped port keeps its rule (and its id)');
    t.deepEqual(out.callsRestarted, ['ins 3', 'ins 15', 'del 15', 'ins 15'], 'the next start puts it back at the same location');
    t.deepEqual(out.tableAfterClose, [3], 'close leaves only the rule the port did not add');
    t.deepEqual(out.lines, Array(2).fill('EAL: net_bifurc0: va has 1 ntuple rule this port did not add (loc 3): they stay, flow list shows them, flow destroy removes one'), 'said at each start');
  }, { queues: 4 });
});

real('steering=ntuple on veth is refused in one line with the fix; steering=auto says so in one line and the XDP classifier steers', async (t) => {
  const lab = BifurcLab.create('ntf');
  try {
    const fp = `--file-prefix=ntf-${process.pid}`;
    const refused = await lab.runTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va,steering=ntuple', fp], ['-i']);
    t.not(refused.code, 0);
    const why = 'net_bifurc0: steering=ntuple: va has no ntuple filters (ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP); switch them on with ethtool -K va ntuple on (a NIC whose driver has them), or use steering=xdp';
    t.is(refused.output.split('\n').filter((l) => l.includes('steering=ntuple')).length, 1, refused.output);
    t.true(refused.output.includes(why), refused.output);
    t.notRegex(refused.output, /\n\s+at /, 'no stack trace');
    const services = await lab.startServices([7777, 7778], []);
    const tp = await lab.startTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va,steering=auto', fp], ['--rxfreet=32', '--txfreet=32', '--txrst=32']);
    t.regex(await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 7777 action 0'), /Flow rule #0 created/);
    await tp.cmd('set fwd 5tswap');
    await tp.cmd('start');
    const user = await lab.client('udp', 7777, 20);
    const kern = await lab.client('udp', 7778, 20);
    await tp.cmd('stop');
    const q = await tp.cmd('flow query 0 0 count');
    const output = tp.output;
    await tp.quit();
    await services.stop();
    const said = output.split('\n').filter((l) => l.includes('steering=auto'));
    t.deepEqual(said, ['EAL: net_bifurc0: steering=auto: va has no ntuple filters (ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP); steering by the XDP classifier'], 'one line, naming the netdev and the errno');
    t.deepEqual(user, { sent: 20, fromKernel: 0, fromUser: 20, lost: 0 }, 'the classifier steered the rule\'s flow');
    t.deepEqual(kern, { sent: 20, fromKernel: 20, fromUser: 0, lost: 0 });
    t.regex(q, /hits: 20/, 'with its per-rule counters');
  } finally {
    await lab.destroy();
  }
});

withAddon('start is refused in one line when the NIC\'s RSS spreads the kernel\'s traffic over a split queue', (t) => {
  const { s, table } = steering();
  table.rss = [30, 31, 32, 33];
  t.is(line(() => s.attach({} as never, 1, 'drv')),
    'EBUSY net_bifurc0: eth1\'s RSS spreads the kernel\'s traffic over split queues 32, 33 (ethtool -x eth1), which steering=ntuple gives to the port: ethtool -X eth1 equal 32');
  t.deepEqual(table.calls, [], 'nothing inserted');
  const zero = new NtupleSteering({ iface: 'eth1', qpairs: 1, qoff: 0, maxRules: 10, label: 'net_bifurc0', log: { info() {}, notice() {} }, redirect: noProgram, table });
  table.rss = [0, 1, 2, 3];
  t.is(line(() => zero.attach({} as never, 1, 'drv')),
    'EBUSY net_bifurc0: eth1\'s RSS spreads the kernel\'s traffic over split queue 0 (ethtool -x eth1), which steering=ntuple gives to the port: split queues above the RSS ones (qoff=4)');
});

withAddon('what the NIC\'s driver refuses is one line with its errno: at start (the port does not start, nothing stays inserted) and at create on a started port', (t) => {
  const table = new RecordingNtupleTable();
  const program: string[] = [];
  const redirect = { attach: () => { program.push('attach'); return { detach: () => { program.push('detach'); } }; } };
  const s = new NtupleSteering({ iface: 'eth1', qpairs: 1, qoff: 2, maxRules: 10, label: 'net_bifurc0', log: { info() {}, notice() {} }, redirect, table });
  s.create(parseNtuple('flow-type udp4 dst-port 1 action 0 loc 1'));
  s.create(parseNtuple('flow-type udp4 dst-port 2 action 0 loc 2'));
  table.refuse = 'EINVAL';
  table.refuseLoc = 2;
  t.is(line(() => s.attach({} as never, 1, 'drv')),
    'EINVAL net_bifurc0: eth1 refuses rule \'ipv4 UDP dport 2/0xffff => QUEUE 0\' at loc 2 (ETHTOOL_SRXCLSRLINS eth1: Invalid argument (EINVAL)): the NIC\'s driver decides which fields and masks it takes (ethtool -N eth1 ... shows the same refusal)');
  t.deepEqual(program, ['attach', 'detach'], 'the program is gone again');
  t.deepEqual(table.locations(), [], 'nothing stays on the NIC: the rule at loc 1 is deleted again');
  t.deepEqual(table.calls, ['ins 1', 'del 1']);
  table.refuse = undefined;
  table.refuseLoc = undefined;
  const h = s.attach({} as never, 1, 'drv');
  t.deepEqual(table.locations(), [1, 2]);
  table.refuse = 'EINVAL';
  t.regex(line(() => s.create(parseNtuple('flow-type udp4 dst-port 3 action 0'))), /^EINVAL net_bifurc0: eth1 refuses rule 'ipv4 UDP dport 3\/0xffff => QUEUE 0 COUNT' at loc 15 /);
  t.deepEqual(s.list().map((r) => r.id), [1, 2], 'the refused rule is not the port\'s');
  table.refuse = undefined;
  s.close();
  t.deepEqual(table.locations(), [], 'close deletes the port\'s rules from the NIC');
  t.deepEqual(program, ['attach', 'detach', 'attach', 'detach']);
  h.detach();
  t.deepEqual(program, ['attach', 'detach', 'attach', 'detach'], 'a second detach does nothing');
});

withAddon('split queues the NIC\'s rules cannot name (ETHTOOL_GRXRINGS) are refused when the steering is made', (t) => {
  const table = new RecordingNtupleTable();
  table.rings = 4;
  t.is(line(() => new NtupleSteering({ iface: 'eth1', qpairs: 2, qoff: 3, maxRules: 10, label: 'net_bifurc0', log: { info() {}, notice() {} }, redirect: noProgram, table })),
    'EINVAL net_bifurc0: steering=ntuple: eth1\'s rules can send to rx rings 0..3 (ETHTOOL_GRXRINGS), not to split queues 3..4: lower qoff/qpairs or add channels with ethtool -L');
  t.is(line(() => new NtupleSteering({ iface: 'eth1', qpairs: 1, qoff: 3, maxRules: 10, label: 'net_bifurc0', log: { info() {}, notice() {} }, redirect: noProgram, table })), 'no error');
});
