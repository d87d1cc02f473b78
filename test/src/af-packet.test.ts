/**
 * net_af_packet end to end, in namespaces of the test's own (lab.ts): dpkit-testpmd on va
 * through AF_PACKET, 5tswap forwarding, a kernel UDP client in the peer namespace. Every
 * datagram comes back from testpmd with its payload intact and a checksum the client's
 * kernel accepts (the sender's partial checksums are completed on rx). AF_PACKET does not
 * split: the kernel keeps answering on va too (ARP here, and the TCP service).
 */
import test from 'ava';
import { kernelTest } from '@dpkit/eal/testing';
import { BifurcLab } from './lab.js';

const real = kernelTest(test.serial);

for (const devargs of ['', ',qpairs=2']) {
  real(`net_af_packet${devargs}: testpmd 5tswap answers every datagram; the kernel still answers TCP`, async (t) => {
    const lab = BifurcLab.create('afp', { queues: devargs ? 2 : 1 });
    try {
      const services = await lab.startServices([7777], [8080]);
      const nb = devargs ? ['--rxq=2', '--txq=2'] : [];
      const tp = await lab.startTestpmd(['-l', '0-1', '--no-pci', `--vdev=net_af_packet0,iface=va${devargs}`, `--file-prefix=afp-${process.pid}`], nb);
      t.regex(await tp.cmd('show port info 0'), /AF_PACKET TPACKET_V3; not split/);
      await tp.cmd('set fwd 5tswap');
      await tp.cmd('start');
      // no kernel service on 7790: only testpmd answers
      const u = await lab.client('udp', 7790, 40);
      await tp.cmd('stop');
      const stats = await tp.cmd('show port stats 0');
      await tp.quit();
      // testpmd gone: the kernel answers its service as before
      const k = await lab.client('tcp', 8080, 3);
      await services.stop();
      t.deepEqual(u, { sent: 40, fromKernel: 0, fromUser: 40, lost: 0 }, 'testpmd answered every datagram with a valid checksum');
      t.deepEqual(k, { sent: 3, fromKernel: 3, fromUser: 0, lost: 0 });
      t.regex(stats, /RX-packets: (4\d|[5-9]\d|\d{3,})\s/, 'at least the 40 datagrams were received');
    } finally {
      await lab.destroy();
    }
  });
}
