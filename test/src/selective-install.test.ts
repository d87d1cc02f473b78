/**
 * Each package is publishable on its own: pack them as npm would publish them, install a
 * selection into an empty directory, and use it. Dependencies come from the npm registry
 * (or npm's cache); the @dpkit packages only from the tarballs. Installs run with a PATH that
 * reaches node and npm but no compiler, make or python: the Linux addon comes prebuilt in
 * @dpkit/eal's tarball (prebuilds/linux-x64) and no package has an install script. Where no
 * prebuild matches, `npx @dpkit/eal build-native` builds it from source. The same for the
 * emulated 82599's engine (@dpkit/sim-82599): prebuilt, or `npx @dpkit/sim-82599 build-native`.
 * The ixgbe PMD (@dpkit/pmd-ixgbe) installs without the emulator: its definitions come from
 * @dpkit/ixgbe-defs, plain TypeScript.
 */
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { testNetns } from '@dpkit/eal/linux';
import { TESTPMD_PACKAGES, Tarballs } from './tarballs.js';

const packs = new Tarballs();
const { noToolchain } = packs;
const toolchain = ['cc', 'c++', 'gcc', 'g++', 'clang', 'make', 'python', 'python3'];

test.before(() => {
  packs.pack([...TESTPMD_PACKAGES, 'sim-82599']);
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
  t.deepEqual([...packs.files.keys()].sort(), ['bifurc', 'eal', 'ixgbe-defs', 'pmd-af-packet', 'pmd-af-xdp', 'pmd-ixgbe', 'pmd-null', 'pmd-ring', 'sim-82599', 'testpmd']);
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
  const withGyp: string[] = [];
  for (const pkg of packs.files.keys()) {
    const json = JSON.parse(execFileSync('tar', ['-xzOf', packs.get(pkg), 'package/package.json']).toString()) as { scripts?: Record<string, string>; gypfile?: boolean };
    const lifecycle = Object.keys(json.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s));
    t.deepEqual(lifecycle, [], `${pkg}: scripts npm runs at install`);
    // npm runs `node-gyp rebuild` at install for a package with a binding.gyp unless gypfile is false
    if (execFileSync('tar', ['-tzf', packs.get(pkg)]).toString().split('\n').includes('package/binding.gyp')) {
      withGyp.push(pkg);
      t.is(json.gypfile, false, `${pkg}: gypfile false`);
    }
  }
  t.deepEqual(withGyp.sort(), ['eal', 'sim-82599'], 'the packages with an addon');
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

test.serial('@dpkit/testpmd installs with its drivers (net_ixgbe too, without the emulator) and runs', (t) => {
  // scripts allowed: an install script (or npm's implicit node-gyp rebuild) would fail here
  const dir = install([...TESTPMD_PACKAGES], 'with-scripts');
  t.false(existsSync(join(dir, 'node_modules/@dpkit/eal/build')), 'nothing built at install');
  t.false(existsSync(join(dir, 'node_modules/@dpkit/sim-82599')), 'the emulator is an optional peer dependency: not installed');
  const bin = join(dir, 'node_modules/.bin/dpkit-testpmd');
  const help = spawnSync(bin, ['-h'], { encoding: 'utf8', timeout: 30_000 });
  t.like(help, { status: 0, stderr: '' }, 'no @dpkit/sim-82599: not a word about it');
  t.regex(help.stdout, /net_null/);
  t.regex(help.stdout, /net_af_xdp/);
  t.regex(help.stdout, /net_af_packet/);
  t.regex(help.stdout, /^ {2}bifurc: net_ixgbe$/m);
  const out = execFileSync(bin, ['-l', '0-1', '--no-pci', '--vdev=net_ring0', '--vdev=net_ring1', `--file-prefix=sel2-${process.pid}`, '--', '-i'], {
    input: 'start tx_first\nstop\nquit\n', timeout: 30_000,
  }).toString();
  t.regex(out, /Accumulated forward statistics for all ports/);
  t.regex(out, /Bye\.\.\./);
  // an @dpkit/sim-82599 that does not load (a module it imports is missing): one line, and the run goes on
  const sim = join(dir, 'node_modules/@dpkit/sim-82599');
  mkdirSync(sim);
  writeFileSync(join(sim, 'package.json'), JSON.stringify({ name: '@dpkit/sim-82599', version: '0.1.0', type: 'module', exports: './index.js' }));
  writeFileSync(join(sim, 'index.js'), "export { providers } from '@dpkit/not-installed';\n");
  const broken = spawnSync(bin, ['-l', '0-1', '--no-pci', '--vdev=net_null0', `--file-prefix=sel3-${process.pid}`, '--', '-i'], { input: 'quit\n', encoding: 'utf8', timeout: 30_000 });
  t.is(broken.status, 0, broken.stderr);
  t.is(broken.stderr, `dpkit-testpmd: @dpkit/sim-82599 is installed but does not load (Cannot find package '@dpkit/not-installed' imported from ${join(sim, 'index.js')}); emulated 82599 netdevs are not claimed: reinstall it, or uninstall it\n`);
  t.regex(broken.stdout, /Bye\.\.\./);
});

// ---- @dpkit/sim-82599: the emulated 82599, its engine prebuilt like @dpkit/eal's addon ----

const SIM_PREBUILD = 'prebuilds/linux-x64/@dpkit+sim-82599.uv1.glibc.node';
const simUsage = 'usage: dpkit-sim-82599 IFNAME (--wire NETDEV | --loopback | --generator [FLOWS,SIZE]) [--kernel-queues K]\n';

/** Which file node-gyp-build loads for the installed @dpkit/sim-82599 in `dir`. */
function simLoaded(dir: string): string {
  const sim = join(dir, 'node_modules/@dpkit/sim-82599');
  return execFileSync(process.execPath, ['-e', `console.log(require('node-gyp-build').path(${JSON.stringify(sim)}).slice(${sim.length + 1}))`], { cwd: sim, env: noToolchain }).toString().trim();
}

/**
 * Runs the installed dpkit-sim-82599 bx0 --loopback in a network namespace of its own (no
 * toolchain on PATH); once it is ready, asks it `dpkit-ethtool -i bx0`, then stops it with
 * SIGINT. Returns the ready line, ethtool's output, the exit status and whether bx0 outlived it.
 */
async function simInNamespace(t: { teardown(fn: () => void): void }, dir: string) {
  const ns = testNetns(t, 'sel-sim');
  // ip runs with this process's PATH, the commands in the namespace with no toolchain on theirs
  const inNs = (name: string, ...args: string[]) => ['netns', 'exec', ns, '/usr/bin/env', `PATH=${noToolchain.PATH!}`, join(dir, 'node_modules/.bin', name), ...args];
  const dev = spawn('ip', inNs('dpkit-sim-82599', 'bx0', '--loopback'), { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void dev.kill('SIGKILL'));
  const exited = new Promise<number | null>((ok) => dev.on('exit', (code) => ok(code)));
  let stderr = '';
  dev.stderr.on('data', (d) => (stderr += d));
  const ready = await new Promise<string>((ok) => {
    let out = '';
    dev.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out); });
    const timer = setTimeout(() => ok(out), 20_000);
    void exited.then(() => { clearTimeout(timer); ok(out); });
  });
  const ethtool = spawnSync('ip', inNs('dpkit-ethtool', '-i', 'bx0'), { encoding: 'utf8', timeout: 20_000 });
  dev.kill('SIGINT');
  const code = await exited;
  const left = spawnSync('ip', ['-n', ns, 'link', 'show', 'bx0'], { encoding: 'utf8' }).status === 0;
  return { ready, stderr, ethtool: ethtool.stdout + ethtool.stderr, code, left };
}

test.serial('@dpkit/sim-82599 carries its prebuilt engine and its build-native command, no tests, no build leftovers', (t) => {
  const list = execFileSync('tar', ['-tzf', packs.get('sim-82599')]).toString().split('\n').filter(Boolean).sort();
  t.deepEqual(list.filter((f) => f.includes('prebuilds/')), [`package/${SIM_PREBUILD}`]);
  t.deepEqual(list.filter((f) => !f.startsWith('package/dist/') && !f.startsWith('package/native/')), [
    'package/LICENSE', 'package/README.md', 'package/bin/dpkit-ethtool.js', 'package/bin/dpkit-sim-82599.js', 'package/binding.gyp',
    'package/package.json', `package/${SIM_PREBUILD}`, 'package/scripts/build-native.mjs', 'package/scripts/package.mjs', 'package/scripts/sim-82599.mjs',
  ]);
  t.false(list.some((f) => f.startsWith('package/dist/test/') || f.startsWith('package/build/') || f.startsWith('package/src/')), 'no tests, build directory or sources');
  t.true(list.includes('package/dist/main.js') && list.includes('package/dist/provider.d.ts') && list.includes('package/native/device.cc'));
  const json = JSON.parse(execFileSync('tar', ['-xzOf', packs.get('sim-82599'), 'package/package.json']).toString()) as { peerDependencies?: Record<string, string> };
  t.deepEqual(json.peerDependencies, { '@dpkit/bifurc': '^0.1.0', '@dpkit/eal': '^0.1.0' }, 'build-native comes from @dpkit/eal/addon-build; its bifurc provider plugs into @dpkit/bifurc');
});

test.serial('@dpkit/sim-82599 installs without a compiler and its device runs in a namespace through the prebuilt engine', async (t) => {
  // scripts allowed: an install script (or npm's implicit node-gyp rebuild) would fail here
  const dir = install(['eal', 'bifurc', 'ixgbe-defs', 'sim-82599'], 'with-scripts');
  t.false(existsSync(join(dir, 'node_modules/@dpkit/sim-82599/build')), 'nothing built at install');
  t.is(simLoaded(dir), SIM_PREBUILD);
  const run = (name: string, args: string[]) => spawnSync(join(dir, 'node_modules/.bin', name), args, { encoding: 'utf8', env: noToolchain, timeout: 30_000 });
  t.like(run('dpkit-sim-82599', ['--help']), { status: 0, stdout: simUsage, stderr: '' });
  t.like(run('dpkit-sim-82599', ['bx0']), { status: 1, stdout: '', stderr: 'dpkit-sim-82599: no wire mode: give --wire NETDEV, --loopback or --generator\n' });
  const bad = run('dpkit-ethtool', ['-Z', 'bx0']);
  t.is(bad.status !== 0 && bad.stderr.split('\n').filter(Boolean).length, 1, `dpkit-ethtool -Z: one line (${bad.stderr})`);
  const r = await simInNamespace(t, dir);
  t.regex(r.ready, /^dpkit-sim-82599: bx0 ready \(8086:10FB, MAC [0-9a-f:]{17}, kernel queues 0-31, wire loopback, control @dpkit-sim-82599\/bx0\)\n$/, r.stderr);
  t.regex(r.ethtool, /^driver: ixgbe\nversion: 0\.1\.0\n.*bus-info: dpkit-sim-82599\/bx0\n/s);
  t.deepEqual([r.code, r.left, r.stderr], [0, false, '']);
});

test.serial('where no prebuild matches, npx @dpkit/sim-82599 build-native builds the engine from source', async (t) => {
  const dir = install(['eal', 'bifurc', 'ixgbe-defs', 'sim-82599'], 'ignore-scripts');
  const sim = join(dir, 'node_modules/@dpkit/sim-82599');
  rmSync(join(sim, 'prebuilds'), { recursive: true });
  // the device says in one line that its addon is missing and how to build it
  const missing = spawnSync(join(dir, 'node_modules/.bin/dpkit-sim-82599'), ['bx0', '--loopback'], { encoding: 'utf8', env: noToolchain, timeout: 30_000 });
  t.is(missing.status, 1);
  t.regex(missing.stderr, /^dpkit-sim-82599: @dpkit\/sim-82599: its addon does not load \(No native build was found for platform=linux arch=x64 [^\n]*\); build it from source with `npx @dpkit\/sim-82599 build-native` in the application's directory \(needs a C\+\+17 compiler, make and python3\)\n$/);
  const bare = spawnSync('npx', ['@dpkit/sim-82599', 'build-native'], { cwd: dir, env: noToolchain, encoding: 'utf8', timeout: 60_000 });
  t.is(bare.status, 1);
  t.is(bare.stderr, "@dpkit/sim-82599: could not build the emulator's addon from source: no C++ compiler (c++, g++ or clang++; or set CXX), no make, no python3 on PATH; it needs a C++17 compiler, make and python3 (Debian: apt-get install g++ make python3)\n");
  execFileSync('npx', ['@dpkit/sim-82599', 'build-native'], { cwd: dir, stdio: 'pipe', timeout: 300_000 });
  t.is(simLoaded(dir), 'build/Release/dpkit_sim_82599.node');
  const r = await simInNamespace(t, dir);
  t.regex(r.ready, /^dpkit-sim-82599: bx0 ready \(8086:10FB, /, r.stderr);
  t.regex(r.ethtool, /^driver: ixgbe\n/);
  t.is(r.code, 0);
});

test.serial('@dpkit/testpmd with @dpkit/sim-82599 installed next to it: the RFC\'s command drives the emulated NIC with net_ixgbe, no -d', async (t) => {
  const dir = install([...TESTPMD_PACKAGES, 'sim-82599'], 'with-scripts');
  const ns = testNetns(t, 'sel-rfc');
  const inNs = (name: string, ...args: string[]) => ['netns', 'exec', ns, '/usr/bin/env', `PATH=${noToolchain.PATH!}`, join(dir, 'node_modules/.bin', name), ...args];
  const dev = spawn('ip', inNs('dpkit-sim-82599', 'bx0', '--loopback'), { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void dev.kill('SIGKILL'));
  const ready = await new Promise<string>((ok) => {
    let out = '';
    dev.stdout.on('data', (d) => { out += d; if (out.includes('\n')) ok(out); });
    const timer = setTimeout(() => ok(out), 20_000);
    dev.on('exit', () => { clearTimeout(timer); ok(out); });
  });
  t.regex(ready, / ready /);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'bx0', 'up'], { timeout: 10_000 });
  const r = spawnSync('ip', inNs('dpkit-testpmd', '-c', '0x3', '-n', '4', '--vdev=rte_bifurc,iface=bx0,qpairs=1', `--file-prefix=sel-rfc-${process.pid}`, '--', '-i', '--rxfreet=32', '--txfreet=32', '--txrst=32'),
    { input: 'show port info 0\nquit\n', encoding: 'utf8', timeout: 60_000 });
  t.like(r, { status: 0, stderr: '' }, r.stdout);
  t.regex(r.stdout, /^Driver name: net_ixgbe$/m);
  t.regex(r.stdout, /^Kernel netdev: bx0 \(ifindex \d+\), provider sim-82599$/m);
  t.regex(r.stdout, /^Split queues: queue 0 <- bx0 queue 32; split off the kernel, driven on their descriptor rings$/m);
});

// ---- @dpkit/pmd-ixgbe: the ixgbe PMD, without the emulator ----

/** The `dependencies` and `peerDependencies` in the packed package.json of packages/<pkg>. */
function packedDeps(pkg: string): { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> } {
  const json = JSON.parse(execFileSync('tar', ['-xzOf', packs.get(pkg), 'package/package.json']).toString()) as Record<string, unknown>;
  return { dependencies: json.dependencies as Record<string, string>, peerDependencies: json.peerDependencies as Record<string, string> };
}

test.serial('@dpkit/pmd-ixgbe installs with @dpkit/eal, @dpkit/bifurc and @dpkit/ixgbe-defs alone, without the emulator, and loads', (t) => {
  t.deepEqual(packedDeps('ixgbe-defs'), { dependencies: undefined, peerDependencies: undefined }, '@dpkit/ixgbe-defs depends on nothing');
  t.false(execFileSync('tar', ['-tzf', packs.get('ixgbe-defs')]).toString().split('\n').some((f) => /\.(node|cc|h|gyp)$/.test(f)), 'no native code in @dpkit/ixgbe-defs');
  t.deepEqual(packedDeps('pmd-ixgbe').dependencies, { '@dpkit/ixgbe-defs': '^0.1.0' });
  // scripts allowed: an install script would fail here (no toolchain)
  const dir = install(['eal', 'bifurc', 'ixgbe-defs', 'pmd-ixgbe'], 'with-scripts');
  t.deepEqual(readdirSync(join(dir, 'node_modules/@dpkit')).sort(), ['bifurc', 'eal', 'ixgbe-defs', 'pmd-ixgbe'], 'no @dpkit/sim-82599 in node_modules');
  writeFileSync(join(dir, 'ixgbe.js'), `
    import { drivers } from '@dpkit/pmd-ixgbe';
    import { RX_QUEUES } from '@dpkit/ixgbe-defs/regs';
    const [d] = drivers;
    console.log(JSON.stringify({ names: drivers.map((x) => x.name), bus: d.bus, rows: d.idTable.length, sfp: d.idTable.find((r) => r.device === 0x10FB), rxQueues: RX_QUEUES }));
  `);
  const out = JSON.parse(execFileSync(process.execPath, ['ixgbe.js'], { cwd: dir, timeout: 30_000, env: noToolchain }).toString());
  t.deepEqual(out, { names: ['net_ixgbe'], bus: 'bifurc', rows: 20, sfp: { vendor: 0x8086, device: 0x10FB }, rxQueues: 128 });
});
