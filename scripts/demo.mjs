#!/usr/bin/env node
/**
 * The main job: a bifurcated netdev, twice. Each part makes two namespaces joined by veth:
 * `host` (kernel services: UDP and TCP echo; dpkit-testpmd) and `peer` (the clients), and
 * removes them at its end.
 *
 * 1. AF_XDP on the veth end: dpkit-testpmd started with the RFC's command line on va; flow
 *    rules send UDP 7777 and new TCP connections to 9090 to testpmd (5tswap answers UDP),
 *    everything else stays with the kernel.
 * 2. The RFC's own steps on the emulated 82599 (`dpkit-sim-82599 bx0 --wire va`; bx0 is the
 *    NIC's kernel interface): promiscuous mode, `dpkit-ethtool -K bx0 ntuple on`, the two
 *    `-N` rules of the RFC, dpkit-testpmd's RFC line (net_ixgbe on queue 32, no -d): UDP from
 *    1.1.1.1 reaches testpmd through the NIC's flow director, the kernel serves the rest.
 *
 * Each part prints the commands as run and a table of who answered what. Exits 1 when either
 * result is wrong. Needs root.
 */
import { BifurcLab, HOST_IP, PEER_IP, STEERED_IP, labMissing } from '../test/dist/lab.js';

const missing = labMissing();
if (missing) {
  console.error(`dpkit demo: needs ${missing}`);
  process.exit(1);
}
const say = (s = '') => console.log(s);
/** Runs `part` on a lab of its own (removed at the end, whatever happens); true when its result is right. */
async function inLab(tag, part) {
  const lab = BifurcLab.create(tag);
  try {
    return await part(lab);
  } catch (err) {
    console.error(`dpkit demo: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return false;
  } finally {
    await lab.destroy();
    say('namespaces removed');
  }
}

const row = (name, r) => say(`  ${name.padEnd(44)}  ${String(r.sent).padStart(4)}  ${String(r.fromKernel).padStart(6)}  ${String(r.fromUser).padStart(7)}  ${String(r.lost).padStart(10)}`);
const tableHead = () => say('  traffic                                       sent  kernel  testpmd  unanswered');

/** Runs a testpmd command, printing it and its output as typed. */
const typed = (tp) => async (c) => {
  const out = await tp.cmd(c);
  say(`testpmd> ${c}`);
  if (out) say(out);
  return out;
};

async function afXdp(lab) {
  say(`1. AF_XDP: namespaces ${lab.host} (va ${HOST_IP}: kernel services + dpkit-testpmd) and ${lab.peer} (vb ${PEER_IP}: clients)`);
  const services = await lab.startServices([7777, 7778], [8080, 9090]);
  say('kernel services listening in host: UDP echo 7777 and 7778, TCP echo 8080 and 9090 (they answer "kernel:...")');
  const eal = ['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=va,qpairs=1', `--file-prefix=demo-${process.pid}`];
  say(`\n$ dpkit-testpmd ${eal.join(' ')} -- -i --rxfreet=32 --txfreet=32 --txrst=32`);
  const tp = await lab.startTestpmd(eal, ['--rxfreet=32', '--txfreet=32', '--txrst=32']);
  const run = typed(tp);
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
  say('\nwhat went where (AF_XDP)');
  tableHead();
  for (const [name, r] of rows) row(name, r);
  say(`  classifier: UDP 7777 rule hits ${hits(q0)}, TCP 9090 rule hits ${hits(q1)} (segments of the 9090 connections: 5tswap reflects`);
  say('  each one, so the client opens its connection against its own reflection and gets its line back unchanged)');
  say(`  kernel services served: ${Object.entries(served).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const ok = rows[0][1].fromUser === 20 && rows[1][1].fromKernel === 20 && rows[2][1].fromKernel === 5 && served.tcp9090 === 0 && hits(q1) > 0;
  say(ok ? '\nbifurcation works: the rules\' flows reached user space, the kernel kept everything else'
    : '\nunexpected result: see the table above');
  return ok;
}

/** The RFC's steps on the emulated 82599, with its ethtool lines and testpmd line as written. */
async function emulatedNic(lab) {
  say(`\n2. The emulated 82599: namespaces ${lab.host} (the NIC, bx0 ${HOST_IP}: kernel services + dpkit-testpmd) and ${lab.peer} (vb ${PEER_IP} and ${STEERED_IP}: clients)`);
  say('\n$ dpkit-sim-82599 bx0 --wire va');
  say(await lab.emulatedNic());
  const services = await lab.startServices([7777], [8080]);
  say(`kernel services listening on bx0 (${HOST_IP}): UDP echo 7777, TCP echo 8080`);
  const sh = (shown, r) => {
    say(`$ ${shown}`);
    if (r.stdout) say(r.stdout.trimEnd());
    if (r.code !== 0) throw new Error(`${shown}: exit ${r.code}: ${r.stderr.trim()}`);
  };
  sh('ip link set bx0 promisc on', lab.inHost(['ip', 'link', 'set', 'bx0', 'promisc', 'on']));
  sh('dpkit-ethtool -K bx0 ntuple on', lab.ethtool('-K', 'bx0', 'ntuple', 'on'));
  sh('dpkit-ethtool -N bx0 flow-type udp4 src-ip 0.0.0.0 action 0', lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', '0.0.0.0', 'action', '0'));
  const eal = ['-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=bx0,qpairs=1'];
  const app = ['--rxfreet=32', '--txfreet=32', '--txrst=32'];
  say(`$ dpkit-testpmd ${eal.join(' ')} -- -i ${app.join(' ')}`);
  // a runtime directory of its own, so the RFC's line needs no --file-prefix (see lab.ts)
  const tp = await lab.startTestpmd(eal, app, { privateRuntime: true });
  sh(`dpkit-ethtool -N bx0 flow-type udp4 src-ip ${STEERED_IP} action 32      # testpmd runs`, lab.ethtool('-N', 'bx0', 'flow-type', 'udp4', 'src-ip', STEERED_IP, 'action', '32'));
  const run = typed(tp);
  const info = await tp.cmd('show port info 0');
  say('testpmd> show port info 0    # (the lines about the device)');
  say(info.split('\n').filter((l) => /^(Driver name|Kernel interface|PCI device|Kernel netdev|Split queues|Flow rules|Promiscuous mode):/.test(l)).join('\n'));
  await run('set fwd 5tswap');
  await run('start');
  const rows = [
    [`UDP 7777 from ${STEERED_IP} (rule: action 32)`, await lab.client('udp', 7777, 20, [], { src: STEERED_IP })],
    [`UDP 7777 from ${PEER_IP} (no rule)`, await lab.client('udp', 7777, 20)],
    ['TCP 8080 (no rule)', await lab.client('tcp', 8080, 5)],
  ];
  await run('stop');
  const stats = await run('show port stats 0');
  await tp.quit();
  const nic = lab.ethtool('-S', 'bx0').stdout;
  const served = await services.stop();
  const n = (text, name) => Number(new RegExp(`${name}: +(\\d+)`).exec(text)?.[1] ?? NaN);
  say('$ dpkit-ethtool -S bx0    # (the flow director and queue 32)');
  say(nic.split('\n').filter((l) => /^\s+(fdir_match|fdir_miss|rx_queue_32_packets|tx_dma_faults):/.test(l)).join('\n'));
  say('\nwhat went where (emulated 82599)');
  tableHead();
  for (const [name, r] of rows) row(name, r);
  say(`  testpmd (net_ixgbe, queue 32): RX-packets ${n(stats, 'RX-packets')}, TX-packets ${n(stats, 'TX-packets')}; the NIC's flow director matched ${n(nic, 'fdir_match')}`);
  say(`  kernel services served: ${Object.entries(served).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const ok = rows[0][1].fromUser === 20 && rows[1][1].fromKernel === 20 && rows[2][1].fromKernel === 5
    && n(stats, 'RX-packets') === 20 && n(stats, 'TX-packets') === 20 && served.udp7777 === 20 && served.tcp8080 === 5;
  say(ok ? '\nthe RFC\'s steps work: the flow director sent UDP from 1.1.1.1 to testpmd\'s queue 32, the kernel kept everything else'
    : '\nunexpected result: see the table above');
  return ok;
}

const first = await inLab('demo', afXdp);
const second = await inLab('demo', emulatedNic);
process.exit(first && second ? 0 : 1);
