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
    t.deepEqual(r.run({ proto: 6, dport: 80, sport: 40001, tcpFlags: 0x10 }), { retval: XdpAction.PASS, moved: ['TCP_UNPINNED'] }, 'and stays there, unpinned');
    t.is(r.c.pinnedConnections(), 1, 'only the user-space connection holds a pin');
  } finally {
    r.close();
  }
});

real('IPv6 TCP: a SYN to user space is pinned (the kernel socket lookup takes the IPv6 tuple), its segments follow', (t) => {
  const r = rig();
  try {
    r.c.create(ntuple('flow-type tcp6 dst-port 80 action 0'));
    r.reload();
    t.deepEqual(r.run({ v: 6, proto: 6, dport: 80, tcpFlags: 0x10 }).moved, ['TCP_UNPINNED']);
    t.deepEqual(r.run({ v: 6, proto: 6, dport: 80, tcpFlags: 0x02 }).moved, ['NO_SOCKET', 'USER_RULE']);
    t.deepEqual(r.run({ v: 6, proto: 6, dport: 80, tcpFlags: 0x10 }).moved, ['NO_SOCKET', 'PIN_USER']);
    t.is(r.c.pinnedConnections(), 1);
  } finally {
    r.close();
  }
});

real('a SYN on a pinned 5-tuple follows the pin: a forged SYN cannot move a user-space connection', (t) => {
  const r = rig();
  try {
    const id = r.c.create(ntuple('flow-type tcp4 dst-port 80 action 0'));
    r.reload();
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x02 }).moved, ['NO_SOCKET', 'USER_RULE']);
    r.c.create(ntuple('flow-type tcp4 src-port 40000 dst-port 80 action kernel'));
    r.c.destroy(id);
    r.reload();
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x02 }), { retval: XdpAction.PASS, moved: ['NO_SOCKET', 'PIN_USER'] }, 'a SYN again (any seq): still user space');
    t.deepEqual(r.run({ proto: 6, dport: 80, tcpFlags: 0x10 }).moved, ['NO_SOCKET', 'PIN_USER'], 'and so are its segments');
    t.is(r.c.pinnedConnections(), 1);
  } finally {
    r.close();
  }
});

/** The pin of the connection from `sport`, as the map holds it (key, last-seen ns). */
function pinOf(c: XdpClassifier, sport: number): { key: Uint8Array; seen: number } | undefined {
  const key = new Uint8Array(40);
  const next = new Uint8Array(40);
  let have = linux().bpfMapNextKey(c.pins.fd, null, next);
  while (have) {
    key.set(next);
    if (((key[36]! << 8) | key[37]!) === sport) {
      return { key: key.slice(), seen: Number(new DataView(c.pins.lookup(key)!.buffer).getBigUint64(0, true)) };
    }
    have = linux().bpfMapNextKey(c.pins.fd, key, next);
  }
  return undefined;
}

real('one over capacity: a full pin table keeps every pinned connection, drops and counts the new SYN; idle pins are swept', (t) => {
  const c = new XdpClassifier({ queues: 1, pinEntries: 16, pinIdleSeconds: 120, name: 'tpin' });
  const xsk = new BpfMap(MapType.XSKMAP, 4, 4, 4, 'tpin_xsk');
  try {
    c.create(ntuple('flow-type tcp4 dst-port 80 action 0'));
    const prog = c.load(xsk);
    const run = (sport: number, tcpFlags: number) => {
      const before = c.statistics();
      const res = testRun(prog, packet({ proto: 6, dport: 80, sport, tcpFlags }));
      const after = c.statistics();
      return { retval: res.retval, moved: (Object.keys(after) as StatName[]).filter((k) => after[k] !== before[k]).sort() };
    };
    for (let i = 0; i < 16; i++) t.deepEqual(run(20000 + i, 0x02).moved, ['NO_SOCKET', 'USER_RULE'], `SYN ${i} pinned`);
    t.is(c.pinnedConnections(), 16);
    t.deepEqual(run(20016, 0x02), { retval: XdpAction.DROP, moved: ['PIN_FULL'] }, 'the 17th SYN finds no room: dropped, counted');
    t.is(c.xstats().find((x) => x.name === 'bifurc_pin_full')?.value, 1, 'xstats show it');
    for (let i = 0; i < 16; i++) t.deepEqual(run(20000 + i, 0x10).moved, ['NO_SOCKET', 'PIN_USER'], `connection ${i} keeps its pin`);
    t.is(c.sweepIdlePins(), 0, 'nothing is idle');
    // connection 0 last sent a segment pinIdleSeconds + 1 ago
    const p = pinOf(c, 20000)!;
    const old = new Uint8Array(8);
    new DataView(old.buffer).setBigUint64(0, BigInt(p.seen - 121e9), true);
    c.pins.update(p.key, old);
    t.is(c.sweepIdlePins(p.seen), 1, 'the one idle pin is swept');
    t.is(pinOf(c, 20000), undefined);
    t.deepEqual(run(20016, 0x02).moved, ['NO_SOCKET', 'USER_RULE'], 'the SYN sent again (as TCP does) is pinned');
    t.deepEqual(run(20000, 0x10).moved, ['TCP_UNPINNED'], 'the swept connection\'s segments go to the kernel');
    for (let i = 1; i < 16; i++) t.deepEqual(run(20000 + i, 0x10).moved, ['NO_SOCKET', 'PIN_USER'], `connection ${i} still pinned`);
    linux().close(prog);
  } finally {
    xsk.close();
    c.close();
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
    t.throws(() => r.c.validate(ntuple('flow-type udp4 dst-port 1 action 0')), { message: /matches exactly what rule 0 matches/ }, 'validate checks what create checks');
    t.is(r.c.list().length, 1);
  } finally {
    r.close();
  }
});

real('TCP flag rules: a SYN rule is applied; FIN, RST and ACK rules are refused in one line', (t) => {
  const r = rig(1);
  const rte = (text: string) => parseRteFlow(`ingress pattern eth / ipv4 / tcp ${text} / end actions ${text.includes('flags is 0x04') ? 'drop' : 'queue index 0'} / count / end`.split(' '));
  try {
    const id = r.c.create(rte('dst is 81 flags is 0x02'));
    r.reload();
    t.deepEqual(r.run({ proto: 6, dport: 81, tcpFlags: 0x02 }).moved, ['NO_SOCKET', 'USER_RULE'], 'a SYN matches');
    t.deepEqual(r.run({ proto: 6, dport: 81, sport: 40001, tcpFlags: 0x12 }).moved, ['TCP_UNPINNED'], 'a SYN-ACK is no SYN to classify');
    t.is(r.c.query(id).hits, 1);
    const refused = /TCP flags 0x[0-9a-f]+\/0x[0-9a-f]+ are not a SYN: only a connection's SYN is classified .*tcp flags is 0x02/;
    for (const f of ['flags is 0x01', 'flags is 0x04', 'flags is 0x10', 'flags spec 0x02 flags mask 0x02', 'flags is 0x12']) {
      t.throws(() => r.c.validate(rte(`dst is 82 ${f}`)), { message: refused }, `validate: ${f}`);
      t.throws(() => r.c.create(rte(`dst is 82 ${f}`)), { message: refused }, `create: ${f}`);
    }
    t.is(r.c.list().length, 1);
  } finally {
    r.close();
  }
});
