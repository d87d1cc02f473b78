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
const xstat = (text: string, name: string) => Number(new RegExp(`\\b${name}: (\\d+)`).exec(text)?.[1] ?? NaN);

/**
 * Polls `show port xstats 0` (at most 100 times, 20 ms apart) until xstat `name` reaches `n`:
 * a frame sent from the peer namespace is classified in softirq context, which on a loaded
 * machine may run after the sender's sendto returned.
 */
async function xstatReaches(tp: TestpmdSession, name: string, n: number): Promise<void> {
  for (let i = 0; i < 100 && !(xstat(await tp.cmd('show port xstats 0'), name) >= n); i++) await new Promise((r) => setTimeout(r, 20));
}

async function withLab(tag: string, fn: (lab: BifurcLab) => Promise<void>, queues = 1): Promise<void> {
  const lab = BifurcLab.create(tag, { queues });
  try {
    await fn(lab);
  } finally {
    await lab.destroy();
  }
}

const RFCQ = (tag: string, qpairs: number) => ['-c', '0x3', '-n', '4', `--vdev=rte_bifurc,iface=va,qpairs=${qpairs}`, `--file-prefix=${tag}-${process.pid}`];

// netdev queues of va, and user queue pairs: with 2 netdev queues and qpairs=1 user queue 0 reads
// two AF_XDP sockets (one per netdev queue); with qpairs=2 each user queue has its own
for (const [queues, qpairs] of [[1, 1], [2, 1], [2, 2]] as const) {
  real(`traffic matrix (${queues} netdev queue${queues > 1 ? 's' : ''}, qpairs=${qpairs}): rules' flows reach testpmd on every netdev queue, the kernel answers the rest, nothing lost`, async (t) => {
    await withLab('mx', async (lab) => {
      const services = await lab.startServices([7777, 7778], [8080]);
      const tp = await lab.startTestpmd(RFCQ('mx', qpairs), ['--rxfreet=32', '--txfreet=32', '--txrst=32', `--rxq=${qpairs}`, `--txq=${qpairs}`]);
      t.regex(await tp.cmd('show port info 0'), new RegExp(`Split queues: rxq 0 <- netdev queues? ${qpairs === 1 && queues === 2 ? '0, 1' : '0'}[;\n]`));
      t.regex(await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 7777 action 0'), /Flow rule #0 created/);
      await tp.cmd('set fwd 5tswap');
      await tp.cmd('start');
      // one client per netdev queue (pinned to CPU i, it arrives on netdev queue i)
      const steered = [];
      for (let i = 0; i < queues; i++) steered.push(await lab.client('udp', 7777, 30, [], queues > 1 ? { cpu: i } : {}));
      const u2 = await lab.client('udp', 7778, 30);
      const t1 = await lab.client('tcp', 8080, 5);
      await tp.cmd('stop');
      const q = await tp.cmd('flow query 0 0 count');
      const x = await tp.cmd('show port xstats 0');
      await tp.quit();
      const served = await services.stop();
      for (const [i, u] of steered.entries()) t.deepEqual(u, { sent: 30, fromKernel: 0, fromUser: 30, lost: 0 }, `UDP 7777 arriving on netdev queue ${i}: testpmd answered all`);
      t.deepEqual(u2, { sent: 30, fromKernel: 30, fromUser: 0, lost: 0 }, 'UDP 7778: the kernel answered all');
      t.deepEqual(t1, { sent: 5, fromKernel: 5, fromUser: 0, lost: 0 }, 'TCP 8080: the kernel answered all');
      t.is(hits(q), 30 * queues, 'the rule counted every steered datagram');
      t.is(served.udp7777, 0, 'the kernel saw none of the steered flow');
      t.is(served.udp7778, 30);
      t.is(served.tcp8080, 5);
      // per user queue: each gets and answers the flows of the netdev queues it serves
      for (let uq = 0; uq < qpairs; uq++) {
        const n = 30 * (qpairs === 1 ? queues : 1);
        t.is(xstat(x, `rx_q${uq}_packets`), n, `rx queue ${uq} received ${n}`);
        t.is(xstat(x, `tx_q${uq}_packets`), n, `tx queue ${uq} answered ${n}`);
      }
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

real('two processes on one netdev: the second testpmd is refused at start in one line naming the queue and the first one\'s PID, and starts once the first stops or is killed', async (t) => {
  await withLab('two', async (lab) => {
    const first = await lab.startTestpmd(RFC('two1'));
    const refused = await lab.runTestpmd(RFC('two2'));
    const line = `va queue 0 is split off by process ${first.child.pid} (one user per queue): stop it, or split other queues (start_queue=/qoff=)`;
    t.not(refused.code, 0, 'non-zero exit');
    t.is(refused.output.split('\n').filter((l) => l.endsWith(line)).length, 1, `one line: ${refused.output.trim().split('\n').slice(-2).join(' | ')}`);
    t.notRegex(refused.output, /\n\s+at /, 'no stack trace');
    // interactive, as DPDK's testpmd: the failed start is said and the prompt comes
    const prompt = await lab.runTestpmd(RFC('two2'), ['-i']);
    t.is(prompt.output.split('\n').filter((l) => l.startsWith('Fail to start port 0: ') && l.endsWith(line)).length, 1, prompt.output);
    t.regex(prompt.output, /testpmd> /);
    await first.cmd('port stop 0');
    const second = await lab.startTestpmd(RFC('two2'));
    t.regex(await second.cmd('show port info 0'), /Split queues: rxq 0 <- netdev queue 0; split off the kernel/, 'the stopped port returned its queue');
    await second.quit();
    await first.cmd('port start 0');
    first.child.kill('SIGKILL');
    await first.exited;
    const third = await lab.startTestpmd(RFC('two3'));
    t.regex(await third.cmd('show port info 0'), /Split queues: rxq 0 <- netdev queue 0; split off the kernel/, 'kill -9 released the queue');
    await third.quit();
  });
});

real('flow isolate 0 0: show port info says unmatched traffic goes to user space, and back', async (t) => {
  await withLab('iso', async (lab) => {
    const tp = await lab.startTestpmd(RFC('iso'));
    t.regex(await tp.cmd('show port info 0'), /Flow rules: 0; unmatched traffic stays with the kernel$/m);
    await tp.cmd('flow isolate 0 0');
    t.regex(await tp.cmd('show port info 0'), /Flow rules: 0; unmatched traffic goes to user space \(flow isolate off\)$/m);
    await tp.cmd('flow isolate 0 1');
    t.regex(await tp.cmd('show port info 0'), /Flow rules: 0; unmatched traffic stays with the kernel$/m);
    await tp.quit();
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
    t.regex(await tp.cmd('port detach 1'), /^Device is detached$/m);
    t.regex(await tp.cmd('port attach net_bifurc1,iface=va'), /Port 1 is attached/, 'attaching the same netdev again works');
    await tp.quit();
  });
});

real('a forged SYN on an established kernel connection (any seq) leaves it with the kernel', async (t) => {
  await withLab('fsk', async (lab) => {
    const services = await lab.startServices([], [9090]);
    const tp = await lab.startTestpmd(RFC('fsk'));
    await tp.cmd('set fwd rxonly');
    await tp.cmd('start');
    const conn = await lab.tcpHold(9090, 4);
    await conn.next();
    t.regex(await tp.cmd('flow ntuple 0 flow-type tcp4 dst-port 9090 action 0'), /Flow rule #0 created/);
    lab.forgeSyn(conn.localPort, 9090, 12345);
    await conn.next();
    await conn.next();
    const held = await conn.end();
    await tp.cmd('stop');
    const x = await tp.cmd('show port xstats 0');
    await tp.quit();
    await services.stop();
    t.deepEqual(held, { sent: 4, fromKernel: 4, fromUser: 0, lost: 0 }, 'the connection kept working with the kernel');
    t.is(xstat(x, 'bifurc_kernel_connection'), 1, 'the forged SYN was kept with the kernel: its 5-tuple is a kernel connection');
    t.is(xstat(x, 'bifurc_pin_user'), 0, 'no segment went to user space');
  });
});

real('a forged SYN on a connection pinned to user space leaves it in user space', async (t) => {
  await withLab('fsu', async (lab) => {
    // no kernel listener: a SYN that reaches the kernel gets a RST, to which peer answers nothing,
    // so every TCP segment testpmd counts is one of the two SYNs
    const tp = await lab.startTestpmd(RFC('fsu'));
    await tp.cmd('set fwd rxonly');
    await tp.cmd('start');
    t.regex(await tp.cmd('flow ntuple 0 flow-type tcp4 dst-port 9091 action 0'), /Flow rule #0 created/);
    lab.forgeSyn(40555, 9091, 1000); // the connection's SYN: to testpmd, pinned
    await xstatReaches(tp, 'bifurc_user_rule', 1); // classified before the rule goes
    t.regex(await tp.cmd('flow destroy 0 rule 0'), /Flow rule #0 destroyed/);
    lab.forgeSyn(40555, 9091, 777777); // a SYN with its 5-tuple, another seq, no rule now: still testpmd's
    await xstatReaches(tp, 'rx_good_packets', 2); // received before the port stops
    await tp.cmd('stop');
    const x = await tp.cmd('show port xstats 0');
    const s = await tp.cmd('show port stats 0');
    await tp.quit();
    t.regex(s, /RX-packets: 2\b/, 'testpmd received both SYNs');
    t.is(xstat(x, 'bifurc_user_rule'), 1, 'the first SYN by the rule');
    t.is(xstat(x, 'bifurc_pin_user'), 1, 'the second by the pin');
  });
});

real('one over capacity end to end: pins=16, 17 SYNs: the 16 pinned keep their pins, the 17th is dropped and counted in xstats', async (t) => {
  await withLab('cap', async (lab) => {
    const tp = await lab.startTestpmd(['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=va,qpairs=1,pins=16', `--file-prefix=cap-${process.pid}`]);
    await tp.cmd('set fwd rxonly');
    await tp.cmd('start');
    t.regex(await tp.cmd('flow ntuple 0 flow-type tcp4 dst-port 9092 action 0'), /Flow rule #0 created/);
    lab.forgeSyn(41000, 9092, 1, 41016); // 17 connections
    await xstatReaches(tp, 'bifurc_pin_full', 1); // all 17 classified before the rule goes
    t.regex(await tp.cmd('flow destroy 0 rule 0'), /destroyed/);
    lab.forgeSyn(41000, 9092, 2, 41016); // every 5-tuple again, no rule now: the pinned 16 are testpmd's
    await xstatReaches(tp, 'rx_good_packets', 32);
    await tp.cmd('stop');
    const x = await tp.cmd('show port xstats 0');
    const s = await tp.cmd('show port stats 0');
    await tp.quit();
    t.is(xstat(x, 'bifurc_user_rule'), 16, '16 SYNs pinned');
    t.is(xstat(x, 'bifurc_pin_full'), 1, 'the 17th found the table full: dropped, counted');
    t.is(xstat(x, 'bifurc_pin_user'), 16, 'all 16 still pinned afterwards (nothing evicted)');
    t.regex(s, /RX-packets: 32\b/, 'testpmd received the 16 twice, never the 17th');
  });
});

real('flow rules as an operator writes them: masks and prefixes listed, validate checks what create checks, one line for each refusal', async (t) => {
  await withLab('ops', async (lab) => {
    const tp = await lab.startTestpmd(RFC('ops'));
    t.regex(await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 7777 m 0xffff action 0'), /Flow rule #0 created/);
    const r1 = 'ingress pattern eth / ipv4 dst spec 10.77.0.0 dst prefix 24 / udp dst is 53 / end actions queue index 0 / count / end';
    t.regex(await tp.cmd(`flow create 0 ${r1}`), /Flow rule #1 created/);
    t.regex(await tp.cmd('flow ntuple 0 flow-type tcp4 src-ip 10.77.0.2 m 0.0.255.0 dst-port 80 m 0x00ff action -1 loc 3'), /Flow rule #2 created/);
    t.regex(await tp.cmd('flow create 0 ingress pattern eth / ipv4 / tcp dst is 22 flags is 0x02 / end actions queue index 0 / end'), /Flow rule #3 created/);
    t.is(await tp.cmd('flow list 0'), [
      'ID\tGroup\tPrio\tAttr\tRule',
      '0\t0\t0\ti--\tETH IPV4 UDP => QUEUE COUNT',
      '1\t0\t0\ti--\tETH IPV4 UDP => QUEUE COUNT',
      '3\t0\t0\ti--\tETH IPV4 TCP => QUEUE',
      '2\t0\t3\ti--\tETH IPV4 TCP => DROP COUNT',
      'Rule #0 matches: ipv4 UDP dport 0/0x0000 => QUEUE 0 COUNT',
      'Rule #1 matches: ipv4 dst 10.77.0.0/24 UDP dport 53/0xffff => QUEUE 0 COUNT',
      'Rule #3 matches: ipv4 TCP dport 22/0xffff flags 0x02/0xff => QUEUE 0',
      'Rule #2 matches: ipv4 src 10.77.0.2/255.255.0.255 TCP dport 0/0xff00 => DROP COUNT',
    ].join('\n'));
    t.regex(await tp.cmd(`flow validate 0 ${r1}`), /^port_flow_complain\(\): Caught PMD error type 1 \(cause unspecified\): [^\n]*matches exactly what rule 1 matches; destroy that one first: File exists$/, 'validate refuses the duplicate create would refuse');
    t.regex(await tp.cmd('flow ntuple 0 flow-type udp4 dst-port 1 action 0 action -1'), /^[^\n]*two actions \('action 0' and 'action -1'\): a rule has one \(N, -1 or kernel\)$/);
    t.regex(await tp.cmd('flow create 0 ingress pattern eth / ipv4 / udp dst is 1 / end actions queue index 0 / drop / end'), /^[^\n]*two fate actions \(queue and drop\)[^\n]*$/);
    for (const [flags, fate] of [['0x01', 'drop'], ['0x04', 'drop'], ['0x10', 'queue index 0']]) {
      const line = `ingress pattern eth / ipv4 / tcp dst is 23 flags is ${flags} / end actions ${fate} / end`;
      for (const verb of ['validate', 'create']) {
        t.regex(await tp.cmd(`flow ${verb} 0 ${line}`), /^[^\n]*TCP flags 0x[0-9a-f]+\/0xff are not a SYN: only a connection's SYN is classified[^\n]*$/, `${verb} flags ${flags}`);
      }
    }
    t.is((await tp.cmd('flow list 0')).split('\n').length, 9, 'nothing refused was added');
    await tp.quit();
  });
});

real('bifurc devargs an operator gets wrong are refused at once in one line', async (t) => {
  await withLab('dva', async (lab) => {
    const fp = `--file-prefix=dva-${process.pid}`;
    const one = (o: { code: number | null; output: string }, re: RegExp, what: string) => {
      t.not(o.code, 0, `${what}: non-zero exit`);
      const lines = o.output.split('\n').filter((l) => re.test(l));
      t.is(lines.length, 1, `${what}: one line (${o.output.trim().split('\n').slice(-3).join(' | ')})`);
      t.notRegex(o.output, /\n\s+at /, `${what}: no stack trace`);
    };
    one(await lab.runTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va,qpairs=2', fp]),
      /qpairs=2 splits 2 queue pairs off 'va' but the port has 1 rx queue: configure 2 \(testpmd --rxq=2 --txq=2\) or lower qpairs/, 'qpairs above --rxq');
    one(await lab.runTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va,pins=16777216', fp], ['-i']), /pins.*16777216.*1048576/, 'pins above the cap');
    const big = await lab.runTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va,pins=1048576', fp], ['-i']);
    t.is(big.code, 0);
    t.regex(big.output, /net_bifurc0: TCP pin table of 1048576 connections reserves 112 MiB of kernel memory/, 'the cap itself is said at start');
    const both = /netdev 'va' is used by (net_af_xdp0|net_bifurc0) as well: a netdev's queues go to one AF_XDP user, a bifurc vdev or net_af_xdp, not both; detach \1 first \(port detach, or drop its --vdev\), or use another netdev$/m;
    one(await lab.runTestpmd(['-l', '0-1', '--vdev=net_af_xdp0,iface=va', '--vdev=net_bifurc0,iface=va', fp], ['-i']), both, 'net_af_xdp, then bifurc on one netdev');
    one(await lab.runTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va', '--vdev=net_af_xdp0,iface=va', fp], ['-i']), both, 'bifurc, then net_af_xdp on one netdev');
    const tp = await lab.startTestpmd(['-l', '0-1', '--vdev=net_bifurc0,iface=va', fp]);
    t.regex(await tp.cmd('port attach net_af_xdp1,iface=va'), /^[^\n]*netdev 'va' is used by net_bifurc0 as well[^\n]*$/m, 'net_af_xdp attached to a bifurc netdev at run time');
    t.regex(await tp.cmd('port attach eth_af_xdp1,iface=va'), /^[^\n]*eth_af_xdp1: netdev 'va' is used by net_bifurc0 as well[^\n]*$/m, 'the alias too');
    await tp.quit();
    const alias = await lab.startTestpmd(['-l', '0-1', '--vdev=eth_af_xdp0,iface=va', fp]);
    t.regex(await alias.cmd('port attach net_bifurc1,iface=va'), /^[^\n]*net_bifurc1: netdev 'va' is used by eth_af_xdp0 as well: a netdev's queues go to one AF_XDP user, a bifurc vdev or net_af_xdp, not both; detach eth_af_xdp0 first \(port detach, or drop its --vdev\), or use another netdev$/m,
      'a bifurc vdev attached to a netdev of eth_af_xdp (net_af_xdp\'s alias) is refused at probe');
    await alias.quit();
  }, 2);
});
