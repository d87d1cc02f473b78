// The command end to end, in two network namespaces this test creates: dpkit-sim-82599 bx0
// --wire va in namespace A, va's veth peer vb in namespace B. The kernel in A serves UDP on the
// TAP bx0; the only path from B to it is vb -> va -> the device's wire socket -> queue 0 (a
// kernel queue) -> bx0, and back bx0 -> the device -> va -> vb. SIGINT ends the device (exit 0)
// and its TAP goes with it. Bad arguments get one line and exit 1.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '@dpkit/eal/testing';
import { devicePair, nodeIn, sh } from './netns.js';

const bin = fileURLToPath(new URL('../../bin/dpkit-sim-82599.js', import.meta.url));
const real = kernelTest(test.serial);

test('bad arguments get one line naming the problem and exit 1', (t) => {
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });
  const cases: [string[], string][] = [
    [['bx0'], 'dpkit-sim-82599: no wire mode: give --wire NETDEV, --loopback or --generator\n'],
    [['bx0', '--generator', '10,20'], 'dpkit-sim-82599: --generator 10,20: give FLOWS,SIZE with 1-65536 flows and 60-1514 bytes (CRC excluded)\n'],
    [['bx0', '--generator', '--loopback'], 'dpkit-sim-82599: --generator and --loopback both given; choose one wire mode\n'],
    [['bx0', '--loopback', '--wire', 'va'], 'dpkit-sim-82599: --loopback and --wire both given; choose one wire mode\n'],
    [['bx0', '--loopback', '--kernel-queues', '128'], 'dpkit-sim-82599: --kernel-queues 128: give a number of queues from 1 to 127\n'],
    [['bx0', '--wire', 'bx0'], 'dpkit-sim-82599: --wire bx0 is IFNAME itself; the wire must be another netdev\n'],
    [['--loopback'], 'dpkit-sim-82599: IFNAME missing: the name of the TAP netdev to create as the NIC\'s kernel interface\n'],
    [['bx0', '--loopback', '--frob'], 'dpkit-sim-82599: unknown option --frob\n'],
    [['lo', '--loopback'], 'dpkit-sim-82599: a netdev lo exists already; choose another IFNAME or delete it (ip link del lo)\n'],
  ];
  for (const [args, line] of cases) {
    const r = run(...args);
    t.is(r.stderr, line, args.join(' '));
    t.is(r.status, 1, args.join(' '));
    t.is(r.stdout, '');
  }
});

real('the kernel serves UDP on the TAP through the emulated NIC and its wire; SIGINT ends the device and its TAP', async (t) => {
  const { a, b, dev, exited, ready, stderr, up } = await devicePair(t);
  t.regex(ready, /^dpkit-sim-82599: bx0 ready \(8086:10FB, MAC ([0-9a-f]{2}:){5}[0-9a-f]{2}, kernel queues 0-31, wire va, control @dpkit-sim-82599\/bx0\)\n$/, stderr());

  // the control channel lives in the device's network namespace, and reports the TAP's identity
  const mac = /MAC (\S+),/.exec(ready)![1]!;
  const child = fileURLToPath(new URL('./channel-child.js', import.meta.url));
  const packageDir = fileURLToPath(new URL('../../', import.meta.url));
  const ask = (ns: string | undefined, request = 'get_ifinfo') => spawnSync(ns ? 'ip' : process.execPath, [...(ns ? ['netns', 'exec', ns, process.execPath] : []), child, 'dpkit-sim-82599/bx0', 'ask', request], { cwd: packageDir, encoding: 'utf8', timeout: 20_000 });
  t.is(ask(a).stdout, `ok pci=8086:10FB mac=${mac} mtu=1500 numa=-1 rx_queues=128 tx_queues=128 kernel_queues=0-31\n`);
  t.regex(ask(undefined).stderr, /ECONNREFUSED|Connection refused/, 'not reachable from another network namespace');

  up();
  const server = nodeIn(a, `
    import dgram from 'node:dgram';
    const s = dgram.createSocket('udp4'); let n = 0;
    s.on('message', (m, from) => { s.send(Buffer.concat([Buffer.from('echo:'), m]), from.port, from.address); if (++n === 5) setTimeout(() => { s.close(); console.log('served ' + n); }, 200); });
    s.bind(9000, '10.99.0.1', () => console.log('bound'));
    setTimeout(() => { console.log('served ' + n); process.exit(0); }, 15000).unref();`);
  const client = await nodeIn(b, `
    import dgram from 'node:dgram';
    const s = dgram.createSocket('udp4'); const got = [];
    s.on('message', (m) => { if (!got.includes(m.toString())) got.push(m.toString()); if (got.length === 5) done(); });
    const done = () => { console.log(got.sort().join(' ')); process.exit(0); };
    let round = 0; // resend every 200 ms until all five echoes are back (the first waits for ARP and the server), at most 50 rounds
    const tick = () => { if (round++ === 50) done(); for (let i = 0; i < 5; i++) if (!got.includes('echo:ping-' + i)) s.send('ping-' + i, 9000, '10.99.0.1'); setTimeout(tick, 200); };
    s.bind(0, '10.99.0.2', tick);`);
  t.is(client, 'echo:ping-0 echo:ping-1 echo:ping-2 echo:ping-3 echo:ping-4\n', 'all five datagrams echoed by the kernel behind bx0');
  t.regex(await server, /served [5-9]|served \d\d/);
  // every frame B sent reached the kernel behind bx0, and none of the device's own frames came back
  const packets = (ns: string, dev: string, dir: 'rx' | 'tx') => (JSON.parse(sh(['ip', '-n', ns, '-j', '-s', 'link', 'show', 'dev', dev])) as { stats64: Record<string, { packets: number }> }[])[0]!.stats64[dir]!.packets;
  // (read again, at most 20 times, while a frame may still be on its way through the device)
  let sent = packets(b, 'vb', 'tx'), received = packets(a, 'bx0', 'rx');
  for (let i = 0; i < 20 && received !== sent; i++) {
    await new Promise((ok) => setTimeout(ok, 50));
    [sent, received] = [packets(b, 'vb', 'tx'), packets(a, 'bx0', 'rx')];
  }
  t.true(sent >= 6, `B sent ${sent} frames (an ARP request and five datagrams at least)`);
  t.is(received, sent, 'the kernel received on bx0 exactly what B sent');

  // RSS spreads flows over the kernel queues (RETA over queues 0-15): 32 UDP flows from B
  const stats = () => Object.fromEntries(ask(a, 'stats').stdout.trim().replace(/^ok /, '').split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k!, Number(v)]));
  const before = stats();
  await nodeIn(b, `
    import dgram from 'node:dgram';
    for (let i = 0; i < 32; i++) {
      const s = dgram.createSocket('udp4');
      await new Promise((ok) => s.bind(20000 + i, '10.99.0.2', ok));
      await new Promise((ok) => s.send('flow ' + i, 9001, '10.99.0.1', ok));
      s.close();
    }`);
  let after = stats();
  const delta = (q: number) => after[`rx_queue_${q}_packets`]! - before[`rx_queue_${q}_packets`]!;
  const total = () => Array.from({ length: 128 }, (_, q) => delta(q)).reduce((x, y) => x + y, 0);
  for (let i = 0; i < 20 && total() < 32; i++) {
    await new Promise((ok) => setTimeout(ok, 50));
    after = stats();
  }
  const used = Array.from({ length: 16 }, (_, q) => delta(q)).filter((n) => n > 0).length;
  t.true(total() >= 32, `${total()} frames reached the kernel queues`);
  t.true(used >= 2, `the flows landed on ${used} of the 16 RSS queues`);
  t.is(Array.from({ length: 112 }, (_, q) => delta(16 + q)).reduce((x, y) => x + y, 0), 0, 'none beyond queue 15 (RETA entries are 4 bits)');

  dev.kill('SIGINT');
  t.is(await exited, 0, stderr());
  t.is(stderr(), '');
  t.not(spawnSync('ip', ['-n', a, 'link', 'show', 'bx0']).status, 0, 'the TAP went with the device');
});
