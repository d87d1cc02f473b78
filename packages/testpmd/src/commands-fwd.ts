/**
 * The forwarding commands of DPDK testpmd's command line that configure engines, lcores and
 * ports for forwarding: `set fwd MODE retry`, `set burst tx delay D retry N`, `csum set|show|
 * parse-tunnel`, `set portlist|corelist|coremask`. Their answers and refusals are DPDK's lines
 * (cmdline.c, config.c).
 */
import { DpkitError } from '@dpkit/eal';
import { DpdkAnswer, type Output, type Testpmd } from './testpmd.js';
import { retryEngineNames } from './fwd/registry.js';
import { TX_OFFLOAD } from './fwd/engines/csum.js';

/** RTE_MAX_ETHPORTS and RTE_MAX_LCORE of DPDK's build: the longest lists `set portlist|corelist` take */
const MAX_PORTS = 32;
const MAX_LCORES = 128;

/** Handles the line if it is one of these commands; false when it is not. */
export async function fwdCommand(app: Testpmd, words: string[], out: Output): Promise<boolean> {
  const [a, b, c] = words;
  if (a === 'csum') {
    csumCommand(app, words, out);
    return true;
  }
  if (a !== 'set') return false;
  if (b === 'fwd' && words.length === 4 && words[3] === 'retry') {
    // cmd_set_fwd_retry_mode: every mode but rxonly
    if (!retryEngineNames().includes(c!)) throw new Error('Bad arguments');
    app.setFwd(c!, true);
    return true;
  }
  if (b === 'burst' && c === 'tx') {
    // set burst tx delay D retry N (cmd_set_burst_tx_retry): silent
    const [, , , delay, d, retry, n] = words;
    if (words.length !== 7 || delay !== 'delay' || retry !== 'retry' || !u32(d!) || !u32(n!)) throw new Error('Bad arguments');
    app.params.burstTxDelayTime = Number(d);
    app.params.burstTxRetryNum = Number(n);
    return true;
  }
  if (b === 'portlist' || b === 'corelist' || b === 'coremask') {
    if (words.length < 3 || (b === 'coremask' && words.length !== 3)) throw new Error('Bad arguments');
    if (app.isForwarding) {
      out('Please stop forwarding first');
      return true;
    }
    if (b === 'coremask') setFwdLcores(app, coremask(c!), out);
    else {
      const items = parseItemList(words.slice(2).join(' '), b === 'portlist' ? 'port' : 'core', b === 'portlist' ? MAX_PORTS : MAX_LCORES, out);
      if (items === undefined) return true;
      if (b === 'portlist') setFwdPorts(app, items, out);
      else setFwdLcores(app, items, out);
    }
    return true;
  }
  return false;
}

/** A decimal number below 2^31 (dpkit keeps the retry counters small integers). */
const u32 = (w: string) => /^\d{1,10}$/.test(w) && Number(w) <= 0x7fffffff;

/**
 * parse_item_list: comma-separated decimal numbers, each once. Its refusals are DPDK's lines
 * (`character x is not a decimal digit`, `No valid value before comma`, `duplicated port 0 at
 * index 0 and 1`); undefined then.
 */
function parseItemList(text: string, name: string, max: number, out: Output): number[] | undefined {
  const items: number[] = [];
  let value = 0;
  let have = false;
  let count = 0;
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') {
      value = (value * 10 + Number(ch)) >>> 0;
      have = true;
      continue;
    }
    if (ch !== ',') {
      out(`character ${ch} is not a decimal digit`);
      return undefined;
    }
    if (!have) {
      out('No valid value before comma');
      return undefined;
    }
    if (count < max) items.push(value);
    value = 0;
    have = false;
    count++;
  }
  if (count >= max) {
    out(`Number of ${name} = ${count + 1} > ${max} (maximum items)`);
    return undefined;
  }
  items.push(value);
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      if (items[i] === items[j]) {
        out(`duplicated ${name} ${items[i]} at index ${i} and ${j}`);
        return undefined;
      }
    }
  }
  return items;
}

/** set portlist (set_fwd_ports_list): every port must be there; the forwarding ports are these, in this order. */
function setFwdPorts(app: Testpmd, ports: number[], out: Output): void {
  for (const id of ports) app.portsOf(String(id), false); // DPDK's `Invalid port N`
  const before = app.fwdPorts().length;
  app.params.portlist = ports;
  app.params.portmask = undefined;
  app.params.nbPorts = undefined;
  if (before !== ports.length) out(`previous number of forwarding ports ${before} - changed to number of configured ports ${ports.length}`);
}

/** set corelist|coremask (set_fwd_lcores_list): each an EAL lcore and not the main one; the forwarding lcores are these, in this order. */
function setFwdLcores(app: Testpmd, lcores: number[], out: Output): void {
  const enabled = app.eal.lcores.ids();
  for (const l of lcores) {
    if (!enabled.includes(l)) {
      out(`lcore ${l} not enabled`);
      return;
    }
    if (l === app.eal.lcores.mainLcore) {
      out(`lcore ${l} cannot be masked on for running packet forwarding, which is the main lcore and reserved for command line parsing only`);
      return;
    }
  }
  const before = app.params.nbCores;
  app.params.fwdLcores = lcores;
  app.params.nbCores = lcores.length;
  if (before !== lcores.length) out(`previous number of forwarding cores ${before} - changed to number of configured cores ${lcores.length}`);
}

/** set coremask's value (a cmdline number: 0x... hexadecimal or decimal, 64 bits) as lcore ids; `Invalid NULL mask of cores` for 0. */
function coremask(w: string): number[] {
  if (!/^(0x[0-9a-f]{1,16}|\d{1,20})$/i.test(w)) throw new Error('Bad arguments');
  const mask = BigInt(w);
  if (mask >= 1n << 64n) throw new Error('Bad arguments');
  if (mask === 0n) throw new DpdkAnswer('Invalid NULL mask of cores', 'EINVAL');
  const ids: number[] = [];
  for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) ids.push(i);
  return ids;
}

/** `csum set` protocols: the tx offload bit and the names DPDK's lines use */
const CSUM_PROTOS: Record<string, { bit: number; name: string }> = {
  ip: { bit: TX_OFFLOAD.IPV4_CKSUM, name: 'IP' },
  udp: { bit: TX_OFFLOAD.UDP_CKSUM, name: 'UDP' },
  tcp: { bit: TX_OFFLOAD.TCP_CKSUM, name: 'TCP' },
  sctp: { bit: TX_OFFLOAD.SCTP_CKSUM, name: 'SCTP' },
  'outer-ip': { bit: TX_OFFLOAD.OUTER_IPV4_CKSUM, name: 'Outer IP' },
  'outer-udp': { bit: TX_OFFLOAD.OUTER_UDP_CKSUM, name: 'Outer UDP' },
};

/**
 * csum set ip|udp|tcp|sctp|outer-ip|outer-udp hw|sw P, csum show P (cmd_csum_parsed): on a
 * stopped port; hw only where the port's tx offload capabilities have it (else DPDK's
 * `IP checksum offload is not supported by port P`); the port is configured again at its next
 * start. csum parse-tunnel P on|off: dpkit's csum engine parses no tunnels.
 */
function csumCommand(app: Testpmd, words: string[], out: Output): void {
  const [, mode, proto, hwsw] = words;
  if (mode === 'parse-tunnel') {
    if (words.length !== 4 || (words[2] !== 'on' && words[2] !== 'off') || !/^\d+$/.test(words[3]!)) throw new Error('Bad arguments');
    const dev = app.portsOf(words[3]!, false)[0]!;
    if (words[2] === 'on') throw new DpkitError(`csum parse-tunnel: dpkit's csum engine does not parse tunnels (VXLAN, GENEVE, GTP, GRE, IP in IP): their inner and outer checksums are left as they are`, 'ENOTSUP');
    csumShow(app, dev.portId, out);
    return;
  }
  const set = mode === 'set' && words.length === 5 && CSUM_PROTOS[proto!] !== undefined && (hwsw === 'hw' || hwsw === 'sw');
  if (!set && !(mode === 'show' && words.length === 3)) throw new Error('Bad arguments');
  const which = words[words.length - 1]!;
  if (!/^\d+$/.test(which)) throw new Error('Bad arguments');
  let dev;
  try {
    dev = app.portsOf(which, false)[0]!;
  } catch {
    throw new DpdkAnswer(`Invalid port ${which}\ninvalid port ${which}`, 'ENODEV');
  }
  if (dev.started) {
    out(`Please stop port ${dev.portId} first`);
    return;
  }
  if (set) {
    const p = app.params;
    const { bit, name } = CSUM_PROTOS[proto!]!;
    let offloads = p.portTxOffloads.get(dev.portId) ?? p.txOffloads;
    if (hwsw === 'sw') offloads &= ~bit;
    else if (dev.info().txOffloadCapa & bit) offloads |= bit;
    else out(`${name} checksum offload is not supported by port ${dev.portId}`);
    p.portTxOffloads.set(dev.portId, offloads >>> 0);
  }
  csumShow(app, dev.portId, out);
  // cmd_reconfig_device_queue: configured again at its next start
  app.needReconfig.add(dev.portId);
}

/** csum_show: the port's checksum offloads as its next configure has them, and DPDK's warnings for hw the port lacks. */
function csumShow(app: Testpmd, port: number, out: Output): void {
  const p = app.params;
  const tx = p.portTxOffloads.get(port) ?? p.txOffloads;
  const hs = (bit: number) => (tx & bit ? 'hw' : 'sw');
  out([
    'Parse tunnel is off',
    `IP checksum offload is ${hs(TX_OFFLOAD.IPV4_CKSUM)}`,
    `UDP checksum offload is ${hs(TX_OFFLOAD.UDP_CKSUM)}`,
    `TCP checksum offload is ${hs(TX_OFFLOAD.TCP_CKSUM)}`,
    `SCTP checksum offload is ${hs(TX_OFFLOAD.SCTP_CKSUM)}`,
    `Outer-Ip checksum offload is ${hs(TX_OFFLOAD.OUTER_IPV4_CKSUM)}`,
    `Outer-Udp checksum offload is ${hs(TX_OFFLOAD.OUTER_UDP_CKSUM)}`,
  ].join('\n'));
  const capa = app.portsOf(String(port), false)[0]!.info().txOffloadCapa;
  for (const [bit, name] of [[TX_OFFLOAD.IPV4_CKSUM, 'IP'], [TX_OFFLOAD.UDP_CKSUM, 'UDP'], [TX_OFFLOAD.TCP_CKSUM, 'TCP'], [TX_OFFLOAD.SCTP_CKSUM, 'SCTP'],
    [TX_OFFLOAD.OUTER_IPV4_CKSUM, 'outer IP'], [TX_OFFLOAD.OUTER_UDP_CKSUM, 'outer UDP']] as const) {
    if (tx & bit && !(capa & bit)) out(`Warning: hardware ${name} checksum enabled but not supported by port ${port}`);
  }
}
