/**
 * The bifurcated driver RFC end to end on the emulated 82599, with the RFC's commands as
 * written: in namespaces of the test's own (lab.ts: `host` and `peer` joined by a veth pair),
 * `dpkit-sim-82599 bx0 --wire va` in host (bx0 10.77.0.1, the NIC's kernel interface; va its
 * wire) and the clients in peer (vb 10.77.0.2, and 1.1.1.1 for the steered flow); kernel UDP
 * and TCP echo on bx0's address. Then:
 *
 *   ip link set bx0 promisc on
 *   dpkit-ethtool -K bx0 ntuple on
 *   dpkit-ethtool -N bx0 flow-type udp4 src-ip 0.0.0.0 action 0
 *   dpkit-testpmd -c 0x3 -n 4 --vdev=rte_bifurc,iface=bx0,qpairs=1 -- -i --rxfreet=32 --txfreet=32 --txrst=32
 *   dpkit-ethtool -N bx0 flow-type udp4 src-ip 1.1.1.1 action 32        (after testpmd started)
 *
 * dpkit-testpmd ships net_ixgbe and picks up the emulator's provider (no -d). It runs in a
 * runtime directory of its own (lab.ts, PRIVATE_RUNTIME), so the default --file-prefix of the
 * RFC's line does not meet other dpkit processes. Counts are exact: the clients send one
 * datagram or connection at a time and wait for its answer.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '@dpkit/eal/testing';
import { BifurcLab, HOST_IP, STEERED_IP, type Captured, type TestpmdSession } from './lab.js';

const real = kernelTest(test.serial);
const OWNER = fileURLToPath(new URL('./fixtures/dma-fault-owner.js', import.meta.url));
/** the RFC's command line, before and after `--` (`-i` is added by startTestpmd) */
const RFC_EAL = ['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=bx0,qpairs=1'];
const RFC_APP = ['--rxfreet=32', '--txfreet=32', '--txrst=32'];
const stat = (text: string, name: string) => Number(new RegExp(`${name}: +(\\d+)`).exec(text)?.[1] ?? NaN);

/** The lab: the emulated NIC in host, kernel UDP echo on 7777 and TCP echo on 8080 on bx0's address. */
async function rfcLab(t: { teardown(fn: () => Promise<void>): void }, tag: string) {
  const lab = BifurcLab.create(tag);
  t.teardown(() => lab.destroy());
  await lab.emulatedNic();
  const services = await lab.startServices([7777], [8080]);
  return { lab, services };
}

/** `show port stats 0` until RX-packets reads `n` (at most 100 times, 20 ms apart); the last output. */
async function rxReaches(tp: TestpmdSession, n: number): Promise<string> {
  let s = '';
  for (let i = 0; i < 100 && stat(s = await tp.cmd('show port stats 0'), 'RX-packets') < n; i++) await new Promise((r) => setTimeout(r, 20));
  return s;
}

const hex = (b: Buffer) => b.toString('hex');
/** The frame with source and destination MAC swapped (macswap). */
function macswap(frame: string): string {
  const b = Buffer.from(frame, 'hex');
  return hex(Buffer.concat([b.subarray(6, 12), b.subarray(0, 6), b.subarray(12)]));
}
/** The frame with MACs, IPv4 addresses and L4 ports swapped (5tswap; checksums are unchanged by a swap). */
function fiveTupleSwap(frame: string): string {
  const b = Buffer.from(macswap(frame), 'hex');
  const l4 = 14 + (b[14]! & 15) * 4;
  const ips = Buffer.from(b.subarray(26, 34));
  ips.copy(b, 26, 4, 8);
  ips.copy(b, 30, 0, 4);
  const ports = Buffer.from(b.subarray(l4, l4 + 4));
  ports.copy(b, l4, 2, 4);
  ports.copy(b, l4 + 2, 0, 2);
  return hex(b);
}
/**
 * The frame with its UDP checksum completed: peer's kernel leaves a partial one (checksum
 * offload through veth), which the emulated NIC's wire completes as a real wire would.
 */
function udpChecksummed(frame: string): string {
  const b = Buffer.from(frame, 'hex');
  const l4 = 14 + (b[14]! & 15) * 4;
  const len = b.readUInt16BE(l4 + 4);
  b.writeUInt16BE(0, l4 + 6);
  let sum = 17 + len;
  for (let i = 26; i < 34; i += 2) sum += b.readUInt16BE(i);
  for (let i = l4; i < l4 + len; i += 2) sum += i + 1 < l4 + len ? b.readUInt16BE(i) : b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff || 0xffff, l4 + 6);
  return hex(b);
}
const ipv4 = (a: string) => hex(Buffer.from(a.split('.').map(Number)));
/** UDP/IPv4 frames from `src` to `dst` among `frames` (EtherType at 12, protocol at 23, addresses at 26 and 30). */
const udpFrames = (frames: Captured[], dir: 'in' | 'out', src: string, dst: string) =>
  frames.filter((f) => f.dir === dir && f.hex.slice(24, 28) === '0800' && f.hex.slice(46, 48) === '11' && f.hex.slice(52, 60) === ipv4(src) && f.hex.slice(60, 68) === ipv4(dst)).map((f) => f.hex);

real('the RFC\'s steps on the emulated 82599: UDP from 1.1.1.1 reaches testpmd (exact counts), the kernel serves the rest; 5tswap and macswap answer through the ring with the expected bytes', async (t) => {
  const { lab, services } = await rfcLab(t, 'rfc');
  t.like(lab.inHost(['ip', 'link', 'set', 'bx0', 'promisc', 'on']), { code: 0, stderr: '' });
  t.like(lab.ethtool('-K', 'bx0', 'ntuple', 'on'), { code: 0, stdout: '', stderr: '' });
  t.like(lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', '0.0.0.0', 'action', '0'), { code: 0, stdout: 'Added rule with ID 2045\n', stderr: '' });
  const tp = await lab.startTestpmd(RFC_EAL, RFC_APP, { privateRuntime: true });
  t.teardown(() => tp.quit());
  t.like(lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', STEERED_IP, 'action', '32'), { code: 0, stdout: 'Added rule with ID 2044\n', stderr: '' });
  const info = await tp.cmd('show port info 0');
  t.regex(info, /^Driver name: net_ixgbe$/m);
  t.regex(info, /^Split queues: queue 0 <- bx0 queue 32; split off the kernel, driven on their descriptor rings$/m);
  t.regex(info, /^Promiscuous mode: enabled$/m, 'bx0 is promiscuous (the kernel side\'s), as ip link set it');

  // rxonly: the steered datagrams reach testpmd and are not answered; the others the kernel answers
  await tp.cmd('set fwd rxonly');
  await tp.cmd('start');
  const steered = await lab.client('udp', 7777, 8, [], { src: STEERED_IP });
  const other = await lab.client('udp', 7777, 10);
  const tcp = await lab.client('tcp', 8080, 3);
  const stats = await rxReaches(tp, 8);
  await tp.cmd('stop');
  t.deepEqual(steered, { sent: 8, fromKernel: 0, fromUser: 0, lost: 8 }, 'UDP from 1.1.1.1: testpmd took them (rxonly answers nothing), the kernel none');
  t.deepEqual(other, { sent: 10, fromKernel: 10, fromUser: 0, lost: 0 }, 'UDP from 10.77.0.2: the kernel answered each');
  t.deepEqual(tcp, { sent: 3, fromKernel: 3, fromUser: 0, lost: 0 }, 'TCP: the kernel answered each connection');
  t.is(stat(stats, 'RX-packets'), 8, stats);
  t.regex(lab.ethtool('-S', 'bx0').stdout, /^ {5}rx_queue_32_packets: 8$/m);

  // 5tswap: the answers go back through queue 32's tx ring; the peer gets exactly the swapped frames
  await tp.cmd('set fwd 5tswap');
  await tp.cmd('start');
  let cap = await lab.capture(3, 7);
  const swapped = await lab.client('udp', 7777, 6, [], { src: STEERED_IP });
  let frames = await cap.result();
  t.deepEqual(swapped, { sent: 6, fromKernel: 0, fromUser: 6, lost: 0 }, 'testpmd answered each steered datagram');
  const sent = udpFrames(frames, 'out', STEERED_IP, HOST_IP);
  t.is(sent.length, 6);
  t.deepEqual(udpFrames(frames, 'in', HOST_IP, STEERED_IP), sent.map((f) => fiveTupleSwap(udpChecksummed(f))), 'each answer is its request (as it left on the wire) with MACs, addresses and ports swapped');

  // macswap: the same frames back with the MACs swapped (peer's kernel drops them: not its address)
  await tp.cmd('stop');
  await tp.cmd('set fwd macswap');
  await tp.cmd('start');
  cap = await lab.capture(3, 5);
  const macswapped = await lab.client('udp', 7777, 4, [], { src: STEERED_IP });
  frames = await cap.result();
  t.deepEqual(macswapped, { sent: 4, fromKernel: 0, fromUser: 0, lost: 4 });
  const sent2 = udpFrames(frames, 'out', STEERED_IP, HOST_IP);
  t.is(sent2.length, 4);
  t.deepEqual(udpFrames(frames, 'in', STEERED_IP, HOST_IP), sent2.map((f) => macswap(udpChecksummed(f))), 'each frame came back with only its MACs swapped');
  const done = await tp.cmd('stop');
  t.regex(done, /RX-packets: 4 +RX-dropped: 0 +RX-total: 4\n +TX-packets: 4 +TX-dropped: 0 +TX-total: 4\n/, 'this run\'s forward statistics');
  const total = await tp.cmd('show port stats 0');
  t.deepEqual([stat(total, 'RX-packets'), stat(total, 'TX-packets')], [18, 10], 'the port received exactly the 8 + 6 + 4 steered datagrams and sent the 6 + 4 answers');
  await tp.quit();
  t.deepEqual(await services.stop(), { udp7777: 10, tcp8080: 3 }, 'the kernel services saw only what the rules left them');
});

real('kill -9 of the RFC\'s testpmd gives the steered flow back to the kernel, an immediate rerun of the same command works, and a second testpmd cannot take queue 32', async (t) => {
  const { lab, services } = await rfcLab(t, 'rfckill');
  lab.inHost(['ip', 'link', 'set', 'bx0', 'promisc', 'on']);
  lab.ethtool('-K', 'bx0', 'ntuple', 'on');
  lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', '0.0.0.0', 'action', '0');
  const first = await lab.startTestpmd(RFC_EAL, RFC_APP, { privateRuntime: true });
  t.like(lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', STEERED_IP, 'action', '32'), { code: 0, stdout: 'Added rule with ID 2044\n' });
  await first.cmd('set fwd 5tswap');
  await first.cmd('start');
  t.deepEqual(await lab.client('udp', 7777, 3, [], { src: STEERED_IP }), { sent: 3, fromKernel: 0, fromUser: 3, lost: 0 });

  first.child.kill('SIGKILL');
  await first.exited;
  // the device reclaims queue 32 when the process's channel closes: poll (bounded) until the kernel answers
  let back = false;
  for (let i = 0; i < 30 && !back; i++) back = (await lab.client('udp', 7777, 1, [], { src: STEERED_IP })).fromKernel === 1;
  t.true(back, 'after kill -9 the kernel answers UDP from 1.1.1.1');
  t.deepEqual(await lab.client('udp', 7777, 5, [], { src: STEERED_IP }), { sent: 5, fromKernel: 5, fromUser: 0, lost: 0 }, 'and every one after it');

  // the same command again, at once: it splits queue 32, and the rule (still listed) steers to it again
  const again = await lab.startTestpmd(RFC_EAL, RFC_APP, { privateRuntime: true });
  t.teardown(() => again.quit());
  const info = await again.cmd('show port info 0');
  t.regex(info, /^Split queues: queue 0 <- bx0 queue 32; split off the kernel, driven on their descriptor rings$/m);
  await again.cmd('set fwd 5tswap');
  await again.cmd('start');
  t.deepEqual(await lab.client('udp', 7777, 3, [], { src: STEERED_IP }), { sent: 3, fromKernel: 0, fromUser: 3, lost: 0 }, 'the rerun answers the steered flow');

  // a second testpmd on the same queue: one line naming the holder
  const device = /^Device name: (\S+)$/m.exec(info)![1]!;
  const why = `${device}: bx0 queue 32 is split off by process ${again.child.pid} (one user per queue): stop it, or split other queues (qoff=)`;
  const batch = await lab.runTestpmd(RFC_EAL, RFC_APP, { privateRuntime: true });
  t.is(batch.code, 1, batch.output);
  t.is(batch.stderr, `dpkit-testpmd: ${why}\n`, 'without -i: that line alone on stderr, exit 1');
  const interactive = await lab.runTestpmd(RFC_EAL, ['-i', ...RFC_APP], { privateRuntime: true });
  t.true(interactive.output.split('\n').includes(`Fail to start port 0: ${why}`), interactive.output);
  t.deepEqual(await lab.client('udp', 7777, 2, [], { src: STEERED_IP }), { sent: 2, fromKernel: 0, fromUser: 2, lost: 0 }, 'the holder keeps its queue');
  await again.quit();
  t.deepEqual(await services.stop(), { udp7777: 6, tcp8080: 0 }, 'the kernel saw the steered flow only between the kill and the rerun: the poll that got through and the 5 after it');
});

real('a tx descriptor outside the owner\'s registered DMA memory: nothing leaves on the wire, tx_dma_faults 1, the queue is stopped', async (t) => {
  const { lab } = await rfcLab(t, 'rfcdma');
  t.regex(lab.ethtool('-S', 'bx0').stdout, /^ {5}tx_dma_faults: 0$/m);
  const cap = await lab.capture(2, 1);
  const owner = lab.inHost([process.execPath, OWNER, 'bx0', '32'], 30_000);
  const frames = await cap.result();
  t.is(owner.code, 0, owner.stderr);
  t.deepEqual(JSON.parse(owner.stdout), { stopped: true, tdh: 0, goodDone: false }, 'the device stopped the queue at the bad descriptor and sent nothing after it');
  t.deepEqual(frames.filter((f) => f.dir === 'in' && f.hex.slice(24, 28) === '88b5'), [], 'no frame of the owner\'s on the wire');
  t.regex(lab.ethtool('-S', 'bx0').stdout, /^ {5}tx_dma_faults: 1$/m);
});
