// Sharing TCP SYNs in 82599 terms, end to end in namespaces this test creates: a kernel TCP
// server on the TAP (port 7000) with an established connection from the peer; a process owns
// queue 32; `dpkit-ethtool -N bx0 flow-type tcp4 dst-port 7000 action 32` moves the port. The
// established connection stays with the kernel (a 5-tuple pin, matched before the flow director),
// a forged SYN with its 4-tuple reaches the kernel too (not queue 32) and the connection goes on,
// while a new connection's SYN goes to queue 32 (no stack there: the connect times out).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '@dpkit/eal/testing';
import { devicePair, nodeProcess, nodeServer } from './netns.js';

const real = kernelTest(test.serial);
const ethtoolBin = fileURLToPath(new URL('../../bin/dpkit-ethtool.js', import.meta.url));
const child = fileURLToPath(new URL('./channel-child.js', import.meta.url));
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

real('TCP SYN sharing: established kernel connections pinned, forged SYNs harmless, new connections follow the rule', async (t) => {
  const { a, b, ready, up } = await devicePair(t);
  t.regex(ready, / ready /);
  up();
  const inA = (file: string, ...args: string[]) => spawnSync('ip', ['netns', 'exec', a, process.execPath, file, ...args], { cwd: packageDir, encoding: 'utf8', timeout: 20_000 });
  const stat = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(inA(child, 'dpkit-sim-82599/bx0', 'ask', 'stats').stdout)?.[1]);

  const server = nodeServer(a, `
    import net from 'node:net';
    net.createServer((c) => c.on('data', (d) => c.write(d))).listen(7000, '10.99.0.1', () => console.log('listening'));`);
  t.teardown(() => void server.p.kill('SIGKILL'));
  t.is(await server.line(/listening/), 'listening');
  const client = nodeServer(b, `
    import net from 'node:net';
    import readline from 'node:readline';
    const c = net.connect(7000, '10.99.0.1', () => console.log('connected ' + c.localPort));
    let waiting = null;
    c.on('data', () => { if (waiting) { waiting(); waiting = null; } });
    c.on('error', (e) => console.log('error ' + e.code));
    readline.createInterface({ input: process.stdin }).on('line', (cmd) => {
      if (cmd === 'ping') {
        const timer = setTimeout(() => { waiting = null; console.log('echo timeout'); }, 3000);
        waiting = () => { clearTimeout(timer); console.log('echo ok'); };
        c.write('ping');
      } else if (cmd === 'new') {
        const n = net.connect({ port: 7000, host: '10.99.0.1' });
        const timer = setTimeout(() => { n.destroy(); console.log('new timeout'); }, 1500);
        n.on('connect', () => { clearTimeout(timer); n.destroy(); console.log('new connected'); });
        n.on('error', () => {});
      }
    });`);
  t.teardown(() => void client.p.kill('SIGKILL'));
  const port = Number((await client.line(/connected \d+/)).split(' ')[1]);
  client.say('ping');
  t.is(await client.line(/echo \w+/), 'echo ok', 'the established connection works through the device');
  client.say('new');
  t.is(await client.line(/new \w+/), 'new connected', 'before the rule, new connections reach the kernel');

  const holder = spawnOwner(a);
  t.teardown(() => void holder.p.kill('SIGKILL'));
  t.is(await holder.line(/ready/), 'ready');

  t.is(inA(ethtoolBin, '-K', 'bx0', 'ntuple', 'on').status, 0);
  const added = inA(ethtoolBin, '-N', 'bx0', 'flow-type', 'tcp4', 'dst-port', '7000', 'action', '32');
  t.is(added.stdout, 'Added rule with ID 2045\n', added.stderr);

  client.say('ping');
  t.is(await client.line(/echo \w+/), 'echo ok', 'the established kernel connection is pinned: it stays with the kernel');
  const before = stat('rx_queue_32_packets');
  // a forged SYN with the established connection's 4-tuple, from the peer's raw socket
  const forged = spawnSync('ip', ['netns', 'exec', b, 'python3', '-c', `
import socket, struct
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = socket.inet_aton('10.99.0.2'), socket.inet_aton('10.99.0.1')
tcp = struct.pack('!HHIIBBHHH', ${port}, 7000, 12345, 0, 5 << 4, 0x02, 64240, 0, 0)
c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(tcp, ('10.99.0.1', 0))
print('sent')`], { encoding: 'utf8', timeout: 20_000 });
  t.is(forged.stdout, 'sent\n', forged.stderr);
  client.say('ping');
  t.is(await client.line(/echo \w+/), 'echo ok', 'the forged SYN did not move or break the connection (the kernel answers it with a challenge ACK)');
  t.is(stat('rx_queue_32_packets'), before, 'the forged SYN went to the kernel, not to queue 32');

  client.say('new');
  t.is(await client.line(/new \w+/), 'new timeout', 'a new connection follows the rule: its SYN goes to queue 32, where no stack answers');
  t.regex(await holder.line(/received[^\n]*/), /received length=\d+ status=7/, 'queue 32\'s owner received the SYN (FLM set)');
  t.true(stat('rx_queue_32_packets') > before);
});

/** The owner of queue 32 in namespace ns (channel-child.js hold). */
function spawnOwner(ns: string) {
  return nodeProcess(ns, [child, 'dpkit-sim-82599/bx0', 'hold', '32', String(0x1_0000_0000)], packageDir);
}
