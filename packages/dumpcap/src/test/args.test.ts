/**
 * dpkit-dumpcap's options as dpdk-dumpcap 22.11 parses them (getopt short and long forms,
 * strtoul numbers, -a conditions) and its error messages; what dpkit-dumpcap cannot do is
 * refused by name.
 */
import test from 'ava';
import { parseDumpcapArgs } from '../args.js';

test('defaults are dpdk-dumpcap\'s: every queue, both directions, snaplen 2176, ring 2048, promiscuous', (t) => {
  const o = parseDumpcapArgs([]);
  t.like(o, { filePrefix: 'dpkit', interface: undefined, snaplen: 2176, ringSize: 2048, promiscuous: true, queue: -1, rx: true, tx: true, quiet: false });
  t.deepEqual(o.stop, { packets: 0, durationMs: 0, sizeBytes: 0 });
});

test('short, attached, long and --name=value forms', (t) => {
  const o = parseDumpcapArgs(['-i', 'net_null0', '-c5', '-s', '0x80', '-w', 'f.pcapng', '--file-prefix=tp', '-a', 'duration:1.5', '--autostop', 'filesize:2',
    '-p', '-q', '-g', '-N', '16', '--capture-comment', 'hi', '--ifname=x', '--ifdescr', 'y', '--queue', '3', '--direction=tx', '-n']);
  t.like(o, { interface: 'net_null0', snaplen: 128, output: 'f.pcapng', filePrefix: 'tp', promiscuous: false, quiet: true, groupRead: true, ringSize: 16, comment: 'hi', ifname: 'x', ifdescr: 'y', queue: 3, rx: false, tx: true });
  t.deepEqual(o.stop, { packets: 5, durationMs: 1500, sizeBytes: 2048 });
  t.like(parseDumpcapArgs(['--interface', '*', '--snapshot-length', '64', '--output-file', '-', '-a', 'packets:7', '--queue=*']), { interface: '*', snaplen: 64, output: '-', queue: -1, stop: { packets: 7, durationMs: 0, sizeBytes: 0 } });
  t.like(parseDumpcapArgs(['--direction', 'rx']), { rx: true, tx: false });
  // getopt's clusters
  t.like(parseDumpcapArgs(['-pqc', '9', '-gs64']), { promiscuous: false, quiet: true, groupRead: true, snaplen: 64, stop: { packets: 9, durationMs: 0, sizeBytes: 0 } });
});

test('bad arguments: dpdk-dumpcap\'s messages, one line each', (t) => {
  const bad: [string[], string][] = [
    [['-c', '12x'], 'Specified packet_count "12x" is not a valid number'],
    [['-s', ''], 'Specified snap_len "" is not a valid number'],
    [['-s', '0'], 'Specified snap_len "0" is not valid: give at least 1 byte'],
    [['-N', '0'], 'Specified packet_limit "0" is not valid: the ring must hold at least 1 packet'],
    [['-a', 'duration'], 'Missing colon in auto stop parameter'],
    [['-a', 'duration:-1'], 'Invalid duration "-1"'],
    [['-a', 'files:3'], 'Unknown autostop parameter "files"'],
    [['-a', 'packets:x'], 'Specified packets "x" is not a valid number'],
    [['-b', 'files:2'], 'multiple files not implemented'],
    [['-f', 'udp'], '-f: capture filters are not supported by dpkit-dumpcap; capture everything and filter with tshark -Y'],
    [['-P'], '-P: dpkit-dumpcap writes pcapng only (tshark and editcap -F pcap convert it)'],
    [['-z'], 'Invalid option: -z (dpkit-dumpcap --help lists the options)'],
    [['--bogus'], 'Invalid option: --bogus (dpkit-dumpcap --help lists the options)'],
    [['-i'], "option '-i' requires an argument"],
    [['--help=1'], "option '--help' doesn't allow an argument"],
    [['-pz'], 'Invalid option: -z (dpkit-dumpcap --help lists the options)'],
    [['--queue', '-1'], 'Specified queue "-1" is not a valid number'],
    [['--queue', '65535'], 'Specified queue "65535" is too large (greater than 65534)'],
    [['--direction', 'in'], "invalid --direction 'in': use rx, tx or rxtx"],
    [['eth0'], "unexpected argument 'eth0': dpkit-dumpcap takes options only (dpkit-dumpcap --help lists them)"],
  ];
  for (const [args, message] of bad) t.throws(() => parseDumpcapArgs(args), { message }, args.join(' '));
});
