// dpkit-ethtool against a device and its control channel: ethtool's output and errors for
// ntuple rules, the rules programmed into the flow director only while their queue is the
// kernel's or split to a process, and given back to the kernel when that process dies.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ControlChannel, channelName } from '../channel.js';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import { connectFailure } from '../ethtool.js';
import { kernelSideUp } from '../kernel.js';
import { AddonLoadError } from '../native.js';
import * as r from '@dpkit/ixgbe-defs/regs';
import { frame, ipv4, rig, until } from './rig.js';

const bin = fileURLToPath(new URL('../../bin/dpkit-ethtool.js', import.meta.url));
const child = fileURLToPath(new URL('./channel-child.js', import.meta.url));
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a command asynchronously (the channel is served by this process's event loop). */
function run(file: string, args: string[]): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [file, ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('exit', (status) => ok({ stdout, stderr, status }));
  });
}

const et = (...args: string[]) => run(bin, args);
const refused = { stdout: '', stderr: 'rmgr: Cannot insert RX class rule: Invalid argument\nCannot insert classification rule\n', status: 1 };

/** A started device with 32 kernel queues behind channel IF, tx queue 5 set up, and `send` (proto, src): the rx queues whose frame count moved. */
async function device(t: ExecutionContext, IF: string) {
  const x = rig();
  t.teardown(x.close);
  const ch = new ControlChannel(x.nic, { ifname: IF, kernelQueues: 32, ifinfo: () => ({ mac: '02:00:00:00:00:01', mtu: 1500 }) });
  t.teardown(() => ch.close());
  x.nic.kernelQueuesWithoutTap(32);
  x.nic.start();
  kernelSideUp(x.nic, 32);
  await x.txQueue(5, 0x2000);
  let sent = 0;
  const send = (src: string, proto = 17) => sendFrame(ipv4(proto, src, '10.0.0.2', 5000, 6000));
  const sendFrame = async (f: Uint8Array) => {
    const before = x.nic.counters().rxQueueFrames;
    x.bytes.set(f, 0x40000 + (sent % 32) * 0x800);
    x.txDescriptor(0x2000, sent % 32, 0x40000 + (sent % 32) * 0x800, f.length, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, f.length);
    x.setReg(r.TDT(5), ++sent % 32);
    let moved: number[] = [];
    await until(() => { const now = x.nic.counters().rxQueueFrames; moved = now.flatMap((n, q) => (n !== before[q] ? [q] : [])); return moved.length > 0; });
    return moved;
  };
  return { x, ch, send, sendFrame, sent: () => sent };
}

test('dpkit-ethtool: ntuple rules with ethtool\'s output, active while their queue has an owner, given back on kill -9', async (t) => {
  const IF = `st${process.pid}`;
  const { x, ch, send, sent: count } = await device(t, IF);

  t.deepEqual(await et('-N', IF, 'flow-type', 'udp4', 'src-ip', '1.1.1.1', 'action', '32'),
    { stdout: '', stderr: 'rmgr: Cannot insert RX class rule: Operation not supported\nCannot insert classification rule\n', status: 1 }, 'ntuple is off');
  t.deepEqual(await et('-K', IF, 'ntuple', 'on'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await et('-N', IF, 'flow-type', 'udp4', 'src-ip', '0.0.0.0', 'action', '0'), { stdout: 'Added rule with ID 2045\n', stderr: '', status: 0 });
  t.deepEqual(await et('-N', IF, 'flow-type', 'udp4', 'src-ip', '1.1.1.1', 'action', '32'), { stdout: 'Added rule with ID 2044\n', stderr: '', status: 0 });
  t.deepEqual(await et('-N', IF, 'flow-type', 'tcp4', 'dst-port', '80', 'action', '33'),
    refused, 'one mask per port');
  const rule = (loc: number, src: string, action: number) => `Filter: ${loc}\n\tRule Type: UDP over IPv4\n\tSrc IP addr: ${src} mask: 0.0.0.0\n\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n` +
    `\tTOS: 0x0 mask: 0xff\n\tSrc port: 0 mask: 0xffff\n\tDest port: 0 mask: 0xffff\n\tAction: Direct to queue ${action}\n\n`;
  t.deepEqual(await et('-n', IF), { stdout: `128 RX rings available\nTotal 2 rules\n\n${rule(2044, '1.1.1.1', 32)}${rule(2045, '0.0.0.0', 0)}`, stderr: '', status: 0 });

  const queue32 = () => x.nic.counters().rxQueueFrames[32];
  const kernel = (qs: number[]) => qs.length === 1 && qs[0]! < 16;
  const first = await send('1.1.1.1');
  t.true(kernel(first), `queue 32 has no owner: the rule is not in the hardware, RSS gives the frame to a kernel queue (it went to ${first})`);

  const owner = spawn(process.execPath, [child, channelName(IF), 'hold', '32', String(0x1_0000_0000)], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void owner.kill('SIGKILL'));
  let out = '';
  const said = (what: string) => new Promise<void>((ok) => { const check = () => { if (out.includes(what)) ok(); }; owner.stdout.on('data', (b) => { out += b; check(); }); check(); });
  await said('ready');
  t.deepEqual(await send('1.1.1.1'), [32], 'split: the rule is programmed, the frame reaches queue 32');
  await said('received');
  t.regex(out, /received length=42 status=7 head=1/, 'on the owner\'s ring, with FLM in the write-back (DD | EOP | FLM)');

  t.is(ch.ownerOf(32), owner.pid);
  const exited = new Promise((ok) => owner.on('exit', ok));
  owner.kill('SIGKILL');
  await exited;
  await until(() => ch.ownerOf(32) === undefined); // the device sees the socket close at once
  t.is(ch.ownerOf(32), undefined, 'the dead process\'s queue was reclaimed');
  t.true(kernel(await send('1.1.1.1')), 'after kill -9 the rule left the hardware: the flow is the kernel\'s again');
  t.is(queue32(), 1, 'queue 32 got only the one frame sent while it had an owner');
  t.is(x.nic.counters().rxNotStarted, 0, 'nothing was steered to the dead owner\'s stopped queue');

  t.deepEqual(await et('-N', IF, 'delete', '2044'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await et('-N', IF, 'delete', '7'), { stdout: '', stderr: 'rmgr: Cannot delete RX class rule: Invalid argument\nCannot delete classification rule\n', status: 1 });
  t.deepEqual(await et('-n', IF), { stdout: `128 RX rings available\nTotal 1 rules\n\n${rule(2045, '0.0.0.0', 0)}`, stderr: '', status: 0 });
  t.deepEqual(await et('-l', IF), { stdout: `Channel parameters for ${IF}:\nPre-set maximums:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t128\n` +
    'Current hardware settings:\nRX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t32\n', stderr: '', status: 0 });
  t.deepEqual(await et('-i', IF), { stdout: `driver: ixgbe\nversion: 0.1.0\nfirmware-version: \nexpansion-rom-version: \nbus-info: dpkit-sim-82599/${IF}\n` +
    'supports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\nsupports-priv-flags: no\n', stderr: '', status: 0 });
  // -x: RETA entry j -> queue j % 16 (the kernel side's round robin over 16 queues), the fixed key
  const table = Array.from({ length: 16 }, (_, row) => `${String(row * 8).padStart(5)}: ` + Array.from({ length: 8 }, (_, k) => ` ${String((row * 8 + k) % 16).padStart(5)}`).join('') + '\n').join('');
  t.deepEqual(await et('-x', IF), { stdout: `RX flow hash indirection table for ${IF} with 128 RX ring(s):\n${table}RSS hash key:\n` +
    '6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa\n' +
    'RSS hash function:\n    toeplitz: on\n    xor: off\n    crc32: off\n', stderr: '', status: 0 });
  const stats = (await et('-S', IF)).stdout;
  const sent = count();
  t.true(stats.startsWith(`NIC statistics:\n     rx_packets: ${sent}\n     tx_packets: ${sent}\n     rx_bytes: ${sent * 42}\n     tx_bytes: ${sent * 42}\n`), stats.slice(0, 200));
  t.regex(stats, /\n     fdir_match: 1\n/, 'one frame matched a programmed rule (the one to queue 32 while it had an owner)');
  t.regex(stats, /\n     rx_queue_32_packets: 1\n/);
  t.deepEqual(await et('-N', IF, 'flow-type', 'udp6', 'action', '1'), { stdout: '', stderr: 'dpkit-ethtool: flow-type udp6 is not built for this NIC yet (tcp4, udp4, sctp4, ip4, ether are)\n', status: 1 });
});

test('dpkit-ethtool: flow-type ip4 steers IPv4 of any protocol, l4proto 17 makes a udp4 rule, and ixgbe\'s refusals', async (t) => {
  const IF = `si${process.pid}`;
  const { x, send } = await device(t, IF);
  const kernel = (qs: number[]) => qs.length === 1 && qs[0]! < 16; // RSS spreads over queues 0-15 only
  t.deepEqual(await et('-K', IF, 'ntuple', 'on'), { stdout: '', stderr: '', status: 0 });
  // what Linux's ixgbe refuses (EINVAL): a protocol it has no flow type for, l4proto 0 compared, ports with no L4 type
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'l4proto', '1', 'action', '20'), refused, 'l4proto 1: Unrecognized flow type');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'l4proto', '0', 'action', '20'), refused, 'l4proto 0 under a full mask');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'l4data', '0x13880000', 'm', '0xffff', 'action', '20'), refused, 'a port compared while the L4 type is masked');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'tos', '4', 'action', '20'),
    { stdout: '', stderr: 'dpkit-ethtool: tos cannot be matched: the 82599\'s flow director has no TOS field (Linux\'s ixgbe ignores it); leave it out\n', status: 1 });
  t.deepEqual(await et('-n', IF), { stdout: '128 RX rings available\nTotal 0 rules\n\n', stderr: '', status: 0 }, 'nothing refused was kept');

  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'action', '20'), { stdout: 'Added rule with ID 2045\n', stderr: '', status: 0 });
  t.is(x.reg(r.FDIRM), 0x3F, 'the input mask as ixgbe writes it for ip4: the L4 type masked (FDIRM.L4P) besides DIPv6, flex, pool, VLAN');
  t.is(x.reg(r.FDIRCMD), 0x00148808, 'FDIRCMD as ixgbe writes it: flow type IPv4 (0), queue 20 (QUEUE_EN, LAST, FILTER_UPDATE), CMD done');
  t.deepEqual(await et('-n', IF), { stdout: '128 RX rings available\nTotal 1 rules\n\nFilter: 2045\n\tRule Type: Raw IPv4\n' +
    '\tSrc IP addr: 10.9.9.9 mask: 0.0.0.0\n\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n\tTOS: 0x0 mask: 0xff\n' +
    '\tProtocol: 0 mask: 0xff\n\tL4 bytes: 0x0 mask: 0xffffffff\n\tAction: Direct to queue 20\n\n', stderr: '', status: 0 });
  t.deepEqual(await send('10.9.9.9', 1), [20], 'an ICMP frame from 10.9.9.9 goes to queue 20');
  t.deepEqual(await send('10.9.9.9', 47), [20], 'a GRE frame too');
  t.deepEqual(await send('10.9.9.9', 17), [20], 'and a UDP one: the L4 type is masked');
  t.true(kernel(await send('10.9.9.8', 1)), 'another source: RSS, a kernel queue');
  t.deepEqual(await et('-N', IF, 'flow-type', 'udp4', 'src-ip', '10.9.9.7', 'action', '21'), refused, 'a udp4 rule compares the L4 type: another mask');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.7', 'l4proto', '17', 'action', '21'), refused, 'l4proto 17 is a udp4 rule: another mask');
  t.deepEqual(await et('-N', IF, 'delete', '2045'), { stdout: '', stderr: '', status: 0 });
  t.true(kernel(await send('10.9.9.9', 1)), 'deleted: the ICMP frame is RSS\'s again');

  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.7', 'l4proto', '17', 'action', '21', 'loc', '5'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await et('-n', IF), { stdout: '128 RX rings available\nTotal 1 rules\n\nFilter: 5\n\tRule Type: UDP over IPv4\n' +
    '\tSrc IP addr: 10.9.9.7 mask: 0.0.0.0\n\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n\tTOS: 0x0 mask: 0xff\n' +
    '\tSrc port: 0 mask: 0xffff\n\tDest port: 0 mask: 0xffff\n\tAction: Direct to queue 21\n\n', stderr: '', status: 0 }, 'listed back as ixgbe keeps it: a udp4 rule');
  t.deepEqual(await send('10.9.9.7', 17), [21], 'UDP from 10.9.9.7: queue 21');
  t.true(kernel(await send('10.9.9.7', 1)), 'ICMP from 10.9.9.7 is not UDP: RSS');
});

test('dpkit-ethtool: flow-type ether proto P programs an EtherType filter (ETQF/ETQS), ahead of the flow director; listed and deleted as ethtool does', async (t) => {
  const IF = `se${process.pid}`;
  const { x, send, sendFrame } = await device(t, IF);
  const ether = (loc: number, etype: string, queue: number) => `Filter: ${loc}\n\tFlow Type: Raw Ethernet\n` +
    '\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n' +
    `\tEthertype: ${etype} mask: 0x0\n\tAction: Direct to queue ${queue}\n\n`;
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b5', 'action', '20'),
    { stdout: '', stderr: 'rmgr: Cannot insert RX class rule: Operation not supported\nCannot insert classification rule\n', status: 1 }, 'ntuple is off');
  t.deepEqual(await et('-K', IF, 'ntuple', 'on'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await sendFrame(frame(60, 0x88b5)), [0], 'no filter: a non-IP frame goes to queue 0');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b5', 'action', '20'), { stdout: 'Added rule with ID 2045\n', stderr: '', status: 0 });
  t.is(x.reg(r.ETQF(0)), 0x800088B5, 'ETQF(0): FILTER_EN | the EtherType');
  t.is(x.reg(r.ETQS(0)), 0x80140000, 'ETQS(0): QUEUE_EN | queue 20');
  t.deepEqual(await sendFrame(frame(60, 0x88b5)), [20], 'the EtherType filter sends it to queue 20');
  t.deepEqual(await sendFrame(frame(60, 0x88b6)), [0], 'another EtherType: queue 0');
  // the EtherType filters go before the flow director: an IPv4 rule for the same frames loses
  t.deepEqual(await et('-N', IF, 'flow-type', 'ip4', 'src-ip', '10.9.9.9', 'action', '21'), { stdout: 'Added rule with ID 2044\n', stderr: '', status: 0 });
  t.deepEqual(await send('10.9.9.9', 1), [21], 'the ip4 rule steers ICMP from 10.9.9.9 to queue 21');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x0800', 'action', '22', 'loc', '3'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await send('10.9.9.9', 1), [22], 'an EtherType filter for IPv4 comes first: queue 22');
  t.deepEqual(await et('-N', IF, 'delete', '3'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await send('10.9.9.9', 1), [21], 'deleted: the flow director\'s rule again');
  t.is(x.reg(r.ETQF(1)), 0, 'its ETQF cleared');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b6', 'action', '40'), { stdout: 'Added rule with ID 2043\n', stderr: '', status: 0 });
  t.deepEqual(await sendFrame(frame(60, 0x88b6)), [0], 'queue 40 has no owner: its filter is not programmed, queue 0 gets the frame');
  t.deepEqual(await et('-n', IF), { stdout: '128 RX rings available\nTotal 3 rules\n\n' + ether(2043, '0x88B6', 40) + 'Filter: 2044\n\tRule Type: Raw IPv4\n' +
    '\tSrc IP addr: 10.9.9.9 mask: 0.0.0.0\n\tDest IP addr: 0.0.0.0 mask: 255.255.255.255\n\tTOS: 0x0 mask: 0xff\n' +
    '\tProtocol: 0 mask: 0xff\n\tL4 bytes: 0x0 mask: 0xffffffff\n\tAction: Direct to queue 21\n\n' + ether(2045, '0x88B5', 20), stderr: '', status: 0 });
  // what an EtherType filter cannot do: refused with ethtool's lines, or one line of its own
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b5', 'action', '23'), refused, 'the same EtherType twice');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b7', 'action', '-1'), refused, 'no drop action');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x88b7', 'm', '0xff', 'action', '23'), refused, 'a partial EtherType mask');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'action', '23'), refused, 'no EtherType');
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'src', '02:00:00:00:00:01', 'proto', '0x88b7', 'action', '23'),
    { stdout: '', stderr: 'dpkit-ethtool: src cannot be matched: the 82599\'s EtherType filters (ETQF) compare only the EtherType; leave it out\n', status: 1 });
  for (let e = 0; e < 6; e++) t.is((await et('-N', IF, 'flow-type', 'ether', 'proto', String(0x9000 + e), 'action', '1')).status, 0);
  t.deepEqual(await et('-N', IF, 'flow-type', 'ether', 'proto', '0x9006', 'action', '1'),
    { stdout: '', stderr: 'rmgr: Cannot insert RX class rule: No space left on device\nCannot insert classification rule\n', status: 1 }, 'eight EtherType filters');
  t.deepEqual(await et('-N', IF, 'delete', '2045'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(await sendFrame(frame(60, 0x88b5)), [0], 'deleted: queue 0 again');
  t.deepEqual(await et('-K', IF, 'ntuple', 'off'), { stdout: '', stderr: '', status: 0 });
  t.deepEqual(Array.from({ length: 8 }, (_, i) => x.reg(r.ETQF(i))), [0, 0, 0, 0, 0, 0, 0, 0], 'ntuple off flushes the EtherType filters too');
});

test('dpkit-ethtool: a missing addon is its own line (how to build it), not "no emulated 82599"', (t) => {
  const load = new AddonLoadError('@dpkit/sim-82599: its addon does not load (No native build was found); build it from source with `npx @dpkit/sim-82599 build-native` in the application\'s directory');
  t.is(connectFailure('ve0', load), load.message);
  t.is(connectFailure('ve0', new Error('connect @dpkit-sim-82599/ve0: ECONNREFUSED')), 'no emulated 82599 ve0 in this network namespace (@dpkit-sim-82599/ve0: ECONNREFUSED)');
});
