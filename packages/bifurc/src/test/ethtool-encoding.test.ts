/**
 * The ethtool rxnfc encoding (@dpkit/eal/linux) against the uapi layout: a rule encoded by
 * encodeRxnfc is read back byte by byte at the offsets the addon computed with offsetof() from
 * include/uapi/linux/ethtool.h (not at the encoder's own constants), and decodes to itself.
 * Then the ioctls on a veth, which has no ntuple filters: EOPNOTSUPP, and ntuple off.
 */
import test from 'ava';
import {
  FLOW_EXT, RX_CLS_LOC_ANY, RxFlowType, RxnfcCmd, checkRxnfcLayout, decodeRxnfc, encodeRxnfc, hasLinux, linux, withVethPair,
  type RxFlowSpec,
} from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const withAddon = hasLinux() ? test : test.skip;
const real = kernelTest(test.serial);
const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));

withAddon('the encoder\'s offsets are the uapi struct\'s (the addon\'s offsetof values)', (t) => {
  t.notThrows(() => checkRxnfcLayout());
  const L = linux().ethtoolRxnfcLayout();
  t.is(L.sizeof, 192, 'struct ethtool_rxnfc on x86-64');
});

withAddon('a TCP/IPv4 rule with masks, VLAN, queue and location lands at the uapi offsets', (t) => {
  const L = linux().ethtoolRxnfcLayout();
  const spec: RxFlowSpec = {
    flowType: RxFlowType.TCP_V4,
    src: { addr: ip('10.1.2.3'), mask: ip('255.255.255.0') },
    dst: { addr: ip('10.9.8.7'), mask: ip('255.255.255.255') },
    srcPort: { value: 1000, mask: 0xffff },
    dstPort: { value: 7777, mask: 0xff00 },
    vlanTci: { value: 5, mask: 0x0fff },
    action: { queue: 33, vf: 0 },
    location: 7,
  };
  const b = encodeRxnfc(RxnfcCmd.SRXCLSRLINS, spec);
  const v = new DataView(b.buffer);
  const hu = L['fs.h_u']!;
  const mu = L['fs.m_u']!;
  t.is(b.length, L.sizeof);
  t.is(v.getUint32(L.cmd!, true), L.ETHTOOL_SRXCLSRLINS);
  t.is(v.getUint32(L['fs.flow_type']!, true), (L.TCP_V4_FLOW! | L.FLOW_EXT!) >>> 0, 'VLAN sets FLOW_EXT');
  t.deepEqual([...b.subarray(hu + L['tcp_ip4.ip4src']!, hu + L['tcp_ip4.ip4src']! + 4)], [10, 1, 2, 0], 'value stored masked');
  t.deepEqual([...b.subarray(mu + L['tcp_ip4.ip4src']!, mu + L['tcp_ip4.ip4src']! + 4)], [255, 255, 255, 0], 'mask bits set compare (kernel meaning)');
  t.deepEqual([...b.subarray(hu + L['tcp_ip4.ip4dst']!, hu + L['tcp_ip4.ip4dst']! + 4)], [10, 9, 8, 7]);
  t.deepEqual([...b.subarray(hu + L['tcp_ip4.psrc']!, hu + L['tcp_ip4.psrc']! + 2)], [0x03, 0xe8], 'ports big-endian');
  t.deepEqual([...b.subarray(hu + L['tcp_ip4.pdst']!, hu + L['tcp_ip4.pdst']! + 2)], [0x1e, 0x00], '7777 & 0xff00');
  t.deepEqual([...b.subarray(mu + L['tcp_ip4.pdst']!, mu + L['tcp_ip4.pdst']! + 2)], [0xff, 0x00]);
  t.is(b[hu + L['tcp_ip4.tos']!], 0);
  t.is(b[mu + L['tcp_ip4.tos']!], 0, 'TOS not compared');
  t.deepEqual([...b.subarray(L['fs.h_ext']! + L['ext.vlan_tci']!, L['fs.h_ext']! + L['ext.vlan_tci']! + 2)], [0, 5]);
  t.deepEqual([...b.subarray(L['fs.m_ext']! + L['ext.vlan_tci']!, L['fs.m_ext']! + L['ext.vlan_tci']! + 2)], [0x0f, 0xff]);
  t.is(v.getBigUint64(L['fs.ring_cookie']!, true), 33n);
  t.is(v.getUint32(L['fs.location']!, true), 7);
  // nothing else set: every byte outside the fields above is zero
  const written = new Set<number>();
  const mark = (at: number, n: number) => { for (let i = 0; i < n; i++) written.add(at + i); };
  mark(L.cmd!, 4); mark(L['fs.flow_type']!, 4);
  for (const base of [hu, mu]) { mark(base + L['tcp_ip4.ip4src']!, 4); mark(base + L['tcp_ip4.ip4dst']!, 4); mark(base + L['tcp_ip4.psrc']!, 2); mark(base + L['tcp_ip4.pdst']!, 2); }
  mark(L['fs.h_ext']! + L['ext.vlan_tci']!, 2); mark(L['fs.m_ext']! + L['ext.vlan_tci']!, 2);
  mark(L['fs.ring_cookie']!, 8); mark(L['fs.location']!, 4);
  t.deepEqual([...b.keys()].filter((i) => !written.has(i) && b[i] !== 0), [], 'no stray bytes');
  const back = decodeRxnfc(b);
  t.deepEqual(back.spec, { ...spec, src: { addr: ip('10.1.2.0'), mask: ip('255.255.255.0') }, dstPort: { value: 0x1e00, mask: 0xff00 } }, 'decode round-trip (values come back masked)');
});

withAddon('an IPv4 user flow names ip_ver (mask 0) and its protocol; drop is RX_CLS_FLOW_DISC', (t) => {
  const L = linux().ethtoolRxnfcLayout();
  const spec: RxFlowSpec = { flowType: RxFlowType.IPV4_USER, dst: { addr: ip('192.0.2.1'), mask: ip('255.255.255.255') }, proto: { value: 47, mask: 0xff }, action: 'drop', location: RX_CLS_LOC_ANY };
  const b = encodeRxnfc(RxnfcCmd.SRXCLSRLINS, spec);
  const v = new DataView(b.buffer);
  const hu = L['fs.h_u']!;
  const mu = L['fs.m_u']!;
  t.is(v.getUint32(L['fs.flow_type']!, true), L.IPV4_USER_FLOW);
  t.is(b[hu + L['usr_ip4.ip_ver']!], L.ETH_RX_NFC_IP4);
  t.is(b[mu + L['usr_ip4.ip_ver']!], 0, 'ip_ver mask must be 0');
  t.is(b[hu + L['usr_ip4.proto']!], 47);
  t.is(b[mu + L['usr_ip4.proto']!], 0xff);
  t.is(v.getBigUint64(L['fs.ring_cookie']!, true), 0xffffffffffffffffn, 'RX_CLS_FLOW_DISC');
  t.is(v.getUint32(L['fs.location']!, true), L.RX_CLS_LOC_ANY);
  t.deepEqual(decodeRxnfc(b).spec, spec);
});

withAddon('a UDP/IPv6 rule: 16-byte addresses and ports at the tcpip6 offsets', (t) => {
  const L = linux().ethtoolRxnfcLayout();
  const a6 = Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i);
  const spec: RxFlowSpec = { flowType: RxFlowType.UDP_V6, dst: { addr: a6, mask: new Uint8Array(16).fill(0xff) }, dstPort: { value: 53, mask: 0xffff }, action: { queue: 2, vf: 0 }, location: 0 };
  const b = encodeRxnfc(RxnfcCmd.SRXCLSRLINS, spec);
  const hu = L['fs.h_u']!;
  t.is(new DataView(b.buffer).getUint32(L['fs.flow_type']!, true), L.UDP_V6_FLOW);
  t.deepEqual([...b.subarray(hu + L['tcp_ip6.ip6dst']!, hu + L['tcp_ip6.ip6dst']! + 16)], [...a6]);
  t.deepEqual([...b.subarray(hu + L['tcp_ip6.pdst']!, hu + L['tcp_ip6.pdst']! + 2)], [0, 53]);
  t.deepEqual(decodeRxnfc(b).spec, spec);
  t.is(FLOW_EXT, L.FLOW_EXT);
});

real('on veth (no ntuple filters) the rxnfc ioctls answer EOPNOTSUPP, and ETH_FLAG_NTUPLE is clear', async (t) => {
  await withVethPair((p) => {
    const script = `
      import { ethtoolRuleCount, ethtoolRuleInsert, ethtoolNtupleOn, ethtoolRssQueues, ethtoolRxRings, RxFlowType } from '@dpkit/eal/linux';
      const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code + ' ' + e.message; } };
      console.log(JSON.stringify({
        count: code(() => ethtoolRuleCount('${p.a}')),
        rings: code(() => ethtoolRxRings('${p.a}')),
        insert: code(() => ethtoolRuleInsert('${p.a}', { flowType: RxFlowType.UDP_V4, dstPort: { value: 7, mask: 0xffff }, action: { queue: 1, vf: 0 }, location: 0 })),
        ntupleOn: ethtoolNtupleOn('${p.a}'),
        rss: String(ethtoolRssQueues('${p.a}')),
      }));`;
    const out = JSON.parse(p.exec(process.execPath, ['--input-type=module', '-e', script], 30_000)) as Record<string, unknown>;
    t.is(out.count, 'EOPNOTSUPP ETHTOOL_GRXCLSRLCNT va: Operation not supported (EOPNOTSUPP)');
    t.is(out.rings, 'EOPNOTSUPP ETHTOOL_GRXRINGS va: Operation not supported (EOPNOTSUPP)');
    t.is(out.insert, 'EOPNOTSUPP ETHTOOL_SRXCLSRLINS va: Operation not supported (EOPNOTSUPP)');
    t.false(out.ntupleOn);
    t.is(out.rss, 'undefined', 'no RSS table on veth (GRXFHINDIR: EOPNOTSUPP): undefined, not an error');
    // the real ethtool agrees
    t.throws(() => p.exec('ethtool', ['-N', p.a, 'flow-type', 'udp4', 'dst-port', '7', 'action', '1']), { message: /Operation not supported/ });
  });
});

