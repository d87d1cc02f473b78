#!/usr/bin/env node
/**
 * The main job: a bifurcated netdev. Two namespaces joined by veth; in `host`, kernel services
 * (UDP echo on 7777 and 7778, TCP echo on 8080 and 9090) and dpkit-testpmd, started with the
 * RFC's command line on the veth end; flow rules send UDP 7777 and new TCP connections to 9090
 * to testpmd (5tswap answers UDP), everything else stays with the kernel. A client in `peer`
 * sends each kind of traffic and the demo prints who answered, with the classifier's and the
 * services' own counts. Everything is removed at the end. Needs root.
 */
import { BifurcLab, labMissing } from '../test/dist/lab.js';

const missing = labMissing();
if (missing) {
  console.error(`dpkit demo: needs ${missing}`);
  process.exit(1);
}
const say = (s = '') => console.log(s);
const lab = BifurcLab.create('demo');
let code = 0;
try {
  say(`namespaces ${lab.host} (va 10.77.0.1: kernel services + dpkit-testpmd) and ${lab.peer} (vb 10.77.0.2: clients)`);
  const services = await lab.startServices([7777, 7778], [8080, 9090]);
  say('kernel services listening in host: UDP echo 7777 and 7778, TCP echo 8080 and 9090 (they answer "kernel:...")');
  const eal = ['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=va,qpairs=1', `--file-prefix=demo-${process.pid}`];
  say(`\n$ dpkit-testpmd ${eal.join(' ')} -- -i --rxfreet=32 --txfreet=32 --txrst=32`);
  const tp = await lab.startTestpmd(eal, ['--rxfreet=32', '--txfreet=32', '--txrst=32']);
  const run = async (c) => {
    const out = await tp.cmd(c);
    say(`testpmd> ${c}`);
    if (out) say(out);
    return out;
  };
  await run('show port info 0');
  say('\nbefore any rule, UDP 7777 goes to the kernel:');
  const pre = await lab.client('udp', 7777, 5);
  say(`  UDP 7777 x${pre.sent}: kernel answered ${pre.fromKernel}, testpmd ${pre.fromUser}, lost ${pre.lost}`);
  say('');
  await run('flow ntuple 0 flow-type udp4 dst-port 7777 action 0');
  await run('flow create 0 ingress pattern eth / ipv4 / tcp dst is 9090 / end actions queue index 0 / count / end');
  await run('set fwd 5tswap');
  await run('start');
  const rows = [
    ['UDP 7777 (rule: queue 0)', await lab.client('udp', 7777, 20)],
    ['UDP 7778 (no rule)', await lab.client('udp', 7778, 20)],
    ['TCP 8080 (no rule)', await lab.client('tcp', 8080, 5)],
    ['TCP 9090 (rule: new connections to queue 0)', await lab.client('tcp', 9090, 3)],
  ];
  await run('stop');
  const q0 = await run('flow query 0 0 count');
  const q1 = await run('flow query 0 1 count');
  await run('flow list 0');
  await tp.quit();
  const served = await services.stop();
  const hits = (t) => Number(/hits: (\d+)/.exec(t)?.[1] ?? 0);
  say('\nwhat went where');
  say('  traffic                                       sent  kernel  testpmd  unanswered');
  for (const [name, r] of rows) say(`  ${name.padEnd(44)}  ${String(r.sent).padStart(4)}  ${String(r.fromKernel).padStart(6)}  ${String(r.fromUser).padStart(7)}  ${String(r.lost).padStart(10)}`);
  say(`  classifier: UDP 7777 rule hits ${hits(q0)}, TCP 9090 rule hits ${hits(q1)} (segments of the 9090 connections: 5tswap reflects`);
  say('  each one, so the client opens its connection against its own reflection and gets its line back unchanged)');
  say(`  kernel services served: ${Object.entries(served).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const ok = rows[0][1].fromUser === 20 && rows[1][1].fromKernel === 20 && rows[2][1].fromKernel === 5 && served.tcp9090 === 0 && hits(q1) > 0;
  say(ok ? '\nbifurcation works: the rules\' flows reached user space, the kernel kept everything else'
    : '\nunexpected result: see the table above');
  code = ok ? 0 : 1;
} catch (err) {
  console.error(`dpkit demo: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  code = 1;
} finally {
  await lab.destroy();
  say('namespaces removed');
}
process.exit(code);
