/**
 * The pcapng blocks read back by Wireshark's own readers (tshark, capinfos): section header
 * options, an interface with its name, description, MAC, speed, hardware, snaplen and
 * nanosecond resolution, packets with their direction, queue, lengths and timestamps, and the
 * statistics block's counts.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INBOUND, OUTBOUND, enhancedPacket, interfaceDescription, interfaceStatistics, sectionHeader } from '../pcapng.js';

const hasTshark = spawnSync('tshark', ['--version'], { timeout: 30_000 }).status === 0;
/** tests that read captures with tshark: skipped, and counted as skipped, without it (scripts/test.sh installs it) */
const withTshark = hasTshark ? test : test.skip;

withTshark('tshark and capinfos read the blocks as written', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-pcapng-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.pcapng');
  const frame = Uint8Array.from({ length: 61 }, (_, i) => i);
  const t0 = 1_700_000_000_123_456_789n;
  writeFileSync(file, Buffer.concat([
    sectionHeader({ os: 'Linux 6.1', app: 'dpkit-dumpcap 1.0 (test)', comment: 'a comment' }),
    interfaceDescription({ name: 'dpdk:0', description: 'net_null0 (net_null)', mac: '02:00:00:00:00:01', speed: 10e9, hardware: 'vdev-net_null0', snaplen: 40 }),
    interfaceDescription({ name: 'eth1', snaplen: 2176 }),
    enhancedPacket(0, t0, frame.subarray(0, 40), 61, INBOUND, 3),
    enhancedPacket(1, t0 + 1000n, frame, 61, OUTBOUND, 0),
    interfaceStatistics(0, t0 + 5000n, { start: t0 - 1n, end: t0 + 4000n, recv: 12345, drop: 678 }),
  ]));
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.interface_id', '-e', 'frame.interface_name',
    '-e', 'frame.packet_flags_direction', '-e', 'frame.interface_queue', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch', '-e', 'eth.dst'], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    '0,dpdk:0,0x00000001,3,61,40,1700000000.123456789,00:01:02:03:04:05',
    '1,eth1,0x00000002,0,61,61,1700000000.123457789,00:01:02:03:04:05',
  ]);
  const info = spawnSync('capinfos', [file], { encoding: 'utf8', timeout: 30_000 }).stdout;
  t.regex(info, /Capture comment:\s+a comment\n/);
  t.regex(info, /Capture oper-sys:\s+Linux 6\.1\n/);
  t.regex(info, /Capture application:\s+dpkit-dumpcap 1\.0 \(test\)\n/);
  t.regex(info, /Interface #0 info:\n\s+Name = dpdk:0\n\s+Description = net_null0 \(net_null\)\n\s+Encapsulation = Ethernet \(1 - ether\)\n\s+Hardware = vdev-net_null0\n\s+Speed = 10000000000\n\s+Capture length = 40\n\s+Time precision = nanoseconds \(9\)\n/);
  t.regex(info, /Number of stat entries = 1\n/);
});
