/**
 * Frames that testpmd sends back carry valid checksums, as tshark sees them on the peer's
 * wire: the peer's kernel leaves its UDP checksums partial (veth offload), the PMDs complete
 * them on rx, and 5tswap's echoes must be "good" for tshark, not merely accepted by a socket.
 * Runs with net_af_xdp (through the bifurc bus) and net_af_packet. Needs tshark (the test
 * command installs it when it is missing).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { kernelTest } from '@dpkit/eal/testing';
import { BifurcLab } from './lab.js';

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const real = hasTshark ? kernelTest(test.serial) : test.serial.skip;

const ports = [
  { name: 'net_af_xdp (bifurc)', vdev: '--vdev=net_bifurc0,iface=va,qpairs=1', rule: 'flow ntuple 0 flow-type udp4 dst-port 7790 action 0' },
  { name: 'net_af_packet', vdev: '--vdev=net_af_packet0,iface=va', rule: undefined },
];

for (const p of ports) {
  real(`${p.name}: tshark on the peer sees every 5tswap echo with a good UDP checksum`, async (t) => {
    const lab = BifurcLab.create('csum');
    try {
      const tp = await lab.startTestpmd(['-l', '0-1', '--no-pci', p.vdev, `--file-prefix=csum-${process.pid}`]);
      if (p.rule) t.regex(await tp.cmd(p.rule), /created/);
      await tp.cmd('set fwd 5tswap');
      await tp.cmd('start');
      const cap = await lab.tshark('udp port 7790', ['udp.srcport', 'udp.checksum.status'], 40, 20);
      const u = await lab.client('udp', 7790, 20);
      const frames = (await cap.result()).map((l) => l.split('\t'));
      await tp.cmd('stop');
      await tp.quit();
      t.deepEqual(u, { sent: 20, fromKernel: 0, fromUser: 20, lost: 0 });
      const echoes = frames.filter(([sport]) => sport === '7790').map(([, st]) => st);
      const requests = frames.filter(([sport]) => sport !== '7790').map(([, st]) => st);
      t.is(echoes.length, 20, 'tshark saw every echo');
      t.deepEqual([...new Set(echoes)], ['1'], 'every echo has a good UDP checksum (status 1)');
      // the control: the peer's own datagrams leave with partial checksums, which tshark flags
      t.is(requests.length, 20);
      t.deepEqual([...new Set(requests)], ['0'], 'tshark flags the partial checksums the echoes started from');
    } finally {
      await lab.destroy();
    }
  });
}
