/**
 * dpkit-dumpcap's command line: DPDK 22.11 dpdk-dumpcap's options (getopt's
 * `a:b:c:dDf:ghi:nN:pPqs:vw:` and its long names) and their error messages, plus dpkit's
 * `--ifname`/`--ifdescr` (as later DPDK's), `--queue` and `--direction` (DPDK's dumpcap always
 * captures both directions of every queue). What dpkit-dumpcap cannot do (`-f` filters, `-d`,
 * `-P` pcap files, `-b` ring buffers) is refused in one line.
 */
import { DpkitError } from '@dpkit/eal';
import { DEFAULT_RECORDS, DEFAULT_SNAPLEN } from '@dpkit/eal/pdump';

export interface DumpcapOptions {
  help: boolean;
  version: boolean;
  listInterfaces: boolean;
  quiet: boolean;
  groupRead: boolean;
  promiscuous: boolean;
  filePrefix: string;
  /** -i: a port name, a port number or '*' */
  interface: string | undefined;
  output: string | undefined;
  snaplen: number;
  /** -N: records the capture ring holds (rounded up to a power of two) */
  ringSize: number;
  comment: string | undefined;
  ifname: string | undefined;
  ifdescr: string | undefined;
  /** -1 every queue */
  queue: number;
  rx: boolean;
  tx: boolean;
  stop: { packets: number; durationMs: number; sizeBytes: number };
}

const LONG: Record<string, string> = {
  autostop: 'a', 'capture-comment': 'capture-comment', 'file-prefix': 'file-prefix', help: 'h', interface: 'i',
  'list-interfaces': 'D', 'no-promiscuous-mode': 'p', 'output-file': 'w', 'ring-buffer': 'b', 'snapshot-length': 's',
  version: 'v', ifname: 'ifname', ifdescr: 'ifdescr', queue: 'queue', direction: 'direction',
};
const WITH_VALUE = new Set(['a', 'b', 'c', 'f', 'i', 'N', 's', 'w', 'capture-comment', 'file-prefix', 'ifname', 'ifdescr', 'queue', 'direction']);
const FLAGS = new Set(['d', 'D', 'g', 'h', 'n', 'p', 'P', 'q', 'v']);

/** get_uint: a number as strtoul(…, 0) reads it (decimal, 0x hex, 0 octal), whole */
function getUint(arg: string, name: string, limit = 0): number {
  const ok = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(arg);
  const u = !ok ? NaN : /^0x/i.test(arg) ? parseInt(arg, 16) : /^0[0-7]+$/.test(arg) ? parseInt(arg, 8) : Number(arg);
  if (!Number.isSafeInteger(u)) throw new DpkitError(`Specified ${name} "${arg}" is not a valid number`);
  if (limit && u > limit) throw new DpkitError(`Specified ${name} "${arg}" is too large (greater than ${limit})`);
  return u;
}

function autoStop(o: DumpcapOptions, arg: string): void {
  const colon = arg.indexOf(':');
  if (colon < 0) throw new DpkitError('Missing colon in auto stop parameter');
  const what = arg.slice(0, colon);
  const value = arg.slice(colon + 1);
  if (what === 'duration') {
    const s = Number(value);
    if (value === '' || !Number.isFinite(s) || s <= 0) throw new DpkitError(`Invalid duration "${value}"`);
    o.stop.durationMs = s * 1000;
  } else if (what === 'filesize') o.stop.sizeBytes = getUint(value, 'filesize') * 1024;
  else if (what === 'packets') o.stop.packets = getUint(value, 'packets');
  else throw new DpkitError(`Unknown autostop parameter "${what}"`);
}

export function parseDumpcapArgs(argv: readonly string[]): DumpcapOptions {
  const o: DumpcapOptions = {
    help: false, version: false, listInterfaces: false, quiet: false, groupRead: false, promiscuous: true, filePrefix: 'dpkit',
    interface: undefined, output: undefined, snaplen: DEFAULT_SNAPLEN, ringSize: DEFAULT_RECORDS, comment: undefined,
    ifname: undefined, ifdescr: undefined, queue: -1, rx: true, tx: true, stop: { packets: 0, durationMs: 0, sizeBytes: 0 },
  };
  // getopt: long options, and clusters of short ones (`-pq`, `-c5`, `-pc 5`)
  const items: [opt: string, value: string | undefined][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const opt = LONG[name];
      if (!opt) throw new DpkitError(`Invalid option: ${a} (dpkit-dumpcap --help lists the options)`);
      let value: string | undefined;
      if (eq >= 0) {
        if (!WITH_VALUE.has(opt)) throw new DpkitError(`option '--${name}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (WITH_VALUE.has(opt)) {
        value = argv[++i];
        if (value === undefined) throw new DpkitError(`option '${a}' requires an argument`);
      }
      items.push([opt, value]);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const opt = a[k]!;
        if (FLAGS.has(opt)) {
          items.push([opt, undefined]);
          continue;
        }
        if (!WITH_VALUE.has(opt)) throw new DpkitError(`Invalid option: -${opt} (dpkit-dumpcap --help lists the options)`);
        let value: string | undefined = a.slice(k + 1);
        if (value === '') {
          value = argv[++i];
          if (value === undefined) throw new DpkitError(`option '-${opt}' requires an argument`);
        }
        items.push([opt, value]);
        break;
      }
    } else {
      throw new DpkitError(`unexpected argument '${a}': dpkit-dumpcap takes options only (dpkit-dumpcap --help lists them)`);
    }
  }
  for (const [opt, value] of items) {
    const v = value!;
    switch (opt) {
      case 'a': autoStop(o, v); break;
      case 'b': throw new DpkitError('multiple files not implemented');
      case 'c': o.stop.packets = getUint(v, 'packet_count'); break;
      case 'd': throw new DpkitError('-d: dpkit-dumpcap has no capture filters (-f), so no BPF code to print');
      case 'D': o.listInterfaces = true; break;
      case 'f': throw new DpkitError('-f: capture filters are not supported by dpkit-dumpcap; capture everything and filter with tshark -Y');
      case 'g': o.groupRead = true; break;
      case 'h': o.help = true; break;
      case 'i': o.interface = v; break;
      case 'n': break; // pcapng: the only format
      case 'N': o.ringSize = getUint(v, 'packet_limit'); break;
      case 'p': o.promiscuous = false; break;
      case 'P': throw new DpkitError('-P: dpkit-dumpcap writes pcapng only (tshark and editcap -F pcap convert it)');
      case 'q': o.quiet = true; break;
      case 's': o.snaplen = getUint(v, 'snap_len'); break;
      case 'v': o.version = true; break;
      case 'w': o.output = v; break;
      case 'capture-comment': o.comment = v; break;
      case 'file-prefix': o.filePrefix = v; break;
      case 'ifname': o.ifname = v; break;
      case 'ifdescr': o.ifdescr = v; break;
      case 'queue': o.queue = v === '*' ? -1 : getUint(v, 'queue', 0xfffe); break;
      case 'direction':
        if (v !== 'rx' && v !== 'tx' && v !== 'rxtx') throw new DpkitError(`invalid --direction '${v}': use rx, tx or rxtx`);
        o.rx = v !== 'tx';
        o.tx = v !== 'rx';
        break;
    }
  }
  if (o.snaplen === 0) throw new DpkitError('Specified snap_len "0" is not valid: give at least 1 byte');
  if (o.ringSize === 0) throw new DpkitError('Specified packet_limit "0" is not valid: the ring must hold at least 1 packet');
  return o;
}

export function dumpcapUsage(progname: string): string {
  return `Usage: ${progname} [options] ...

Capture Interface:
  -i <interface>, --interface <interface>
                           name or port index of interface
  --ifname <name>          name to use in the capture file
  --ifdescr <description>
                           description to use in the capture file
  -s <snaplen>, --snapshot-length <snaplen>
                           packet snapshot length (def: ${DEFAULT_SNAPLEN})
  -p, --no-promiscuous-mode
                           don't capture in promiscuous mode
  -D, --list-interfaces    print list of interfaces and exit
  --queue <queue>|*        capture this queue only (def: all queues) [dpkit]
  --direction rx|tx|rxtx   capture received, sent or both (def: rxtx) [dpkit]
  -N <packets>             packets the capture ring holds per lcore (def: ${DEFAULT_RECORDS})

Stop conditions:
  -c <packet count>        stop after n packets (def: infinite)
  -a <autostop cond.> ..., --autostop <autostop cond.> ...
                           duration:NUM - stop after NUM seconds
                           filesize:NUM - stop this file after NUM kB
                            packets:NUM - stop after NUM packets
Output (files):
  -w <filename>            name of file to save (def: tempfile)
  -g                       enable group read access on the output file(s)
  -n                       use pcapng format (the only one)
  --capture-comment <comment>
                           add a capture comment to the output file

Miscellaneous:
  --file-prefix=<prefix>   prefix of the dpkit application (def: dpkit)
  -q                       don't report packet capture counts
  -v, --version            print version information and exit
  -h, --help               display this help and exit

Use Ctrl-C to stop capturing at any time.`;
}
