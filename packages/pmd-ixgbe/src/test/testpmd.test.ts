/**
 * dpkit-testpmd with net_ixgbe on the emulated 82599 (loopback mode, a namespace of the test's
 * own), loaded with -d by path (dpkit-testpmd ships neither: see the README). The RFC's command
 * line with the two -d; a flow director rule
 * steers UDP to port 7777 to queue 32, the kernel's datagrams to 7777 reach testpmd's rxonly
 * engine, those to 7778 stay with the kernel. (Uses the workspace's dpkit-testpmd.)
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '@dpkit/eal/testing';
import { loopbackNic } from './netns.js';

const testpmd = fileURLToPath(new URL('../../../testpmd/bin/dpkit-testpmd.js', import.meta.url));
const ixgbe = fileURLToPath(new URL('../index.js', import.meta.url));
const sim = fileURLToPath(new URL('../../node_modules/@dpkit/sim-82599/dist/index.js', import.meta.url));
const real = kernelTest(test.serial);

real('dpkit-testpmd --vdev=rte_bifurc,iface=bx0,qpairs=1: net_ixgbe on queue 32, steered datagrams reach rxonly, the others the kernel', async (t) => {
  const x = await loopbackNic(t);
  const ip = (...a: string[]) => spawnSync('ip', ['-n', x.ns, ...a], { timeout: 10_000 });
  ip('addr', 'add', '10.9.0.1/24', 'dev', 'bx0');
  ip('neigh', 'add', '10.9.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'bx0');
  x.ethtool('-K', 'bx0', 'ntuple', 'on');
  x.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'dst-port', '7777', 'action', '32');
  const p = spawn('ip', ['netns', 'exec', x.ns, process.execPath, testpmd, '-c', '0x3', '-n', '4', `--file-prefix=ixgbe-tp-${process.pid}`,
    '-d', ixgbe, '-d', sim, '--vdev=rte_bifurc,iface=bx0,qpairs=1', '--', '-i', '--rxfreet=32', '--txfreet=32', '--txrst=32'],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => void p.kill('SIGKILL'));
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const until = (re: RegExp, from: number) => new Promise<void>((ok, fail) => {
    const deadline = setTimeout(() => fail(new Error(`no ${re} in: ${out}`)), 20_000);
    const check = () => {
      if (re.test(out.slice(from))) {
        clearTimeout(deadline);
        ok();
      } else setTimeout(check, 20);
    };
    check();
  });
  const say = async (cmd: string, re: RegExp) => {
    const from = out.length;
    p.stdin.write(`${cmd}\n`);
    await until(re, from);
    return out.slice(from);
  };
  await until(/testpmd> /, 0);
  const info = await say('show port info 0', /  filter 2045: .*\n/);
  t.regex(info, /Driver name: net_ixgbe\n/);
  // the NIC's filters (the driver's describe): dpkit-ethtool's rule, where it sends
  t.regex(info, /NIC filters of bx0:\n  filter 2045: ipv4 UDP dport 7777\/0xffff => queue 0 \(bx0 queue 32\)\n/);
  t.regex(info, /PCI device: ffff:00:00\.\d+ 8086:10fb \(kernel driver ixgbe\)\n/);
  t.regex(info, /Split queues: queue 0 <- bx0 queue 32; split off the kernel, driven on their descriptor rings\n/);
  // the port's flow ops are the NIC's flow director: dpkit-ethtool's rule, as the port's queue 0
  const list = await say('flow list 0', /Rule #\d+ matches: .*\n/);
  t.regex(list, /^2045\t0\t2045\ti--\tETH IPV4 UDP => QUEUE\nRule #2045 matches: ipv4 UDP dport 7777\/0xffff => QUEUE 0$/m);
  await say('set fwd rxonly', /testpmd> $/);
  await say('start', /TX RS bit threshold=32\n/);
  // 5 datagrams to port 7777 (the rule's), 3 to 7778 (RSS: the kernel's queues), from the kernel of the namespace
  spawnSync('ip', ['netns', 'exec', x.ns, process.execPath, '-e', `
    const s = require('node:dgram').createSocket('udp4');
    let n = 0;
    const next = () => (n < 8 ? s.send(Buffer.alloc(100, n), n < 5 ? 7777 : 7778, '10.9.0.2', () => { n++; next(); }) : s.close());
    next();`], { timeout: 10_000 });
  // the NIC has put the 5 on queue 32's ring; then the forwarding lcore has them
  for (let i = 0; i < 200 && !/rx_queue_32_packets: 5\n/.test(x.ethtool('-S', 'bx0')); i++) await new Promise((ok) => setTimeout(ok, 10));
  let stats = '';
  for (let i = 0; i < 200 && !/RX-packets: 5 /.test(stats); i++) stats = await say('show port stats 0', /Tx-pps.*\n\s*#{10,}\n/);
  const stopped = await say('stop', /Done\.\n/);
  t.regex(stopped, /RX-packets: 5 +RX-dropped: 0 +RX-total: 5\n/);
  t.regex(x.ethtool('-S', 'bx0'), /fdir_match: 5\n[^]*rx_queue_32_packets: 5\n/);
  await say('quit', /Bye\.\.\.\n/);
});
