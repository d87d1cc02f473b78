/**
 * The telemetry command table and socket life cycle (the protocol as DPDK's client sees it is
 * tested end to end with dpdk-telemetry.py in test/src/telemetry.test.ts).
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasLinux, linux } from '../linux/native.js';
import { Telemetry, dpdkRuntimeDir } from '../telemetry/telemetry.js';

test('requests split as DPDK splits them: command before the first comma, the rest as parameters', (t) => {
  const tm = new Telemetry();
  const seen: (string | undefined)[] = [];
  tm.register('/echo', 'echo', (_c, p) => { seen.push(p); return p ?? 'none'; });
  t.is(tm.handle('/echo,a,b'), '{"/echo":"a,b"}');
  t.is(tm.handle('/echo,'), '{"/echo":"none"}');
  t.is(tm.handle(',,/echo,x'), '{"/echo":"x"}');
  t.deepEqual(seen, ['a,b', undefined, 'x']);
  t.is(tm.handle(',,,'), '{"none":null}');
  t.is(tm.handle('/nope'), '{"/nope":null}');
  const long = '/' + 'x'.repeat(70);
  t.is(tm.handle(long), `{"${long.slice(0, 56)}":null}`, 'a command of 56 characters or more is unknown, named cut to 56');
  t.is(tm.handle('/help'), '{"/help":"Returns help text for a command. Parameters: string command"}');
  t.is(tm.handle('/help,/nope'), '{"/help":null}');
  t.deepEqual(JSON.parse(tm.handle('/')), { '/': ['/', '/info', '/help', '/echo'] });
});

test('a handler that throws or answers more than max_output_len is answered null', (t) => {
  const tm = new Telemetry();
  tm.register('/throws', 'h', () => { throw new Error('bad port'); });
  tm.register('/big', 'h', () => 'x'.repeat(16384));
  tm.register('/fits', 'h', () => 'x'.repeat(16384 - '{"/fits":""}'.length));
  t.is(tm.handle('/throws'), '{"/throws":null}');
  t.is(tm.handle('/big'), '{"/big":null}');
  t.is(tm.handle('/fits').length, 16384);
});

test('register refuses names DPDK refuses, and a second registration', (t) => {
  const tm = new Telemetry();
  t.throws(() => tm.register('nope', 'h', () => null), { message: /must start with '\/'/ });
  t.throws(() => tm.register('/a,b', 'h', () => null), { message: /have no ','/ });
  t.throws(() => tm.register('/' + 'x'.repeat(55), 'h', () => null), { message: /shorter than 56/ });
  t.throws(() => tm.register('/info', 'h', () => null), { message: "telemetry command '/info' is already registered" });
});

test('the runtime directory is DPDK\'s: RUNTIME_DIRECTORY, /var/run for root, else XDG_RUNTIME_DIR or /tmp', (t) => {
  t.is(dpdkRuntimeDir('p', { RUNTIME_DIRECTORY: '/run/x' }, 0), '/run/x/dpdk/p');
  t.is(dpdkRuntimeDir('p', {}, 0), '/var/run/dpdk/p');
  t.is(dpdkRuntimeDir('p', { XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/dpdk/p');
  t.is(dpdkRuntimeDir('p', {}, 1000), '/tmp/dpdk/p');
});

test('a stale socket file is replaced, a live one moves the second server to :1, stop removes each', (t) => {
  if (!hasLinux()) return t.pass('no Linux addon');
  const k = linux('the telemetry test');
  const base = mkdtempSync(join(tmpdir(), 'dpkit-tele-'));
  const saved = process.env.RUNTIME_DIRECTORY;
  process.env.RUNTIME_DIRECTORY = base;
  try {
    const dir = join(base, 'dpdk', 'p');
    const stale = new Telemetry();
    stale.start(k, 'p');
    const path = join(dir, 'dpdk_telemetry.v2');
    t.is(stale.path, path);
    // leave the file behind as a killed process does: the fd closed, the file not removed
    const a = new Telemetry();
    (stale as unknown as { listener: { stop(): void } }).listener.stop();
    k.close((stale as unknown as { listenFd: number }).listenFd);
    t.true(existsSync(path));
    a.start(k, 'p');
    t.is(a.path, path, 'the stale socket was replaced');
    const b = new Telemetry();
    b.start(k, 'p');
    t.is(b.path, `${path}:1`, 'the live one is kept');
    b.stop();
    t.false(existsSync(`${path}:1`));
    t.true(existsSync(path));
    a.stop();
    t.false(existsSync(path));
    t.false(existsSync(dir), 'the directory goes with its last socket');
  } finally {
    if (saved === undefined) delete process.env.RUNTIME_DIRECTORY;
    else process.env.RUNTIME_DIRECTORY = saved;
    rmSync(base, { recursive: true, force: true });
  }
});
