/**
 * dpkit-sim-82599 IFNAME (--wire NETDEV | --loopback | --generator [FLOWS,SIZE]) [--kernel-queues K]
 *
 * Runs one emulated 82599 in the foreground until SIGINT/SIGTERM: its kernel side is the TAP
 * netdev IFNAME, its wire the netdev NETDEV (or MAC loopback). Prints one "ready" line on
 * stdout when the device is up. Bad input: one line on stderr, exit 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ControlChannel, channelName } from './channel.js';
import { Sim82599 } from './device.js';
import { kernelSideUp } from './kernel.js';
import { DEV_ID_82599_SFP, INTEL_VENDOR_ID, RX_QUEUES } from '@dpkit/ixgbe-defs/regs';

const USAGE = 'usage: dpkit-sim-82599 IFNAME (--wire NETDEV | --loopback | --generator [FLOWS,SIZE]) [--kernel-queues K]';

class UsageError extends Error {}

export interface SimOptions {
  ifname: string;
  /** undefined: MAC loopback (or the generator) */
  wire: string | undefined;
  /** generator mode: flows and frame size */
  generator: { flows: number; size: number } | undefined;
  kernelQueues: number;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

function netdevName(what: string, name: string): string {
  if (!/^[^\s/:]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`${what} "${name}" is not a netdev name (1-15 characters, no spaces, '/' or ':')`);
  }
  return name;
}

/** Parses the command line; throws UsageError with the one line to print. */
export function parseArgs(argv: string[]): SimOptions | 'help' {
  let ifname: string | undefined;
  let wire: string | undefined;
  let mode: string | undefined;
  let generator: SimOptions['generator'];
  let kernelQueues = 32;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const setMode = (m: string) => {
      if (mode) throw new UsageError(`${mode} and ${m} both given; choose one wire mode`);
      mode = m;
    };
    if (flag === '-h' || flag === '--help') return 'help';
    else if (flag === '--wire') { setMode('--wire'); wire = netdevName('--wire', value()); }
    else if (flag === '--loopback') setMode('--loopback');
    else if (flag === '--generator') {
      setMode('--generator');
      generator = { flows: 1024, size: 64 };
      const v = inline ?? (/^\d+,\d+$/.test(argv[i + 1] ?? '') ? argv[++i] : undefined);
      if (v !== undefined) {
        const m = /^(\d+),(\d+)$/.exec(v);
        const [flows, size] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
        if (!(flows >= 1 && flows <= 65536 && size >= 60 && size <= 1514)) throw new UsageError(`--generator ${v}: give FLOWS,SIZE with 1-65536 flows and 60-1514 bytes (CRC excluded)`);
        generator = { flows, size };
      }
    }
    else if (flag === '--kernel-queues') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) >= RX_QUEUES) throw new UsageError(`--kernel-queues ${v}: give a number of queues from 1 to ${RX_QUEUES - 1}`);
      kernelQueues = Number(v);
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
    else if (ifname) throw new UsageError(`unexpected argument "${arg}" (IFNAME is ${ifname} already)`);
    else ifname = netdevName('IFNAME', arg);
  }
  if (!ifname) throw new UsageError('IFNAME missing: the name of the TAP netdev to create as the NIC\'s kernel interface');
  if (!mode) throw new UsageError('no wire mode: give --wire NETDEV, --loopback or --generator');
  if (wire === ifname) throw new UsageError(`--wire ${wire} is IFNAME itself; the wire must be another netdev`);
  return { ifname, wire, kernelQueues, generator };
}

/** The one line for an error of attach (its .code is the errno name). */
function attachError(o: SimOptions, err: Error & { code?: string }): string {
  const onWire = o.wire !== undefined && err.message.startsWith(`the wire ${o.wire}`);
  if (err.code === 'EPERM' || err.code === 'EACCES') return `${onWire ? `opening the wire ${o.wire}` : `creating the TAP ${o.ifname}`} needs root or CAP_NET_ADMIN (${err.code})`;
  if (onWire && err.code === 'ENODEV') return `no netdev ${o.wire} in this network namespace for --wire`;
  if (!onWire && err.code === 'ENOENT') return '/dev/net/tun is missing; the kernel needs TUN/TAP support (modprobe tun)';
  return `${err.message}${err.code ? ` (${err.code})` : ''}`;
}

export function run(argv: string[]): void {
  let o: SimOptions | 'help';
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dpkit-sim-82599: ${err.message}\n`);
    process.exit(1);
  }
  if (o === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (existsSync(`/sys/class/net/${o.ifname}`)) {
    process.stderr.write(`dpkit-sim-82599: a netdev ${o.ifname} exists already; choose another IFNAME or delete it (ip link del ${o.ifname})\n`);
    process.exit(1);
  }
  let nic: Sim82599;
  try {
    nic = new Sim82599();
  } catch (err) {
    process.stderr.write(`dpkit-sim-82599: ${(err as Error).message}\n`);
    process.exit(1);
  }
  try {
    nic.attach(o.ifname, o.kernelQueues, o.wire);
    if (o.generator) nic.generator(o.generator.flows, o.generator.size);
  } catch (err) {
    nic.close();
    process.stderr.write(`dpkit-sim-82599: ${attachError(o, err as Error)}\n`);
    process.exit(1);
  }
  kernelSideUp(nic, o.kernelQueues);
  nic.start();
  const sysfs = (what: string) => readFileSync(`/sys/class/net/${o.ifname}/${what}`, 'utf8').trim();
  const mac = sysfs('address');
  let channel: ControlChannel;
  try {
    channel = new ControlChannel(nic, { ifname: o.ifname, kernelQueues: o.kernelQueues, ifinfo: () => ({ mac: sysfs('address'), mtu: Number(sysfs('mtu')) }) });
  } catch (err) {
    nic.close();
    process.stderr.write(`dpkit-sim-82599: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = () => {
    clearInterval(keepAlive);
    channel.close();
    nic.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  process.stdout.write(`dpkit-sim-82599: ${o.ifname} ready (${hex4(INTEL_VENDOR_ID)}:${hex4(DEV_ID_82599_SFP)}, MAC ${mac}, kernel queues 0-${o.kernelQueues - 1}, wire ${o.wire ?? (o.generator ? `generator (${o.generator.flows} flows, ${o.generator.size} bytes)` : 'loopback')}, control @${channelName(o.ifname)})\n`);
}
