/**
 * testpmd's interactive command line: the commands of DPDK testpmd that dpkit implements,
 * with line editing and history (node:readline). A command that fails prints one line and the
 * prompt comes back; nothing is lost.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DpkitError, errorLine, parseMac, type EthDev } from '@dpkit/eal';
import { DpdkAnswer, type Output, type Testpmd } from './testpmd.js';
import { PORT_SUMMARY_HEAD, deviceInfo, offloadsCapabilities, offloadsConfiguration, portMacs, portSummaryLine, rxqInfo, strerror, txpktsConfig, txqInfo, xstats } from './display.js';
import { parseTestpmdArgs } from './params.js';
import { engineNames, retryEngineNames } from './fwd/registry.js';
import { fwdCommand } from './commands-fwd.js';
import { FLOW_HELP, flowCommand } from './flow.js';

export const PROMPT = 'testpmd> ';

const HELP_SECTIONS = `
Help is available for the following sections:

    help control                    : Start and stop forwarding.
    help display                    : Displaying port, stats and config information.
    help config                     : Configuration information.
    help ports                      : Configuring ports.
    help flow                       : Flow rules (rte_flow and ethtool ntuple).
    help all                        : All of the above sections.
`;

const HELP: Record<string, string> = {
  control: `
Control forwarding:
-------------------

start
    Start packet forwarding with current configuration.

start tx_first [N]
    Start packet forwarding with current configuration after sending N (default 1) bursts of packets.

stop
    Stop packet forwarding, and display accumulated statistics.

quit
    Quit to prompt.
`,
  display: `
Display:
--------

show port (info|stats|xstats) (port_id|all)
    Display information for port_id, or all.

show port summary (port_id|all)
    Display a summary of port_id, or all.

show port (port_id) macs
    Display the MAC addresses of port_id.

show port (port_id) (rx_offload|tx_offload) (capabilities|configuration)
    Display the offload capabilities or configuration of port_id.

show (rxq|txq) info (port_id) (queue_id)
    Display information for the queue.

show device info (device_name|all)
    Display information for a device, or all.

show fwd stats all
    Display statistics for all fwd engines.

clear port (stats|xstats) (port_id|all)
    Clear statistics or extended statistics for port_id, or all.

clear fwd stats all
    Clear the forward statistics.

show config (fwd|rxtx|cores|txpkts)
    Display the forwarding, rx/tx, lcore or txonly segment configuration.
`,
  config: `
Configuration:
--------------

set fwd (${engineNames().join('|')})
    Set packet forwarding mode.

set fwd (${retryEngineNames().join('|')}) retry
    Set packet forwarding mode with retry.

set burst tx delay (microseconds) retry (num)
    Set the wait between tx retries and their number, effective when retry is enabled.

set portlist (x[,y]*)
    Set the list of forwarding ports.

set corelist (x[,y]*)
    Set the list of forwarding cores.

set coremask (mask)
    Set the forwarding cores as a hexadecimal mask.

csum set (ip|udp|tcp|sctp|outer-ip|outer-udp) (hw|sw) (port_id)
    Compute the checksum in hardware or software in the csum forwarding engine (a stopped port; hw only where the port offers it).

csum show (port_id)
    Show the checksum offload configuration of a stopped port.

set burst (num)
    Set number of packets per burst.

set nbcore (num)
    Set number of cores.

set verbose (level)
    Set the debug verbosity level.

set nbport (num)
    Set number of forwarding ports.

set portmask (mask)
    Set the forwarding ports.

set eth-peer (port_id) (peer_addr)
    Set the peer MAC address of port_id.

set txpkts (x[,y]*)
    Set the segment lengths of txonly packets.

set (promisc|allmulti) (port_id|all) (on|off)
    Set promiscuous or all-multicast mode.

set link-up|link-down port (port_id)
    Set the link up or down (dpkit's drivers cannot).

set xstats-hide-zero (on|off)
    Hide the zero extended statistics.

mac_addr (add|remove|set) (port_id) (XX:XX:XX:XX:XX:XX)
    Add, remove or set the MAC address of port_id (dpkit's ports have one).

load (filename)
    Run the commands of a file.
`,
  flow: FLOW_HELP,
  ports: `
Port Operations:
----------------

port start (port_id|all)
    Start all ports or port_id.

port stop (port_id|all)
    Stop all ports or port_id.

port close (port_id|all)
    Close all ports or port_id.

port attach (identifier)
    Attach physical or virtual dev by pci address or virtual device name

port detach (port_id)
    Detach physical or virtual dev by port_id

port reset (port_id|all)
    Reset all ports or port_id.

port config all (rxq|txq|rxd|txd|max-pkt-len) (value)
    Set the number of queues, descriptors or the maximum frame length (ports stopped).

port config mtu (port_id) (value)
    Set the MTU of port_id.

port (port_id) (rxq|txq) (queue_id) (start|stop)
    Start or stop a queue.
`,
};

/** Runs one command line; returns false when the line asks to quit. */
export async function runCommand(app: Testpmd, line: string, out: Output): Promise<boolean> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const [a, b, c, d] = words;
  const want = (n: number) => {
    if (words.length !== n) throw new Error('Bad arguments');
  };
  switch (a) {
    case 'quit':
    case 'exit':
      return false;
    case 'help':
      if (!b) out(HELP_SECTIONS);
      else if (b === 'all') out(Object.values(HELP).join(''));
      else if (HELP[b]) out(HELP[b]!);
      else throw new Error('Bad arguments');
      return true;
    case 'start':
      if (!b) await app.start(0);
      else if (b === 'tx_first' && words.length <= 3) {
        const n = c === undefined ? 1 : Number(c);
        if (!Number.isInteger(n) || n < 1) throw new Error(`invalid tx_first count '${c}': expected a positive integer`);
        await app.start(n);
      } else throw new Error('Bad arguments');
      return true;
    case 'stop':
      want(1);
      await app.stop();
      return true;
    case 'show':
      if (b === 'port' && c === 'summary' && d && words.length === 4) showPortSummary(app, d, out);
      else if (b === 'port' && d === 'macs' && words.length === 4) out(portMacs([validPort(app, c!).mac]));
      else if (b === 'port' && (d === 'rx_offload' || d === 'tx_offload') && words.length === 5) showOffloads(app, c!, d, words[4]!, out);
      else if (b === 'port' && c && d && words.length === 4) {
        if (c === 'info') await app.showPortInfo(d);
        else if (c === 'stats') app.showPortStats(d);
        else if (c === 'xstats') showPortXstats(app, d, out);
        else throw new Error('Bad arguments');
      } else if ((b === 'rxq' || b === 'txq') && c === 'info' && words.length === 5) showQueueInfo(app, b, d!, words[4]!, out);
      else if (b === 'device' && c === 'info' && d && words.length === 4) showDeviceInfo(app, d, out);
      else if (b === 'config' && c === 'fwd' && words.length === 3) app.showConfigFwd();
      else if (b === 'config' && c === 'rxtx' && words.length === 3) app.showRxTxConfig();
      else if (b === 'config' && c === 'cores' && words.length === 3) out(`List of forwarding lcores:${app.fwdConfig().lcores.map((l) => ` ${String(l).padStart(2)}`).join('')}`);
      else if (b === 'config' && c === 'txpkts' && words.length === 3) out(txpktsConfig(app.params.txpkts));
      else if (b === 'fwd' && c === 'stats' && d === 'all' && words.length === 4) app.showFwdStats();
      else throw new Error('Bad arguments');
      return true;
    case 'clear':
      if (b === 'port' && c === 'stats' && d && words.length === 4) app.clearPortStats(d);
      // as DPDK's: silent
      else if (b === 'port' && c === 'xstats' && d && words.length === 4) for (const dev of app.portsOf(d)) dev.xstatsReset();
      else if (b === 'fwd' && c === 'stats' && d === 'all' && words.length === 4) app.clearFwdStats();
      else throw new Error('Bad arguments');
      return true;
    case 'csum':
      await fwdCommand(app, words, out);
      return true;
    case 'set':
      if (await fwdCommand(app, words, out)) return true;
      if (await setMore(app, words, out)) return true;
      want(3);
      if (b === 'fwd') app.setFwd(c!);
      else if (b === 'burst') app.setBurst(Number(c));
      else if (b === 'nbcore') app.setNbCore(Number(c));
      else if (b === 'verbose') setVerbose(app, c!, out);
      else throw new Error('Bad arguments');
      return true;
    case 'flow':
      flowCommand(app, words, out);
      return true;
    case 'load':
      if (words.length !== 2) throw new Error('Bad arguments');
      return loadFile(app, b!, out);
    case 'mac_addr':
      await macAddr(app, words);
      return true;
    case 'port':
      if (words.length === 5 && (c === 'rxq' || c === 'txq')) {
        await queueStartStop(app, b!, c, d!, words[4]!, out);
        return true;
      }
      if (words.length < 3) throw new Error('Bad arguments');
      if (b === 'config' && words.length === 5) await portConfig(app, words, out);
      else if (b === 'reset' && words.length === 3) await portReset(app, c!, out);
      else if (b === 'attach') await app.portAttach(words.slice(2).join(' '));
      else if (words.length !== 3) throw new Error('Bad arguments');
      else if (b === 'start') await app.portStart(c!);
      else if (b === 'stop') await app.portStop(c!);
      else if (b === 'close') await app.portClose(c!);
      else if (b === 'detach') await app.portDetach(c!);
      else throw new Error('Bad arguments');
      return true;
    default:
      throw new Error('Command not found');
  }
}

/** set verbose N (a uint16, as DPDK's cmdline parses it): dumps on the forwarding lcores from their next burst */
function setVerbose(app: Testpmd, level: string, out: Output): void {
  if (!/^\d+$/.test(level) || Number(level) > 0xffff) throw new Error('Bad arguments');
  if (!app.observers) throw new DpkitError('set verbose: the ports are not set up yet');
  out(app.observers.setVerbose(Number(level)));
}

/** The open port named by `which`, or DPDK's `Invalid port N` (port_id_is_invalid). */
function validPort(app: Testpmd, which: string): EthDev {
  if (!/^\d+$/.test(which)) throw new Error('Bad arguments');
  const dev = app.openPorts().find((d) => d.portId === Number(which));
  if (!dev) throw new DpdkAnswer(`Invalid port ${which}`, 'ENODEV');
  return dev;
}

/**
 * The port for an ethdev call that DPDK's testpmd makes without checking the port first: an
 * unknown one is ethdev's `Invalid port_id=N` then the command's own failure line with
 * `No such device` (`fail` gives that line for the message).
 */
function ethdevPort(app: Testpmd, which: string, fail: (why: string) => string): EthDev {
  if (!/^\d+$/.test(which)) throw new Error('Bad arguments');
  const dev = app.openPorts().find((d) => d.portId === Number(which));
  if (!dev) throw new DpdkAnswer(`Invalid port_id=${which}\n${fail('No such device')}`, 'ENODEV');
  return dev;
}

/** show port summary all|N (port_summary_header_display, port_summary_display) */
function showPortSummary(app: Testpmd, which: string, out: Output): void {
  if (which !== 'all' && !/^\d+$/.test(which)) throw new Error('Bad arguments');
  out(`Number of available ports: ${app.openPorts().length}\n${PORT_SUMMARY_HEAD}`);
  for (const dev of app.portsOf(which)) out(portSummaryLine(dev));
}

/**
 * show rxq|txq info P Q: the queue as testpmd set it up (its pool, the --rxfreet/--txfreet/--txrst
 * thresholds, descriptors, state); a queue or port that is not there is DPDK's failure lines.
 */
function showQueueInfo(app: Testpmd, kind: 'rxq' | 'txq', port: string, queue: string, out: Output): void {
  if (!/^\d+$/.test(port) || !/^\d+$/.test(queue)) throw new Error('Bad arguments');
  const rx = kind === 'rxq';
  const fail = (pre: string, why: string, errno: number) =>
    new DpdkAnswer(`${pre}Failed to retrieve information for port: ${port}, ${rx ? 'RX' : 'TX'} queue: ${queue}\nerror desc: ${why}(-${errno})`, 'EINVAL');
  const dev = app.openPorts().find((d) => d.portId === Number(port));
  if (!dev) throw fail(`Invalid port_id=${port}\n`, 'No such device', ERRNO.ENODEV!);
  const q = Number(queue);
  if (q >= (rx ? dev.nbRxQueues : dev.nbTxQueues)) throw fail(`Invalid ${rx ? 'Rx' : 'Tx'} queue_id=${q}\n`, 'Invalid argument', ERRNO.EINVAL!);
  const { nbDesc, state } = dev.queueInfo(rx ? 'rx' : 'tx', q);
  const p = app.params;
  if (rx) out(rxqInfo(dev.portId, q, dev.queueDescriptor('rx', q).pool?.name ?? 'NULL', p.rxFreeThresh, nbDesc, state));
  else out(txqInfo(dev.portId, q, p.txRsThresh, p.txFreeThresh, nbDesc, state));
}

/** show device info all|NAME: each device that has open ports, in port order; a name that is no device's prints nothing */
function showDeviceInfo(app: Testpmd, which: string, out: Output): void {
  const ports = app.openPorts();
  const devices = [...new Set(ports.map((p) => p.device))].filter((dev) => which === 'all' || dev.name === which);
  for (const dev of devices) out(deviceInfo(dev, ports.filter((p) => p.device === dev)));
}

/** `set xstats-hide-zero on|off`, per testpmd instance */
const hideZero = new WeakSet<Testpmd>();

function showPortXstats(app: Testpmd, which: string, out: Output): void {
  const hide = hideZero.has(app);
  for (const d of app.portsOf(which)) out(xstats(d.portId, hide ? d.xstatsGet().filter((x) => x.value !== 0) : d.xstatsGet()));
}

/** show port P rx_offload|tx_offload capabilities|configuration */
function showOffloads(app: Testpmd, which: string, kind: 'rx_offload' | 'tx_offload', what: string, out: Output): void {
  if (what !== 'capabilities' && what !== 'configuration') throw new Error('Bad arguments');
  const dev = ethdevPort(app, which, (why) => `Error during getting device (port ${which}) info: ${why}`);
  const rx = kind === 'rx_offload';
  if (what === 'capabilities') out(offloadsCapabilities(rx, dev.portId, rx ? dev.info().rxOffloadCapa : dev.info().txOffloadCapa));
  else {
    const port = (rx ? dev.conf.rxmode?.offloads : dev.conf.txmode?.offloads) ?? 0;
    out(offloadsConfiguration(rx, dev.portId, port, rx ? dev.nbRxQueues : dev.nbTxQueues));
  }
}

const onOffWord = (w: string | undefined): boolean => {
  if (w === 'on') return true;
  if (w === 'off') return false;
  throw new Error('Bad arguments');
};

/** The `set` commands beyond fwd/burst/nbcore; false when the line is not one of them. */
async function setMore(app: Testpmd, words: string[], out: Output): Promise<boolean> {
  const [, b, c, d] = words;
  const want = (n: number) => {
    if (words.length !== n) throw new Error('Bad arguments');
  };
  switch (b) {
    case 'promisc':
    case 'allmulti': {
      want(4);
      const on = onOffWord(d);
      const what = b === 'promisc' ? 'promiscuous' : 'all-multicast';
      const fail = (port: number | string, why: string) => `Error during ${on ? 'enabling' : 'disabling'} ${what} mode for port ${port}: ${why}`;
      const ports = c === 'all' ? app.openPorts() : [ethdevPort(app, c!, (why) => fail(c!, why))];
      for (const dev of ports) {
        try {
          if (b === 'promisc') await dev.promiscuousSet(on);
          else await dev.allmulticastSet(on);
        } catch (err) {
          out(fail(dev.portId, strerror(err)));
        }
      }
      return true;
    }
    case 'link-up':
    case 'link-down': {
      // dpkit's drivers have no dev_set_link_up/down: DPDK's failure, as for a PMD without them
      want(4);
      if (c !== 'port') throw new Error('Bad arguments');
      const fail = `\nSet link ${b === 'link-up' ? 'up' : 'down'} fail.`;
      ethdevPort(app, d!, () => fail);
      out(fail);
      return true;
    }
    case 'nbport': {
      want(3);
      if (!/^\d+$/.test(c!)) throw new Error('Bad arguments');
      const n = Number(c);
      const cfg = app.openPorts().length;
      if (n > cfg) {
        out(`nb fwd ports ${n} > ${cfg} (number of configured ports) - ignored`);
        return true;
      }
      app.params.nbPorts = n;
      out(`Number of forwarding ports set to ${n}`);
      if (app.params.topology === 'paired' && n % 2 === 1) {
        out('\nWarning! port-topology=paired and odd forward ports number, the last port will pair with itself.\n');
      }
      return true;
    }
    case 'portmask': {
      want(3);
      if (!/^(0x)?[0-9a-f]+$/i.test(c!)) throw new Error('Bad arguments');
      const mask = Number.parseInt(c!.replace(/^0x/i, ''), 16);
      if (mask === 0) {
        out('Invalid NULL mask of ports');
        return true;
      }
      // as DPDK's set_fwd_ports_mask: the forwarding ports are those of the mask
      app.params.portmask = mask;
      app.params.nbPorts = undefined;
      return true;
    }
    case 'eth-peer': {
      want(4);
      if (!/^\d+$/.test(c!) || !parseMac(d!)) throw new Error('Bad arguments');
      if (!app.openPorts().some((p) => p.portId === Number(c))) {
        out(`Error: Invalid port number ${c}`);
        return true;
      }
      app.params.ethPeers.set(Number(c), parseMac(d!)!);
      return true;
    }
    case 'txpkts': {
      want(3);
      const parts = c!.split(',');
      if (!parts.every((x) => /^\d+$/.test(x))) throw new Error('Bad arguments');
      const total = parts.reduce((a, x) => a + Number(x), 0);
      if (total < 42) {
        out(`total packet length=${total} < 42 - give up`);
        return true;
      }
      // the same checks as --txpkts (segment lengths 1 to 65535)
      app.params.txpkts = parseTestpmdArgs([`--txpkts=${c}`]).txpkts;
      return true;
    }
    case 'xstats-hide-zero':
      want(3);
      if (onOffWord(c)) hideZero.add(app);
      else hideZero.delete(app);
      return true;
    default:
      return false;
  }
}

/** mac_addr add|remove|set P MAC: dpkit's ports have one address, which `set` changes */
async function macAddr(app: Testpmd, words: string[]): Promise<void> {
  const [, b, c, d] = words;
  if (words.length !== 4 || !['add', 'remove', 'set'].includes(b!) || !/^\d+$/.test(c!)) throw new Error('Bad arguments');
  const mac = parseMac(d!);
  if (!mac) throw new Error('Bad arguments');
  const dev = ethdevPort(app, c!, (why) => `mac_addr_cmd error: (${why})`);
  try {
    if (b !== 'set') throw new DpkitError(`${dev.driverName} ports have one MAC address`, 'ENOTSUP');
    await dev.macAddrSet(mac);
  } catch (err) {
    throw new DpdkAnswer(`mac_addr_cmd error: (${strerror(err)})`, 'EINVAL');
  }
}

/** port P rxq|txq Q start|stop (cmd_config_rxtx_queue) */
async function queueStartStop(app: Testpmd, port: string, kind: 'rxq' | 'txq', queue: string, op: string, out: Output): Promise<void> {
  if (!/^\d+$/.test(queue) || (op !== 'start' && op !== 'stop')) throw new Error('Bad arguments');
  const dev = validPort(app, port);
  if (!dev.started) {
    out(`Please start port ${dev.portId} first`);
    return;
  }
  const q = Number(queue);
  const nb = kind === 'rxq' ? dev.nbRxQueues : dev.nbTxQueues;
  if (q >= nb) {
    out(`Invalid ${kind === 'rxq' ? 'RX' : 'TX'} queue ${q} (must be < nb_${kind}=${nb})`);
    return;
  }
  const k = kind === 'rxq' ? 'rx' : 'tx';
  try {
    if (op === 'start') await dev.queueStart(k, q);
    else await dev.queueStop(k, q);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOTSUP') out('Function not supported in PMD');
    else throw err;
  }
}

/**
 * The command words for tab completion: each line a command, `a|b` the words a position takes,
 * `<...>` a value (a number, a MAC...) that is not completed.
 */
const GRAMMAR = (): string[][] => [
  'start tx_first', 'stop', 'quit', 'help control|display|config|ports|flow|all',
  'show port info|stats|xstats|summary all', 'show port <port> macs', 'show port <port> rx_offload|tx_offload capabilities|configuration',
  'show config fwd|rxtx|cores|txpkts', 'show device info all', 'show rxq|txq info', 'show fwd stats all', 'clear port stats|xstats all', 'clear fwd stats all',
  `set fwd ${engineNames().join('|')}`, `set fwd ${retryEngineNames().join('|')} retry`, 'set burst tx delay <us> retry', 'set burst|nbcore|nbport|portmask|portlist|corelist|coremask|txpkts|eth-peer',
  'csum set ip|udp|tcp|sctp|outer-ip|outer-udp hw|sw', 'csum show|parse-tunnel', 'set promisc|allmulti all on|off',
  'set promisc|allmulti <port> on|off', 'set link-up|link-down port', 'set xstats-hide-zero on|off',
  'set verbose <level>',
  'port start|stop|close|reset all', 'port attach|detach', 'port config all rxq|txq|rxd|txd|max-pkt-len', 'port config mtu', 'load', 'port <port> rxq|txq <queue> start|stop', 'mac_addr add|remove|set',
  'flow validate|create|destroy|flush|query|list|isolate|ntuple',
].map((l) => l.split(' '));

/**
 * readline's completer: the words that can come where the cursor is, given the words before
 * it (`show po` → `port `; `show port ` → `info stats summary xstats`).
 */
export function complete(line: string): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const last = words.pop() ?? '';
  const hits = new Set<string>();
  for (const rule of GRAMMAR()) {
    if (rule.length <= words.length) continue;
    const fits = words.every((w, i) => rule[i]!.startsWith('<') || rule[i]!.split('|').includes(w));
    if (!fits || rule[words.length]!.startsWith('<')) continue;
    for (const w of rule[words.length]!.split('|')) if (w.startsWith(last)) hits.add(w);
  }
  // one word that fits is completed with the space after it, as DPDK's command line does
  return [hits.size === 1 ? [`${[...hits][0]} `] : [...hits].sort(), last];
}

/**
 * port config all rxq|txq|rxd|txd N (stopped ports; every port is configured again at its
 * next start, as DPDK's need_reconfig), port config all max-pkt-len N (stopped ports; the MTU
 * for that frame length, set at once) and port config mtu P N (rte_eth_dev_set_mtu at once).
 */
async function portConfig(app: Testpmd, words: string[], out: Output): Promise<void> {
  const [, , c, d, e] = words;
  if (!/^\d+$/.test(e!)) throw new Error('Bad arguments');
  const n = Number(e);
  if (c === 'mtu') {
    const dev = validPort(app, d!);
    try {
      await dev.mtuSet(n);
    } catch (err) {
      out(`Set MTU failed. diag=-${ERRNO[(err as { code?: string }).code ?? ''] ?? ERRNO.EINVAL}`);
    }
    return;
  }
  if (c !== 'all' || !['rxq', 'txq', 'rxd', 'txd', 'max-pkt-len'].includes(d!)) throw new Error('Bad arguments');
  const ports = app.openPorts();
  if (ports.some((p) => p.started)) {
    out('Please stop all ports first');
    return;
  }
  if (d === 'max-pkt-len') {
    if (n < 64) {
      out('max-pkt-len can not be less than 64');
      return;
    }
    // the MTU for that frame length (update_mtu_from_frame_size), set at once: the frame less
    // the Ethernet header and CRC (18; dpkit's drivers add no other overhead)
    for (const dev of ports) {
      try {
        await dev.mtuSet(n - 18);
      } catch (err) {
        out(`Set MTU failed. diag=-${ERRNO[(err as { code?: string }).code ?? ''] ?? ERRNO.EINVAL}`);
      }
    }
    return;
  }
  const p = app.params;
  for (const dev of ports) {
    const info = dev.info();
    if (d === 'rxq' || d === 'txq') {
      const max = d === 'rxq' ? info.maxRxQueues : info.maxTxQueues;
      if (n > max) {
        out(`Fail: input ${d} (${n}) can't be greater than max_${d === 'rxq' ? 'rx' : 'tx'}_queues (${max}) of port ${dev.portId}`);
        return;
      }
    } else {
      const lim = d === 'rxd' ? info.rxDescLimits : info.txDescLimits;
      if (n > lim.max) {
        out(`Fail: input ${d} (${n}) can't be greater than max_${d}s (${lim.max}) of port ${dev.portId}`);
        return;
      }
      if (n < lim.min) {
        out(`Fail: input ${d} (${n}) can't be less than min_${d}s (${lim.min}) of port ${dev.portId}`);
        return;
      }
    }
  }
  // dpkit-testpmd polls every rx queue and sends on tx queue q % txq: it needs one of each
  if ((d === 'rxq' || d === 'txq') && n === 0) throw new DpkitError(`invalid ${d} 0: dpkit-testpmd forwards with at least one rx and one tx queue per port`);
  if (d === 'rxq') p.rxq = n;
  else if (d === 'txq') p.txq = n;
  else if (d === 'rxd') p.rxd = n;
  else p.txd = n;
  for (const dev of ports) app.needReconfig.add(dev.portId);
}

/** errno numbers of the codes dpkit's errors carry, as DPDK prints `diag=-95` */
const ERRNO: Record<string, number> = { EPERM: 1, EIO: 5, ENOMEM: 12, EBUSY: 16, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ENOTSUP: 95 };

/** port reset all|N (reset_port): stopped ports only; a port reset is configured again at its next start */
async function portReset(app: Testpmd, which: string, out: Output): Promise<void> {
  const ports = app.portsOf(which, false);
  if (ports.some((d) => d.started)) {
    out('Can not reset port(s), please stop port(s) first.');
    return;
  }
  out('Resetting ports...');
  for (const dev of ports) {
    try {
      await dev.reset();
    } catch (err) {
      const code = (err as { code?: string }).code;
      out(`Failed to reset port ${dev.portId}. diag=-${ERRNO[code ?? ''] ?? ERRNO.EINVAL}`);
    }
  }
  out('Done');
}

/**
 * load FILE (cmdline_file_new): runs the file's commands as if typed, without echoing them,
 * each failure one line as at the prompt; then `Read CLI commands from FILE`. A `quit` in the
 * file quits testpmd.
 */
async function loadFile(app: Testpmd, file: string, out: Output): Promise<boolean> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    out(`Failed to create file based cmdline context: ${file}`);
    return true;
  }
  for (const line of text.split('\n')) {
    if (!(await runLine(app, line, out))) return false;
  }
  out(`Read CLI commands from ${file}`);
  return true;
}

/** Runs one line as the prompt does: a failure is printed (DPDK's answer whole, anything else in one line). */
export async function runLine(app: Testpmd, line: string, out: Output): Promise<boolean> {
  try {
    return await runCommand(app, line, out);
  } catch (err) {
    out(err instanceof DpdkAnswer ? err.message : errorLine(err));
    return true;
  }
}

/** The prompt loop. Resolves when the user quits or input ends. */
export async function interactive(app: Testpmd, out: Output): Promise<void> {
  const tty = !!process.stdin.isTTY;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, prompt: PROMPT, historySize: 1000, terminal: tty, completer: complete });
  // a forwarding lcore that failed printed its line and the statistics meanwhile: prompt again
  if (tty) app.onForwardingFailed = () => rl.prompt();
  if (tty) rl.prompt();
  else process.stdout.write(PROMPT);
  try {
    for await (const line of rl) {
      // DPDK's command line echoes what it reads; readline does only on a terminal
      if (!tty) process.stdout.write(`${line}\n`);
      if (!(await runLine(app, line, out))) break;
      if (tty) rl.prompt();
      else process.stdout.write(PROMPT);
    }
  } finally {
    rl.close();
  }
}
