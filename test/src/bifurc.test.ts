/**
 * Bifurcation end to end, in namespaces of the test's own (see lab.ts): the kernel keeps
 * answering what no rule takes while testpmd gets exactly the steered flows; TCP connections
 * stay on the side their SYN chose; kill -9 of testpmd gives the kernel everything back.
 * Counts are exact: the clients send one datagram or line at a time and wait for its answer.
 */
import test from 'ava';
import { kernelTest } from '@dpkit/eal/testing';
import { BifurcLab, type TestpmdSession } from './lab.js';

const real = kernelTest(test.serial);
const RFC = (tag: string) => ['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=va,qpairs=1', `--file-prefix=${tag}-${process.pid}`];
const hits = (t: string) => Number(/hits: (\d+)/.exec(t)?.[1] ?? NaN);

async function withLab(tag: string, fn: (lab: BifurcLab) => Promise<void>, queues = 1): Promise<void> {
  const lab = BifurcLab.create(tag, { queues });
  try {
    await fn(lab);
  } finally {
    await lab.destroy();
  }
}

for (const queues of [1, 2]) {
  real(`traffic matrix (${queues} netdev queue${queues > 1 ? 's' : ''}): rules' flows reach testpmd, the kernel answers the rest, nothing lost`, async (t) => {
    await withLab('mx', async (lab) => {
      const services = await lab.startServices([7777, 7778], [8080]);
      const tp = await lab.startTestpmd(RFC('mx'), ['--rxfreet=32', '--txfreet=32', '--txrst=32']);
      t.regex(await tp.cmd('show port info 0'), /Split queues: rxq 0 <- netdev queue/);
      t.regex(await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 7777 action 0'), /Flow rule #0 created/);
      await tp.cmd('set fwd 5tswap');
      await tp.cmd('start');
      const u1 = await lab.client('udp', 7777, 30);
      const u2 = await lab.client('udp', 7778, 30);
      const t1 = await lab.client('tcp', 8080, 5);
      await tp.cmd('stop');
      const q = await tp.cmd('flow query 0 0 count');
      await tp.quit();
      const served = await services.stop();
      t.deepEqual(u1, { sent: 30, fromKernel: 0, fromUser: 30, lost: 0 }, 'UDP 7777: testpmd answered all');
      t.deepEqual(u2, { sent: 30, fromKernel: 30, fromUser: 0, lost: 0 }, 'UDP 7778: the kernel answered all');
      t.deepEqual(t1, { sent: 5, fromKernel: 5, fromUser: 0, lost: 0 }, 'TCP 8080: the kernel answered all');
      t.is(hits(q), 30, 'the rule counted every steered datagram');
      t.is(served.udp7777, 0, 'the kernel saw none of the steered flow');
      t.is(served.udp7778, 30);
      t.is(served.tcp8080, 5);
    }, queues);
  });
}

real('SYN sharing: an established kernel connection survives a rule for its port; new SYNs go to testpmd', async (t) => {
  await withLab('syn', async (lab) => {
    const services = await lab.startServices([], [9090]);
    const tp = await lab.startTestpmd(RFC('syn'));
    await tp.cmd('set fwd rxonly');
    await tp.cmd('start');
    const conn = await lab.tcpHold(9090, 4); // established through the kernel, first line answered
    await conn.next();
    t.regex(await tp.cmd('flow create 0 ingress pattern eth / ipv4 / tcp dst is 9090 / end actions queue index 0 / count / end'), /Flow rule #0 created/);
    await conn.next(); // after the rule: still the kernel's
    await conn.next();
    const fresh = await lab.client('tcp', 9090, 2); // new connections: their SYNs go to testpmd, which only counts them
    const held = await conn.end();
    await tp.cmd('stop');
    const q = await tp.cmd('flow query 0 0 count');
    await tp.quit();
    const served = await services.stop();
    t.deepEqual(held, { sent: 4, fromKernel: 4, fromUser: 0, lost: 0 }, 'the established connection kept working with the kernel');
    t.is(fresh.fromKernel, 0, 'no new connection reached the kernel');
    t.true(hits(q) >= 2, `SYNs of the new connections reached testpmd (${hits(q)} hits)`);
    t.is(served.tcp9090, 1, 'the kernel accepted only the connection made before the rule');
  });
});

real('kill -9 of testpmd: the kernel answers the steered flow again, and a new run works', async (t) => {
  await withLab('k9', async (lab) => {
    const services = await lab.startServices([7777], []);
    const start = async (): Promise<TestpmdSession> => {
      const tp = await lab.startTestpmd(RFC('k9'));
      await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 7777 action 0');
      await tp.cmd('set fwd 5tswap');
      await tp.cmd('start');
      return tp;
    };
    const tp = await start();
    t.deepEqual(await lab.client('udp', 7777, 10), { sent: 10, fromKernel: 0, fromUser: 10, lost: 0 });
    tp.child.kill('SIGKILL');
    await tp.exited;
    t.false(lab.xdpAttached(), 'the BPF link died with the process: no XDP program on the netdev');
    t.deepEqual(await lab.client('udp', 7777, 10), { sent: 10, fromKernel: 10, fromUser: 0, lost: 0 }, 'the kernel answers at once');
    const again = await start();
    t.deepEqual(await lab.client('udp', 7777, 10), { sent: 10, fromKernel: 0, fromUser: 10, lost: 0 }, 'a new run takes the flow again');
    await again.cmd('stop');
    await again.quit();
    await services.stop();
  });
});

real('port attach / detach of a bifurcated device at run time', async (t) => {
  await withLab('att', async (lab) => {
    const tp = await lab.startTestpmd(['-l', '0-1', '--no-pci', '--vdev=net_null0', `--file-prefix=att-${process.pid}`]);
    t.regex(await tp.cmd('port attach net_bifurc1,iface=va,qpairs=1'), /Port 1 is attached\. Now total ports is 2/);
    await tp.cmd('port start 1');
    t.true(lab.xdpAttached(), 'started: the classifier is on the netdev');
    await tp.cmd('port stop 1');
    t.false(lab.xdpAttached(), 'stopped: the kernel has every queue back');
    await tp.cmd('port close 1');
    t.regex(await tp.cmd('port detach 1'), /Device ffff:[0-9a-f]{2}:[0-9a-f]{2}\.\d is detached/);
    t.regex(await tp.cmd('port attach net_bifurc1,iface=va'), /Port 1 is attached/, 'attaching the same netdev again works');
    await tp.quit();
  });
});
