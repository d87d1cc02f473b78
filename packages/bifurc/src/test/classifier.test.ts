/**
 * The generated classifier on crafted packets through BPF_PROG_TEST_RUN (no netdev involved):
 * verdicts, the classifier's own counters, per-rule counters, TCP pinning, malformed packets.
 * In a test run the XSKMAP is empty, so a packet sent to user space comes back as XDP_PASS
 * counted under NO_SOCKET; the stats say which way each packet was decided.
 */
import test from 'ava';
import { parseNtuple, parseRteFlow, type FlowRule } from '@dpkit/eal';
import { BpfMap, MapType, XdpAction, linux, testRun } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';
import { XdpClassifier, type StatName } from '../classifier.js';
import { packet, type PacketSpec } from './packets.js';

const real = kernelTest(test.serial);

function rig(queues = 2) {
  const c = new XdpClassifier({ queues, maxRules: 8192, pinEntries: 64, name: 'tcls' });
  const xsk = new BpfMap(MapType.XSKMAP, 4, 4, 4, 'tcls_xsk');
  let prog = -1;
  const reload = () => {
    if (prog >= 0) linux().close(prog);
    prog = c.load(xsk);
  };
  reload();
  /** runs one packet; returns the verdict and which stats moved */
  const run = (spec: PacketSpec | Uint8Array) => {
    const before = c.statistics();
    const r = testRun(prog, spec instanceof Uint8Array ? spec : packet(spec));
    const after = c.statistics();
    const moved = (Object.keys(after) as StatName[]).filter((k) => after[k] !== before[k]).sort();
    return { retval: r.retval, moved };
  };
  const close = () => {
    linux().close(prog);
    xsk.close();
    c.close();
  };
  return { c, run, reload, close };
}

const ntuple = (s: string): FlowRule => parseNtuple(s);

real('no rules: everything stays with the kernel', (t) => {
  const r = rig();
  try {
    t.deepEqual(r.run({}), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] });
    t.deepEqual(r.run({ proto: 6 }), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] }, 'a SYN without rules');
  } finally {
    r.close();
  }
});

real('a UDP rule sends its flow to user space and counts it; other flows stay with the kernel', (t) => {
  const r = rig();
  try {
    const id = r.c.create(ntuple('flow-type udp4 dst-ip 10.9.0.1 dst-port 7777 action 0'));
    r.reload();
    t.deepEqual(r.run({}), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'USER_RULE'] });
    t.deepEqual(r.run({ dport: 7778 }), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] });
    t.deepEqual(r.run({ dst: [10, 9, 0, 3] }), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] });
    t.deepEqual(r.run({ proto: 6 }), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] }, 'TCP to the same port');
    const q = r.c.query(id);
    t.is(q.hits, 1);
    t.is(q.bytes, packet({}).length);
  } finally {
    r.close();
  }
});

real('drop and send_to_kernel rules; the strongest priority wins across shapes', (t) => {
  const r = rig();
  try {
    r.c.create(parseRteFlow('priority 1 ingress pattern eth / ipv4 / udp dst is 7777 / end actions queue index 1 / count / end'.split(' ')));
    r.c.create(parseRteFlow('priority 0 ingress pattern eth / ipv4 src is 10.9.0.66 / end actions drop / end'.split(' ')));
    r.c.create(parseRteFlow('priority 0 ingress pattern eth / ipv4 src is 10.9.0.77 / udp / end actions send_to_kernel / end'.split(' ')));
    r.reload();
    t.deepEqual(r.run({}), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'USER_RULE'] });
    t.deepEqual(r.run({ src: [10, 9, 0, 66] }), { retval: XdpAction.DROP, moved: ['DROP_RULE'] });
    t.deepEqual(r.run({ src: [10, 9, 0, 77] }), { retval: XdpAction.PASS, moved: ['KERNEL_RULE'] });
  } finally {
    r.close();
  }
});

real('TCP: a SYN is classified and pinned; later segments follow the pin even after the rule goes', (t) => {
  const r = rig();
  try {
    const id = r.c.create(ntuple('flow-type tcp4 dst-port 80 action 0'));
    r.reload();
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x10 }), { retval: XdpAction.PASS, moved: ['TCP_UNPINNED'] }, 'an ACK of a connection that predates the rule stays with the kernel');
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x02 }), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'USER_RULE'] }, 'SYN');
    t.is(r.c.pinnedConnections(), 1);
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x10 }), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'PIN_USER'] }, 'ACK follows the pin');
    r.c.destroy(id);
    r.reload();
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x18 }), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'PIN_USER'] }, 'the connection stays in user space after the rule is gone');
    t.deepEqual(r.run({ proto: 6, dport: 80, sport: 40001, tcpFlags: 0x02 }), { retval: XdpAction.PASS, moved: ['KERNEL_DEFAULT'] }, 'a new connection goes to the kernel');
    t.deepEqual(r.run({ proto: 6, dport: 80, sport: 40001, tcpFlags: 0x10 }), { retval: XdpAction.PASS, moved: ['PIN_KERNEL'] }, 'and stays there');
  } finally {
    r.close();
  }
});

real('the pin table is an LRU: when full, the least recently used connection is forgotten', (t) => {
  const r = rig();
  try {
    r.c.create(ntuple('flow-type tcp4 dst-port 80 action 0'));
    r.reload();
    for (let i = 0; i < 200; i++) r.run({ proto: 6, dport: 80, sport: 20000 + i, tcpFlags: 0x02 });
    const n = r.c.pinnedConnections();
    t.true(n <= 64 + 64, `pins stay bounded (${n})`);
    t.deepEqual(r.run({ proto: 6, dport: 80, sport: 20199, tcpFlags: 0x10 }).moved, ['NO_SOCKET', 'PIN_USER'], 'the newest connection is pinned');
  } finally {
    r.close();
  }
});

real('malformed and unusual packets: nothing is misread', (t) => {
  const r = rig();
  try {
    r.c.create(ntuple('flow-type udp4 dst-port 7777 action 0'));
    r.c.create(ntuple('flow-type udp6 dst-port 7777 action 0'));
    r.reload();
    const user = ['NO_SOCKET', 'USER_RULE'];
    t.deepEqual(r.run({ ipOptions: 8 }).moved, user, 'IPv4 options are skipped');
    t.deepEqual(r.run({ vlans: [5] }).moved, user, 'one VLAN tag');
    t.deepEqual(r.run({ vlans: [5, 6] }).moved, user, 'two VLAN tags');
    t.deepEqual(r.run({ fragment: 'first' }).moved, ['KERNEL_DEFAULT'], 'a first fragment is not matched on ports');
    t.deepEqual(r.run({ fragment: 'later' }).moved, ['KERNEL_DEFAULT'], 'a later fragment neither');
    t.deepEqual(r.run({ v: 6 }).moved, user, 'IPv6 UDP');
    t.deepEqual(r.run({ v: 6, ext: true }).moved, ['KERNEL_DEFAULT'], 'IPv6 with an extension header stays with the kernel');
    const full = packet({});
    for (let cut = 0; cut < 42; cut++) {
      const res = r.run(full.slice(0, Math.max(cut, 14)));
      t.is(res.retval, XdpAction.PASS, `truncated to ${cut}`);
      t.false(res.moved.includes('USER_RULE'), `truncated to ${cut}: never to user space`);
    }
    const bad = packet({});
    bad[14] = 0x43; // IHL 3
    t.deepEqual(r.run(bad).moved, ['UNPARSED']);
    const arp = packet({});
    arp[12] = 0x08;
    arp[13] = 0x06;
    t.deepEqual(r.run(arp).moved, ['KERNEL_DEFAULT'], 'ARP stays with the kernel');
  } finally {
    r.close();
  }
});

real('isolate off: unmatched traffic goes to user space, send_to_kernel rules keep theirs', (t) => {
  const r = rig();
  try {
    r.c.create(ntuple('flow-type udp4 dst-port 53 action kernel'));
    r.c.isolate(false);
    r.reload();
    t.deepEqual(r.run({}).moved, ['NO_SOCKET', 'USER_DEFAULT']);
    t.deepEqual(r.run({ dport: 53 }).moved, ['KERNEL_RULE']);
  } finally {
    r.close();
  }
});

real('rules are validated: queues, fields, duplicates', (t) => {
  const r = rig(2);
  try {
    t.throws(() => r.c.create(ntuple('flow-type udp4 dst-port 1 action 2')), { message: /queue 2 does not exist: the port has 2 rx queues/ });
    r.c.create(ntuple('flow-type udp4 dst-port 1 action 1'));
    t.throws(() => r.c.create(ntuple('flow-type udp4 dst-port 1 action 0')), { message: /matches exactly what rule 0 matches/ });
    t.is(r.c.list().length, 1);
  } finally {
    r.close();
  }
});
