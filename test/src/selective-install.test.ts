/**
 * Each package is publishable on its own: pack them as npm would publish them, install a
 * selection into an empty directory, and use it. Dependencies come from the npm registry
 * (or npm's cache); the @dpkit packages only from the tarballs.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'dpkit-pack-'));
const tarballs = new Map<string, string>();

test.before(() => {
  for (const pkg of ['eal', 'pmd-null', 'pmd-ring', 'pmd-af-xdp', 'pmd-af-packet', 'bifurc', 'testpmd']) {
    execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: join(root, 'packages', pkg), stdio: 'pipe', timeout: 60_000 });
  }
  for (const f of readdirSync(work)) {
    const m = /^dpkit-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f);
    if (m) tarballs.set(m[1]!, join(work, f));
  }
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

function install(names: string[]): string {
  const dir = mkdtempSync(join(work, 'app-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...names.map((n) => tarballs.get(n)!)], {
    cwd: dir, stdio: 'pipe', timeout: 120_000,
  });
  return dir;
}

test.serial('packages carry their build and no tests', (t) => {
  t.deepEqual([...tarballs.keys()].sort(), ['bifurc', 'eal', 'pmd-af-packet', 'pmd-af-xdp', 'pmd-null', 'pmd-ring', 'testpmd']);
  const list = execFileSync('tar', ['-tzf', tarballs.get('eal')!]).toString();
  t.regex(list, /package\/dist\/index\.js/);
  t.regex(list, /package\/dist\/index\.d\.ts/);
  t.regex(list, /package\/README\.md/);
  t.notRegex(list, /dist\/test\//);
  t.notRegex(list, /package\/src\//);
});

test.serial('@dpkit/eal and @dpkit/pmd-null alone make a working app', (t) => {
  const dir = install(['eal', 'pmd-null']);
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
  const out = JSON.parse(execFileSync(process.execPath, ['app.js'], { cwd: dir, timeout: 30_000 }).toString());
  t.deepEqual(out, { rx: 3200, tx: 3200, bytes: 3200 * 60, avail: 2048, size: 2048 });
});

test.serial('@dpkit/testpmd installs with its drivers and runs', (t) => {
  const dir = install(['eal', 'pmd-null', 'pmd-ring', 'pmd-af-xdp', 'pmd-af-packet', 'bifurc', 'testpmd']);
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
