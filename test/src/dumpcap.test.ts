/**
 * dpkit-dumpcap against a running dpkit-testpmd (net_null, forwarding at full speed): the
 * pcapng file tshark reads has exactly the -c packets with the bytes forwarded, the
 * interface's name and description, and an Interface Statistics Block whose drop count is the
 * closing line's; a tiny ring (-N) makes drops; the forwarding lcore collects no garbage while
 * capturing; bad arguments are one line.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestpmdProcess, prefix } from './testpmd-process.js';
import { forwardingGarbage, noForwardingGarbage } from './gc-line.js';

const DUMPCAP = fileURLToPath(new URL('../../packages/dumpcap/dist/cli.js', import.meta.url));
const WARMUP_PACKETS = 2 * 65536 * 32;
const hasTshark = spawnSync('tshark', ['--version'], { timeout: 30_000 }).status === 0;
/** tests that read captures with tshark: skipped, and counted as skipped, without it (scripts/test.sh installs it) */
const withTshark = hasTshark ? test : test.skip;

/** Runs dpkit-dumpcap to its end (killed after 60 s); `started` gets the child. */
function dumpcap(args: string[], started?: (c: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string; raw: Buffer }> {
  const c = spawn(process.execPath, [DUMPCAP, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started?.(c);
  const chunks: Buffer[] = [];
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => { chunks.push(d); });
  c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => c.once('close', (code) => {
    clearTimeout(timer);
    const raw = Buffer.concat(chunks);
    resolve({ code, stdout: raw.toString(), stderr, raw });
  }));
}

/** The statistics blocks of a pcapng file: interface id → { recv, drop } (isb_ifrecv, isb_ifdrop). */
function interfaceStatistics(file: string): Map<number, { recv: bigint; drop: bigint }> {
  const b = readFileSync(file);
  const out = new Map<number, { recv: bigint; drop: bigint }>();
  for (let at = 0; at < b.length; ) {
    const type = b.readUInt32LE(at);
    const len = b.readUInt32LE(at + 4);
    if (type === 5) {
      const s = { recv: -1n, drop: -1n };
      for (let o = at + 20; o < at + len - 4; ) {
        const code = b.readUInt16LE(o);
        const olen = b.readUInt16LE(o + 2);
        if (code === 0) break;
        if (code === 4) s.recv = b.readBigUInt64LE(o + 4);
        if (code === 5) s.drop = b.readBigUInt64LE(o + 4);
        o += 4 + ((olen + 3) & ~3);
      }
      out.set(b.readUInt32LE(at + 8), s);
    }
    at += len;
  }
  return out;
}

function tshark(file: string, fields: string[]): string[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** testpmd forwarding on net_null0 (interactive, started), with its prefix. */
async function forwarding(t: ExecutionContext, opts: string[], env: NodeJS.ProcessEnv = {}): Promise<{ p: TestpmdProcess; pre: string }> {
  const pre = prefix();
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', pre, '--', '-i', '--port-topology=loop', ...opts]);
  process.env = saved;
  t.teardown(() => p.kill());
  await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
  await p.command('start');
  return { p, pre };
}

function tempFile(t: ExecutionContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-dumpcap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

const CLOSING = /^Packets received\/dropped on interface 'net_null0': (\d+)\/(\d+) \((\d+\.\d)\)$/m;

withTshark('dpkit-dumpcap -c 20 writes exactly 20 of the packets txonly sends, with the interface and statistics blocks', async (t) => {
  const { p, pre } = await forwarding(t, ['--forward-mode=txonly']);
  const mac = /Port 0: ([0-9A-F:]{17})/.exec(p.stdout)![1]!.toLowerCase();
  const file = tempFile(t, 'tx.pcapng');
  const r = await dumpcap([pre, '-i', '0', '-c', '20', '-w', file]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, "Capturing on 'net_null0'\n");
  const lines = r.stderr.split('\n');
  t.is(lines[0], `File: ${file}`);
  t.is(lines[1], 'Packets captured: 20 ');
  const closing = CLOSING.exec(r.stderr);
  t.truthy(closing, r.stderr);
  t.true(Number(closing![1]) >= 20, r.stderr);
  // exactly 20 packets, each txonly's UDP packet, sent (outbound) on queue 0 of dpdk:0
  const rows = tshark(file, ['frame.interface_name', 'frame.interface_description', 'frame.packet_flags_direction', 'frame.interface_queue',
    'eth.src', 'eth.dst', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'frame.len', 'frame.cap_len']);
  t.is(rows.length, 20);
  t.deepEqual([...new Set(rows)], [`dpdk:0,net_null0 (net_null),0x00000002,0,${mac},02:00:00:00:00:00,198.18.0.1,198.18.0.2,9,9,64,64`]);
  const isb = interfaceStatistics(file);
  t.deepEqual([...isb.keys()], [0]);
  t.is(isb.get(0)!.recv, BigInt(closing![1]!));
  t.is(isb.get(0)!.drop, BigInt(closing![2]!));
  const info = spawnSync('capinfos', [file], { encoding: 'utf8', timeout: 30_000 }).stdout;
  t.regex(info, /Number of packets:\s+20\n/);
  t.regex(info, /Name = dpdk:0\n\s+Description = net_null0 \(net_null\)\n/);
  t.regex(info, /Capture length = 2176\n/);
  t.regex(info, /Time precision = nanoseconds \(9\)\n/);
  t.regex(info, /Number of stat entries = 1\n/);
  await p.command('quit').catch(() => undefined);
});

withTshark('a tiny ring (-N 4) drops what does not fit: counted in the closing line and the ISB, received packets only with --direction rx', async (t) => {
  const { p, pre } = await forwarding(t, []);
  const file = tempFile(t, 'rx.pcapng');
  const r = await dumpcap([pre, '-N', '3', '-c', '50', '--direction', 'rx', '--queue', '0', '-q', '-w', file]);
  t.is(r.code, 0, r.stderr);
  t.true(r.stderr.startsWith(`Ring size 3 rounded up to 4\nFile: ${file}\n\n`), r.stderr); // -q: no count
  const closing = CLOSING.exec(r.stderr)!;
  t.truthy(closing, r.stderr);
  const [recv, drop] = [Number(closing[1]), Number(closing[2])];
  t.true(drop > 0, r.stderr);
  t.is(closing[3], ((100 * recv) / (recv + drop)).toFixed(1));
  const rows = tshark(file, ['frame.packet_flags_direction', 'frame.interface_queue', 'frame.len']);
  t.is(rows.length, 50);
  t.deepEqual([...new Set(rows)], ['0x00000001,0,64']); // inbound only
  t.deepEqual(interfaceStatistics(file).get(0), { recv: BigInt(recv), drop: BigInt(drop) });
  await p.command('quit').catch(() => undefined);
});

/**
 * The capture path runs on the lcore only once a capture starts, after the engine's warm-up:
 * its first bursts run unoptimised (V8 boxes doubles there), which a loaded run once saw as one
 * young-generation collection. So a first capture warms it (the lcore thread and its compiled
 * code stay across stop/start), and the collections are counted over a second forwarding run
 * with a second capture: what the compiled capture path allocates, per packet, is what this
 * test holds to no collection at all (gc-line.ts).
 */
test('the forwarding lcore collects no garbage while a capture copies its packets', async (t) => {
  const { p, pre } = await forwarding(t, [], { DPKIT_REPORT_GC: '1' });
  const pastWarmup = async () => {
    let n = 0;
    for (let i = 0; i < 600 && n <= 2 * WARMUP_PACKETS; i++) {
      n = Number(/RX-packets: (\d+)/.exec(await p.command('show port stats 0'))?.[1] ?? 0);
      if (n <= 2 * WARMUP_PACKETS) await new Promise((r) => setTimeout(r, 100));
    }
    t.true(n > 2 * WARMUP_PACKETS, `forwarding got past the warm-up: ${n} packets`);
  };
  await pastWarmup();
  const first = await dumpcap([pre, '-a', 'duration:2', '-q', '-w', '/dev/null']);
  t.is(first.code, 0, first.stderr);
  await p.command('stop');
  await p.command('clear port stats all');
  await p.command('start');
  await pastWarmup();
  const r = await dumpcap([pre, '-a', 'duration:3', '-q', '-w', '/dev/null']);
  t.is(r.code, 0, r.stderr);
  const closing = CLOSING.exec(r.stderr)!;
  t.true(Number(closing[1]) > 10_000, `the capture took packets: ${r.stderr}`);
  const stop = await p.command('stop');
  t.true(noForwardingGarbage(forwardingGarbage(stop)), stop);
  await p.command('quit').catch(() => undefined);
});

test('bad arguments and a missing application are one line and exit 1', async (t) => {
  const { p, pre } = await forwarding(t, []);
  const cases: [string[], string][] = [
    [['-c', 'abc'], 'dpkit-dumpcap: Specified packet_count "abc" is not a valid number'],
    [['-a', 'duration'], 'dpkit-dumpcap: Missing colon in auto stop parameter'],
    [['-a', 'size:3'], 'dpkit-dumpcap: Unknown autostop parameter "size"'],
    [['-x'], 'dpkit-dumpcap: Invalid option: -x (dpkit-dumpcap --help lists the options)'],
    [['--direction', 'up'], "dpkit-dumpcap: invalid --direction 'up': use rx, tx or rxtx"],
    [['-b', 'files:2'], 'dpkit-dumpcap: multiple files not implemented'],
    [[pre, '-i', '7'], 'dpkit-dumpcap: Invalid port number 7'],
    [['--file-prefix=dpkit-none-here'], 'dpkit-dumpcap: no dpkit application with --file-prefix=dpkit-none-here serves packet capture (no /var/run/dpdk/dpkit-none-here/dpkit_pdump): is it running, and is it dpkit-testpmd or another app that starts Pdump?'],
  ];
  for (const [args, line] of cases) {
    const r = await dumpcap(args);
    t.is(r.code, 1, args.join(' '));
    t.is(r.stderr, `${line}\n`, args.join(' '));
  }
  const list = await dumpcap([pre, '-D']);
  t.is(list.stdout, '0. net_null0\n');
  await p.command('quit').catch(() => undefined);
});

test('one capture at a time: a second dpkit-dumpcap is refused in one line; a killed one frees the application at once', async (t) => {
  const { p, pre } = await forwarding(t, []);
  let first: ChildProcess | undefined;
  const done = dumpcap([pre, '-q', '-w', '/dev/null'], (c) => { first = c; });
  t.teardown(() => first?.kill('SIGKILL'));
  let second = await dumpcap([pre, '-c', '1', '-w', '/dev/null']);
  for (let i = 0; i < 100 && second.code === 0; i++) second = await dumpcap([pre, '-c', '1', '-w', '/dev/null']); // the first may not have enabled yet
  t.is(second.code, 1);
  t.regex(second.stderr, /\ndpkit-dumpcap: another capture is running on this application \(pid \d+\): one at a time; stop it first\n$/);
  first!.kill('SIGKILL');
  await done;
  // the file on stdout: nothing else goes there
  const third = await dumpcap([pre, '-c', '5', '-w', '-']);
  t.is(third.code, 0, third.stderr);
  t.true(third.stderr.startsWith("Capturing on 'net_null0'\nPackets captured: 5 \n"), third.stderr);
  if (hasTshark) {
    const file = tempFile(t, 'stdout.pcapng');
    writeFileSync(file, third.raw);
    t.is(tshark(file, ['frame.len']).length, 5);
  }
  await p.command('quit').catch(() => undefined);
});

test('capture works without telemetry (--no-telemetry), and the runtime directory goes with the application', async (t) => {
  const pre = prefix();
  const dir = `/var/run/dpdk/${pre.slice('--file-prefix='.length)}`;
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '--vdev=net_null0', pre, '--no-telemetry', '--', '-i', '--port-topology=loop']);
  t.teardown(() => p.kill());
  await p.until((out) => out.includes('testpmd> '), 20_000, 'the prompt');
  await p.command('start');
  const r = await dumpcap([pre, '-c', '3', '-w', '/dev/null']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /Packets captured: 3 /);
  p.child.stdin.write('quit\n');
  t.is((await p.exit()).code, 0);
  t.false(existsSync(dir), `${dir} is left behind`);
});
