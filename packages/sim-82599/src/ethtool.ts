/**
 * dpkit-ethtool: ethtool's syntax and output for the emulated 82599, over its control channel
 * (device IFNAME in this network namespace). Built: -K IF ntuple on|off; -N|-U IF flow-type
 * tcp4|udp4|sctp4 [src-ip A [m M]] [dst-ip A [m M]] [src-port P [m M]] [dst-port P [m M]]
 * action N|-1 [loc L]; -N|-U IF flow-type ip4 [src-ip..] [dst-ip..] [l4proto N [m M]]
 * [l4data|spi V [m M]] action N|-1 [loc L]; -N|-U IF flow-type ether proto P action N [loc L]
 * (an EtherType filter: the emulated kernel side's deviation, Linux's ixgbe refuses ether); -N|-U IF delete L; -n|-u IF; -S IF; -l IF; -i IF; -x IF. Masks on the
 * command line are ethtool's: a 1 bit is ignored. Output as ethtool 6.1 prints it.
 */
import { ChannelClient } from './client.js';
import { channelName } from './channel.js';
import { AddonLoadError } from './native.js';

class UsageError extends Error {}

/** what -i reports as the driver version: this package's */
const VERSION = '0.1.0';

const STRERROR: Record<string, string> = {
  EOPNOTSUPP: 'Operation not supported',
  EINVAL: 'Invalid argument',
  ENOSPC: 'No space left on device',
  EIO: 'Input/output error',
};

function ipv4(text: string, what: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new UsageError(`Invalid ${what} value[${text}]`);
  return m.slice(1).reduce((a, x) => a * 256 + Number(x), 0);
}

function port(text: string, what: string): number {
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 0xFFFF)) throw new UsageError(`Invalid ${what} value[${text}]`);
  return v;
}

const dotted = (a: number) => [a >>> 24, (a >>> 16) & 0xFF, (a >>> 8) & 0xFF, a & 0xFF].join('.');

function u8(text: string, what: string): number {
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 0xFF)) throw new UsageError(`Invalid ${what} value[${text}]`);
  return v;
}

function be32(text: string, what: string): number {
  const v = /^0x[0-9a-f]{1,8}$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 0xFFFFFFFF)) throw new UsageError(`Invalid ${what} value[${text}]`);
  return v;
}

type Parse = (t: string, w: string) => number;
/** the options of each flow type (ethtool's rule_nfc_tcp_ip4 / rule_nfc_usr_ip4): the field, its parser, its full mask */
const PORTS: Record<string, [string, Parse, number]> = { 'src-port': ['sport', port, 0xFFFF], 'dst-port': ['dport', port, 0xFFFF] };
const ADDRS: Record<string, [string, Parse, number]> = { 'src-ip': ['src', ipv4, 0xFFFFFFFF], 'dst-ip': ['dst', ipv4, 0xFFFFFFFF] };
/** ip4's l4data and spi are the first 4 bytes of L4 (ports' place): source port in the high half */
const USER: Record<string, [string, Parse, number]> = { ...ADDRS, ...PORTS, l4proto: ['proto', u8, 0xFF], l4data: ['l4', be32, 0xFFFFFFFF], spi: ['l4', be32, 0xFFFFFFFF] };

/**
 * The options after `flow-type T` (from args[2]): each field of `fields` (with ethtool's `m M`,
 * 1 bits ignored) into `f` as [value, mask], `action`/`queue` and `loc`; `other` may refuse an
 * option in its own words before it is "unrecognized".
 */
function ruleOptions(args: string[], fields: Record<string, [string, Parse, number]>, f: Record<string, [number, number]>, other: (name: string) => void): { action: number; loc: number } {
  let action: number | undefined;
  let loc = -1;
  for (let i = 2; i < args.length; i++) {
    const name = args[i]!;
    const value = args[++i];
    if (value === undefined) throw new UsageError('Add rule, invalid syntax');
    const field = fields[name];
    if (field) {
      const [key, parse, full] = field;
      const v = parse(value, name);
      let mask = full;
      if (args[i + 1] === 'm' || args[i + 1] === `${name}-mask`) {
        const m = args[i + 2];
        if (m === undefined) throw new UsageError('Add rule, invalid syntax');
        mask = (~parse(m, `${name} mask`) & full) >>> 0; // ethtool's m: 1 bits are ignored
        i += 2;
      }
      f[key] = [v, mask];
    } else if (name === 'action' || name === 'queue') {
      if (!/^-?\d+$/.test(value)) throw new UsageError(`Invalid ${name} value[${value}]`);
      action = Number(value);
    } else if (name === 'loc') {
      if (!/^\d+$/.test(value)) throw new UsageError(`Invalid loc value[${value}]`);
      loc = Number(value);
    } else {
      other(name);
      throw new UsageError(`Add rule, unrecognized option[${name}]`);
    }
  }
  if (action === undefined) throw new UsageError('Add rule, invalid syntax: action N (a queue, or -1 to drop) is needed');
  return { action, loc };
}

/**
 * `-N IF flow-type ether proto P [m M] action N [loc L]`: an EtherType filter (ETQF/ETQS), which
 * compares the whole EtherType and nothing else, so src/dst (MAC addresses) are refused here.
 */
function etherRequest(args: string[]): string {
  const f: Record<string, [number, number]> = { proto: [0, 0] };
  const { action, loc } = ruleOptions(args, { proto: ['proto', port, 0xFFFF] }, f, (name) => {
    if (name === 'src' || name === 'dst') throw new UsageError(`${name} cannot be matched: the 82599's EtherType filters (ETQF) compare only the EtherType; leave it out`);
  });
  const [proto, protoMask] = f.proto!;
  return ['rule_ins', 'ether', 0, 0, 0, 0, 0, 0, 0, 0, action, loc, proto, protoMask].join(' ');
}

/** `-N IF flow-type ...` after IF: the channel's rule_ins request. */
export function ruleRequest(args: string[]): string {
  if (args[0] !== 'flow-type' || !args[1]) throw new UsageError('Add rule, invalid syntax');
  const flow = args[1];
  if (flow === 'ether') return etherRequest(args);
  if (!['tcp4', 'udp4', 'sctp4', 'ip4'].includes(flow)) {
    if (['ah4', 'esp4', 'ip6', 'tcp6', 'udp6', 'sctp6', 'ah6', 'esp6'].includes(flow)) throw new UsageError(`flow-type ${flow} is not built for this NIC yet (tcp4, udp4, sctp4, ip4, ether are)`);
    throw new UsageError(`Add rule, invalid rule type[${flow}]`);
  }
  const f = { src: [0, 0], dst: [0, 0], sport: [0, 0], dport: [0, 0], proto: [0, 0], l4: [0, 0] } as Record<string, [number, number]>;
  const fields = flow === 'ip4' ? USER : { ...ADDRS, ...PORTS };
  const { action, loc } = ruleOptions(args, fields, f, (name) => {
    if (name === 'tos') throw new UsageError('tos cannot be matched: the 82599\'s flow director has no TOS field (Linux\'s ixgbe ignores it); leave it out');
  });
  const [src, dst, proto, l4] = [f.src!, f.dst!, f.proto!, f.l4!];
  // l4data/spi and src-port/dst-port share the same 4 bytes, as in ethtool_usrip4_spec
  const sport = l4[1] ? [l4[0] >>> 16, l4[1] >>> 16] : f.sport!;
  const dport = l4[1] ? [l4[0] & 0xFFFF, l4[1] & 0xFFFF] : f.dport!;
  const request = ['rule_ins', flow, src[0], src[1], dst[0], dst[1], sport[0], sport[1], dport[0], dport[1], action, loc];
  return (flow === 'ip4' ? [...request, proto[0], proto[1]] : request).join(' ');
}

/** The rule list in ethtool -n's format, from the channel's `rules` reply. */
export function formatRules(reply: string): string {
  const [head, ...lines] = reply.split('\n');
  const rings = /rings=(\d+)/.exec(head ?? '')?.[1] ?? '0';
  let out = `${rings} RX rings available\nTotal ${lines.length} rules\n\n`;
  const type: Record<string, string> = { tcp4: 'TCP over IPv4', udp4: 'UDP over IPv4', sctp4: 'SCTP over IPv4', ip4: 'Raw IPv4' };
  for (const line of lines) {
    const [loc, flow, ...n] = line.split(' ');
    const [src, srcMask, dst, dstMask, sport, sportMask, dport, dportMask, action, etype] = n.map(Number) as number[];
    const to = action === -1 ? '\tAction: Drop\n\n' : `\tAction: Direct to queue ${action}\n\n`;
    if (flow === 'ether') {
      // ethtool's ETHER_FLOW lines (masks inverted: the EtherType compared, the MAC addresses not)
      const none = '00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF';
      out += `Filter: ${loc}\n\tFlow Type: Raw Ethernet\n\tSrc MAC addr: ${none}\n\tDest MAC addr: ${none}\n\tEthertype: 0x${etype!.toString(16).toUpperCase()} mask: 0x0\n${to}`;
      continue;
    }
    out += `Filter: ${loc}\n\tRule Type: ${type[flow!]}\n`;
    out += `\tSrc IP addr: ${dotted(src! & srcMask!)} mask: ${dotted(~srcMask! >>> 0)}\n`;
    out += `\tDest IP addr: ${dotted(dst! & dstMask!)} mask: ${dotted(~dstMask! >>> 0)}\n`;
    out += '\tTOS: 0x0 mask: 0xff\n';
    if (flow === 'ip4') {
      // ixgbe reports an ip4 rule's protocol as 0 under a zero mask (printed inverted: 0xff), its ports as the L4 bytes
      const l4 = (((sport! & sportMask!) << 16) | (dport! & dportMask!)) >>> 0, l4Mask = ~((sportMask! << 16) | dportMask!) >>> 0;
      out += `\tProtocol: 0 mask: 0xff\n\tL4 bytes: 0x${l4.toString(16)} mask: 0x${l4Mask.toString(16)}\n`;
    } else {
      out += `\tSrc port: ${sport! & sportMask!} mask: 0x${(~sportMask! & 0xFFFF).toString(16)}\n`;
      out += `\tDest port: ${dport! & dportMask!} mask: 0x${(~dportMask! & 0xFFFF).toString(16)}\n`;
    }
    out += to;
  }
  return out;
}

/** ethtool -x: the indirection table, 8 entries a line, then the key and the hash function. */
export function formatRss(ifname: string, rings: number, reply: string): string {
  const reta = (/reta=([\d,]+)/.exec(reply)?.[1] ?? '').split(',').map(Number);
  const key = (/key=([0-9a-f]+)/.exec(reply)?.[1] ?? '').match(/../g) ?? [];
  let out = `RX flow hash indirection table for ${ifname} with ${rings} RX ring(s):\n`;
  reta.forEach((q, i) => {
    if (i % 8 === 0) out += `${String(i).padStart(5)}: `;
    out += ` ${String(q).padStart(5)}`;
    if (i % 8 === 7 || i === reta.length - 1) out += '\n';
  });
  out += `RSS hash key:\n${key.join(':')}\n`;
  return `${out}RSS hash function:\n    toeplitz: on\n    xor: off\n    crc32: off\n`;
}

/** The one line for a failed connect: the addon's own line when it does not load, else no such device here. */
export function connectFailure(ifname: string, err: Error): string {
  if (err instanceof AddonLoadError) return err.message;
  return `no emulated 82599 ${ifname} in this network namespace (@${channelName(ifname)}: ${err.message.replace(/^.*: /, '')})`;
}

function connect(ifname: string): ChannelClient {
  try {
    return ChannelClient.connect(ifname);
  } catch (err) {
    throw new UsageError(connectFailure(ifname, err as Error));
  }
}

/** Runs one command; returns [stdout, stderr, exit status]. */
export function ethtool(argv: string[]): [string, string, number] {
  const [option, ifname, ...rest] = argv;
  try {
    if (!option || !ifname) throw new UsageError('usage: dpkit-ethtool -K|-N|-U|-n|-u IFNAME ...');
    if (option === '-K' || option === '--features' || option === '--offload') {
      if (rest.length !== 2 || rest[0] !== 'ntuple' || (rest[1] !== 'on' && rest[1] !== 'off')) throw new UsageError('only "ntuple on|off" can be changed on this NIC');
      const r = connect(ifname).request(`ntuple ${rest[1]}`);
      return r.ok ? ['', '', 0] : ['', `Cannot change ntuple-filters: ${STRERROR[r.text.split(' ')[0]!] ?? r.text}\n`, 1];
    }
    if (option === '-N' || option === '-U' || option === '--config-ntuple' || option === '--config-nfc') {
      if (rest[0] === 'delete') {
        if (rest.length !== 2 || !/^\d+$/.test(rest[1]!)) throw new UsageError('usage: dpkit-ethtool -N IFNAME delete LOC');
        const r = connect(ifname).request(`rule_del ${rest[1]}`);
        return r.ok ? ['', '', 0] : ['', `rmgr: Cannot delete RX class rule: ${STRERROR[r.text.split(' ')[0]!] ?? r.text}\nCannot delete classification rule\n`, 1];
      }
      const request = ruleRequest(rest);
      const r = connect(ifname).request(request);
      if (!r.ok) return ['', `rmgr: Cannot insert RX class rule: ${STRERROR[r.text.split(' ')[0]!] ?? r.text}\nCannot insert classification rule\n`, 1];
      return [request.split(' ')[11] === '-1' ? `Added rule with ID ${r.text}\n` : '', '', 0]; // LOC -1: the location was chosen
    }
    if (option === '-n' || option === '-u' || option === '--show-ntuple' || option === '--show-nfc') {
      if (rest.length) throw new UsageError('only the rule list (no "rule N" or "rx-flow-hash") is built for this NIC');
      const r = connect(ifname).request('rules');
      return [formatRules(`ok ${r.text}`), '', r.ok ? 0 : 1];
    }
    if (option === '-S' || option === '--statistics') {
      if (rest.length) throw new UsageError('usage: dpkit-ethtool -S IFNAME');
      const r = connect(ifname).request('stats');
      const lines = r.text.split(' ').map((kv) => kv.split('=')).map(([k, v]) => `     ${k}: ${v}\n`);
      return [`NIC statistics:\n${lines.join('')}`, '', r.ok ? 0 : 1];
    }
    if (option === '-l' || option === '--show-channels') {
      const r = connect(ifname).request('get_ifinfo');
      const k = Number(/kernel_queues=0-(\d+)/.exec(r.text)?.[1] ?? -1) + 1;
      const max = Number(/rx_queues=(\d+)/.exec(r.text)?.[1] ?? 0);
      const block = (combined: number) => `RX:\t\tn/a\nTX:\t\tn/a\nOther:\t\tn/a\nCombined:\t${combined}\n`;
      return [`Channel parameters for ${ifname}:\nPre-set maximums:\n${block(max)}Current hardware settings:\n${block(k)}`, '', 0];
    }
    if (option === '-i' || option === '--driver') {
      connect(ifname).request('get_ifinfo');
      return [`driver: ixgbe\nversion: ${VERSION}\nfirmware-version: \nexpansion-rom-version: \nbus-info: ${channelName(ifname)}\n` +
        'supports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\nsupports-register-dump: no\nsupports-priv-flags: no\n', '', 0];
    }
    if (option === '-x' || option === '--show-rxfh-indir' || option === '--show-rxfh') {
      const c = connect(ifname);
      const rings = Number(/rx_queues=(\d+)/.exec(c.request('get_ifinfo').text)?.[1] ?? 0);
      return [formatRss(ifname, rings, c.request('rss').text), '', 0];
    }
    throw new UsageError(`${option} is not built for this NIC (-K ntuple, -N, -U, -n, -u, -S, -l, -i, -x are)`);
  } catch (err) {
    if (err instanceof UsageError) return ['', `dpkit-ethtool: ${err.message}\n`, 1];
    throw err;
  }
}
