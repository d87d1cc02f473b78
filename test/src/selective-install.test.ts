/**
 * Each package is publishable on its own: pack them as npm would publish them, install a
 * selection into an empty directory, and use it. Dependencies come from the npm registry
 * (or npm's cache); the @dpkit packages only from the tarballs. Installs run with a PATH that
 * reaches node and npm but no compiler, make or python: the Linux addon comes prebuilt in
 * @dpkit/eal's tarball (prebuilds/linux-x64) and no package has an install script. Where no
 * prebuild matches, `npx @dpkit/eal build-native` builds it from source.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TESTPMD_PACKAGES, Tarballs } from './tarballs.js';

const packs = new Tarballs();
const { noToolchain } = packs;
const toolchain = ['cc', 'c++', 'gcc', 'g++', 'clang', 'make', 'python', 'python3'];

test.before(() => {
  packs.pack(TESTPMD_PACKAGES);
});

test.after.always(() => packs.cleanup());

/** Installs the tarballs of `names` into a new directory, with no toolchain on PATH. */
function install(names: string[], scripts: 'ignore-scripts' | 'with-scripts'): string {
  return packs.install(names, { scripts: scripts === 'with-scripts' });
}

/** An app that loads the Linux addon and makes kernel calls: a memfd mapped twice, lo's ifindex. */
const kernelApp = `
  import { createRequire } from 'node:module';
  import { dirname } from 'node:path';
  import { linux } from '@dpkit/eal/linux';
  const require = createRequire(import.meta.url);
  const eal = dirname(require.resolve('@dpkit/eal/package.json'));
  let out;
  try {
    const l = linux('the selective-install app');
    const a = l.memfdMap('dpkit-sel', 4096);
    new Uint8Array(a.buffer).set([1, 2, 3, 4], 100);
    const b = l.mapFd(a.fd, 4096);
    const seen = [...new Uint8Array(b).subarray(100, 104)];
    l.unmap(b); l.unmap(a.buffer); l.close(a.fd);
    const lo = l.ifInfo('lo');
    const loaded = createRequire(eal + '/package.json')('node-gyp-build').path(eal).slice(eal.length + 1);
    out = { loaded, seen, lo: lo.ifindex };
  } catch (err) {
    out = { error: err.message };
  }
  console.log(JSON.stringify(out));
`;

function runApp(dir: string, source: string, env: NodeJS.ProcessEnv): unknown {
  writeFileSync(join(dir, 'kernel.js'), source);
  return JSON.parse(execFileSync(process.execPath, ['kernel.js'], { cwd: dir, timeout: 30_000, env }).toString());
}

test.serial('the installs below have no compiler, make or python on PATH', (t) => {
  const found = spawnSync('/bin/sh', ['-c', toolchain.map((c) => `command -v ${c}`).join('; ')], { env: noToolchain, encoding: 'utf8' });
  t.is(found.stdout, '');
  t.regex(execFileSync('npm', ['--version'], { env: noToolchain }).toString(), /^\d+\./);
});

test.serial('packages carry their build and no tests', (t) => {
  t.deepEqual([...packs.files.keys()].sort(), ['bifurc', 'eal', 'pmd-af-packet', 'pmd-af-xdp', 'pmd-null', 'pmd-ring', 'testpmd']);
  const list = execFileSync('tar', ['-tzf', packs.get('eal')]).toString();
  t.regex(list, /package\/dist\/index\.js/);
  t.regex(list, /package\/dist\/index\.d\.ts/);
  t.regex(list, /package\/README\.md/);
  t.notRegex(list, /dist\/test\//);
  t.notRegex(list, /package\/src\//);
});

test.serial('@dpkit/eal carries the prebuilt addon and no install script', (t) => {
  const list = execFileSync('tar', ['-tzf', packs.get('eal')]).toString().split('\n');
  t.deepEqual(list.filter((f) => f.includes('prebuilds/')), ['package/prebuilds/linux-x64/@dpkit+eal.uv1.glibc.node']);
  t.false(list.some((f) => f.startsWith('package/build/')), 'no build directory in the tarball');
  for (const pkg of packs.files.keys()) {
    const json = JSON.parse(execFileSync('tar', ['-xzOf', packs.get(pkg), 'package/package.json']).toString()) as { scripts?: Record<string, string>; gypfile?: boolean };
    const lifecycle = Object.keys(json.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s));
    t.deepEqual(lifecycle, [], `${pkg}: scripts npm runs at install`);
    // npm runs `node-gyp rebuild` at install for a package with a binding.gyp unless gypfile is false
    if (list.includes('package/binding.gyp') && pkg === 'eal') t.is(json.gypfile, false, 'eal: gypfile false');
  }
});

test.serial('@dpkit/eal and @dpkit/pmd-null alone make a working app', (t) => {
  const dir = install(['eal', 'pmd-null'], 'ignore-scripts');
  t.false(existsSync(join(dir, 'node_modules/@dpkit/pmd-ring')));
  t.false(existsSync(join(dir, 'node_modules/@dpkit/testpmd')));
  writeFileSync(join(dir, 'app.js'), `
    import { Eal } from '@dpkit/eal';
    import { driver } from '@dpkit/pmd-null';
    const eal = await Eal.init(['-l', '0-1', '--no-pci', '--vdev=net_null0,size=60', '--file-prefix=sel-${process.pid}'], { drivers: [driver] });
    const dev = eal.ethdevs.get(0);
    const pool = eal.mempoolCreate('p', { size: 2048, cacheSize: 32 });
    await dev.configure(1, 1);
    await dev.rxQueueSetup(0, 512, 0, {}, pool);
    await dev.txQueueSetup(0, 512, 0, {});
    await dev.start();
    const pkts = new Uint32Array(32);
    for (let i = 0; i < 100; i++) dev.txBurst(0, pkts, 0, dev.rxBurst(0, pkts, 0, 32));
    const s = dev.statsGet();
    await dev.stop();
    console.log(JSON.stringify({ rx: s.ipackets, tx: s.opackets, bytes: s.ibytes, avail: pool.availCount(), size: pool.size }));
    await dev.close();
    await eal.cleanup();
  `);
  const out = JSON.parse(execFileSync(process.execPath, ['app.js'], { cwd: dir, timeout: 30_000, env: noToolchain }).toString());
  t.deepEqual(out, { rx: 3200, tx: 3200, bytes: 3200 * 60, avail: 2048, size: 2048 });
  // the Linux addon, prebuilt: nothing was compiled at install, and kernel calls work
  t.false(existsSync(join(dir, 'node_modules/@dpkit/eal/build')), 'nothing built at install');
  t.deepEqual(runApp(dir, kernelApp, noToolchain), { loaded: 'prebuilds/linux-x64/@dpkit+eal.uv1.glibc.node', seen: [1, 2, 3, 4], lo: 1 });
});

test.serial('where no prebuild matches, npx @dpkit/eal build-native builds the addon from source', (t) => {
  const dir = install(['eal'], 'ignore-scripts');
  // what a platform without a prebuild (linux-arm64, musl) sees: no prebuilds/linux-x64 here
  rmSync(join(dir, 'node_modules/@dpkit/eal/prebuilds'), { recursive: true });
  const missing = runApp(dir, kernelApp, noToolchain) as { error: string };
  t.regex(missing.error, /^the selective-install app needs dpkit's Linux addon, which is unavailable: no addon loads \(No native build was found for platform=linux arch=x64 .*\); build it from source with `npx @dpkit\/eal build-native` in the application's directory \(needs a C\+\+17 compiler, make and python3\)$/);
  // without a toolchain the build says what is missing, in one line
  const bare = spawnSync('npx', ['@dpkit/eal', 'build-native'], { cwd: dir, env: noToolchain, encoding: 'utf8', timeout: 60_000 });
  t.is(bare.status, 1);
  t.is(bare.stderr, '@dpkit/eal: could not build the Linux addon from source: no C++ compiler (c++, g++ or clang++; or set CXX), no make, no python3 on PATH; it needs a C++17 compiler, make and python3 (Debian: apt-get install g++ make python3)\n');
  // with one, it builds build/Release, which the loader then uses
  execFileSync('npx', ['@dpkit/eal', 'build-native'], { cwd: dir, stdio: 'pipe', timeout: 300_000 });
  t.deepEqual(runApp(dir, kernelApp, noToolchain), { loaded: 'build/Release/dpkit_linux.node', seen: [1, 2, 3, 4], lo: 1 });
});

test.serial('@dpkit/testpmd installs with its drivers and runs', (t) => {
  // scripts allowed: an install script (or npm's implicit node-gyp rebuild) would fail here
  const dir = install([...TESTPMD_PACKAGES], 'with-scripts');
  t.false(existsSync(join(dir, 'node_modules/@dpkit/eal/build')), 'nothing built at install');
  const bin = join(dir, 'node_modules/.bin/dpkit-testpmd');
  const help = execFileSync(bin, ['-h'], { timeout: 30_000 }).toString();
  t.regex(help, /net_null/);
  t.regex(help, /net_af_xdp/);
  t.regex(help, /net_af_packet/);
  const out = execFileSync(bin, ['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', `--file-prefix=sel2-${process.pid}`, '--', '-i'], {
    input: 'start tx_first\nstop\nquit\n', timeout: 30_000,
  }).toString();
  t.regex(out, /Accumulated forward statistics for all ports/);
  t.regex(out, /Bye\.\.\./);
});
