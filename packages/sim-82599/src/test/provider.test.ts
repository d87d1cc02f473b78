// The emulated 82599 as the bifurc bus's provider, end to end: dpkit-sim-82599 bx0 --loopback in
// a namespace of its own, and EAL processes (provider-child.js) in it that open bx0 through
// --vdev=net_bifurc0,iface=bx0,qpairs=1 (qoff 32 from the provider) with the sim-82599 provider, net_af_xdp and a
// test driver for 8086:10FB (fixtures/nic-82599-driver.ts).
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { virtualPci } from '@dpkit/bifurc';
import { testNetns } from '@dpkit/eal/linux';
import { nodeProcess, sh } from './netns.js';
import { ipv4 } from './rig.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const child = here('./provider-child.js');
const channelChild = here('./channel-child.js');
const bin = here('../../bin/dpkit-sim-82599.js');
const ethtool = here('../../bin/dpkit-ethtool.js');
const root = process.getuid?.() === 0;

/** A namespace with dpkit-sim-82599 bx0 --loopback running (up), a plain TAP tp0 and a veth pair. */
async function loopbackDevice(t: { teardown(fn: () => void): void }) {
  const ns = testNetns(t, 'simprov');
  const dev = spawn('ip', ['netns', 'exec', ns, process.execPath, bin, 'bx0', '--loopback'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void dev.kill('SIGKILL'));
  const ready = await new Promise<string>((ok) => {
    let out = '';
    dev.stdout.on('data', (b) => { out += b; if (out.includes('\n')) ok(out); });
    dev.on('exit', () => ok(out));
  });
  sh(['ip', '-n', ns, 'link', 'set', 'bx0', 'up']);
  sh(['ip', '-n', ns, 'tuntap', 'add', 'mode', 'tap', 'name', 'tp0']);
  sh(['ip', '-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  const ifindex = Number(/^(\d+):/.exec(sh(['ip', '-n', ns, '-o', 'link', 'show', 'bx0']))![1]);
  return { ns, ready, ifindex, run: (...args: string[]) => nodeProcess(ns, [child, 'bx0', ...args]) };
}

const run = (p: ReturnType<typeof nodeProcess>, re: RegExp) => p.line(re);

(root ? test.serial : test.skip)('bx0 on the bifurc bus: the 82599 identity, its driver, queues split and returned through the channel, a frame through the mapped page', async (t) => {
  const x = await loopbackDevice(t);
  t.regex(x.ready, /bx0 ready \(8086:10FB/);
  const ask = async (request: string) => {
    // a process of its own (its own connection); the device reclaims what it split when it exits
    const p = nodeProcess(x.ns, [channelChild, 'dpkit-sim-82599/bx0', 'ask', request]);
    const exited = new Promise((ok) => p.p.on('exit', ok));
    const reply = (await run(p, /^.*\n/m)).trim();
    await exited;
    return reply;
  };

  const claims = x.run('claims', 'bx0', 'tp0', 'va');
  t.deepEqual([await run(claims, /claims bx0 .*/), await run(claims, /claims tp0 .*/), await run(claims, /claims va .*/)],
    ['claims bx0 sim-82599', 'claims tp0 linux-af-xdp', 'claims va linux-af-xdp'], 'only the emulated 82599\'s TAP is claimed');

  const a = x.run('own');
  t.teardown(() => void a.p.kill('SIGKILL'));
  const address = virtualPci(x.ifindex, '').address;
  t.deepEqual(JSON.parse((await run(a, /probe .*/)).slice(6)), {
    device: address, pci: { address, vendor: 0x8086, device: 0x10fb, subVendor: 0, subDevice: 0, classId: 0x020000, kernelDriver: 'ixgbe' },
    driver: 'net_82599_test', kind: 'nic', provider: 'sim-82599', claimed: 'sim-82599', rxQueues: 128, steering: 'isolated',
  }, 'the 82599\'s ids, probed by the 8086:10FB driver over net_af_xdp\'s wildcard');

  // the port's flow rule as the flow director's rule: refused while ntuple filters are off, then at the highest free location
  a.say('rule flow-type udp4 dst-port 7777 action 0');
  t.is(await run(a, /^(rule|error) .*/m), 'error EOPNOTSUPP net_bifurc0: bx0 refuses rule \'ipv4 UDP dport 7777/0xffff => QUEUE 0 COUNT\': ntuple is off; switch ntuple filters on (dpkit-ethtool -K bx0 ntuple on)');
  sh(['ip', 'netns', 'exec', x.ns, process.execPath, ethtool, '-K', 'bx0', 'ntuple', 'on']);
  a.say('rule flow-type udp4 dst-port 7777 action 0');
  t.is(await run(a, /^(rule|error) .*/m), 'rule 2045');
  t.regex(sh(['ip', 'netns', 'exec', x.ns, process.execPath, ethtool, '-n', 'bx0']), /Filter: 2045\n\tRule Type: UDP over IPv4\n(.*\n)*\tAction: Direct to queue 32\n/, 'user queue 0 is netdev queue qoff + 0 = 32');
  sh(['ip', 'netns', 'exec', x.ns, process.execPath, ethtool, '-N', 'bx0', 'flow-type', 'tcp4', 'dst-port', '80', 'action', '5']);
  a.say('list');
  t.is(await run(a, /^(list|error) .*/m), 'list 2044: ipv4 TCP dport 80/0xffff => SEND_TO_KERNEL; 2045: ipv4 UDP dport 7777/0xffff => QUEUE 0', 'dpkit-ethtool\'s rule too, its kernel queue as the kernel');
  sh(['ip', 'netns', 'exec', x.ns, process.execPath, ethtool, '-N', 'bx0', 'delete', '2044']);
  a.say('start');
  t.is(await run(a, /^(split|error) .*/m), 'split 32 page rx=0x1800 tx=0x6800 words=131072', 'queue 32 split, its blocks in the mapped window');
  t.is(await ask('split 32 1'), `error EBUSY queue 32 is owned by pid ${a.p.pid}`, 'the device shows queue 32 as the EAL process\'s');

  const second = x.run('second');
  t.is(await run(second, /^error .*/m), `error EBUSY ${address}: bx0 queue 32 is split off by process ${a.p.pid} (one user per queue): stop it, or split other queues (qoff=)`);

  const sent = ipv4(17, '10.0.0.1', '10.0.0.2', 1234, 7777);
  a.say(`frame ${Buffer.from(sent).toString('hex')}`);
  t.is(await run(a, /^(received|error) .*/m), `received dd=1 length=${sent.length} bytes=${Buffer.from(sent).toString('hex')}`,
    'the tx doorbell sent the frame, loopback and the flow director brought it to rx queue 32\'s ring');

  a.say('unmapumem');
  t.is(await run(a, /^(unmapped|error).*/m), 'error ENOTSUP bx0: the emulated 82599\'s control channel has no unmap_umem (not built): mempool \'simdma\' stays registered at IOVA 0x100000000 until the handle closes');
  // DMA memory that is not a mempool: a plain memfd region holds the rings and buffers of a restarted queue 32
  a.say('stop');
  t.is(await run(a, /^(returned|error).*/m), 'returned');
  a.say('start');
  t.regex(await run(a, /^(split|error) .*/m), /^split 32 /);
  a.say(`frameplain ${Buffer.from(sent).toString('hex')}`);
  t.is(await run(a, /^(received|error) .*/m), `received dd=1 length=${sent.length} bytes=${Buffer.from(sent).toString('hex')}`,
    'the same frame through rings in a plain memory region (mapUmem of a MemoryRegion)');
  a.say('unmapplain');
  t.is(await run(a, /^(unmapped|error).*/m), 'error ENOTSUP bx0: the emulated 82599\'s control channel has no unmap_umem (not built): memory region \'simdma-plain\' stays registered at IOVA 0x200000000 until the handle closes');
  a.say('unrule 2045');
  t.is(await run(a, /^(unruled|error).*/m), 'unruled');
  t.regex(sh(['ip', 'netns', 'exec', x.ns, process.execPath, ethtool, '-n', 'bx0']), /Total 0 rules/);
  a.say('stop');
  t.is(await run(a, /^(returned|error).*/m), 'returned');
  t.is(await ask('split 32 1'), 'ok', 'returned: another process can split queue 32');
  a.say('exit');
  t.is(await run(a, /^(closed|error).*/m), 'closed');

  const kernelQueue = x.run('second', 'qoff=0');
  t.is(await run(kernelQueue, /^error .*/m), `error EBUSY ${address}: bx0 queue 0 is a kernel queue (the emulated 82599's kernel keeps queues 0-31): give qoff=32 or more`);

  const twice = x.run('twice');
  t.is(await run(twice, /^error .*/m), 'error EBUSY port B: bx0 queue 32 is split off by port A in this process (one user per queue): stop it, or split other queues (qoff=)');
  t.is(await run(twice, /^(after close|error).*/m), 'after close: 32', 'close gave queue 32 back before it resolved');

  const alone = x.run('afxdp');
  t.is(await run(alone, /^error .*/m), `error ENOTSUP ${address}: bx0 is served by provider sim-82599 (nic rings), which net_af_xdp_bifurc does not drive: load a BIFURC driver for 8086:10fb (-d PACKAGE)`,
    'net_af_xdp alone is refused in one line');
});
