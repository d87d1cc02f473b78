/**
 * How `-d` finds a driver given by package name, as the guide says: the name is imported by
 * @dpkit/eal itself, so it resolves from the directory @dpkit/eal is installed in, upwards. In
 * an npm-style install (both in the application's node_modules) it loads; a driver installed
 * only below the application, where @dpkit/eal's directory does not lead, is not found, and a
 * path finds it. Each layout runs in a child process with its own installed copy of @dpkit/eal.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ealPackageDir } from '../instance.js';

/** A copy of the built @dpkit/eal in `nodeModules`, its dependencies linked next to it. */
function installEal(nodeModules: string): void {
  const copy = join(nodeModules, '@dpkit', 'eal');
  mkdirSync(copy, { recursive: true });
  cpSync(join(ealPackageDir, 'package.json'), join(copy, 'package.json'));
  cpSync(join(ealPackageDir, 'dist'), join(copy, 'dist'), { recursive: true, filter: (p) => !/\/dist\/test(\/|$)/.test(p) });
  for (const dep of ['tsyringe', 'reflect-metadata', 'eventemitter3', 'node-gyp-build']) {
    symlinkSync(join(ealPackageDir, 'node_modules', dep), join(nodeModules, dep));
  }
}

/** A driver package `pmd-mine` (net_mine) in `nodeModules`. */
function installDriver(nodeModules: string): void {
  const dir = join(nodeModules, 'pmd-mine');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pmd-mine', type: 'module', exports: './index.js', peerDependencies: { '@dpkit/eal': '*' } }));
  writeFileSync(join(dir, 'index.js'), [
    "import { defineDriver, removePorts } from '@dpkit/eal/driver';",
    "export const driver = defineDriver({ name: 'net_mine', bus: 'vdev', drvFlags: 0, params: {}, probe() {}, remove: removePorts });",
  ].join('\n'));
}

/** Runs an application in `appDir` that starts an EAL with `-d spec`; its output line. */
function runApp(appDir: string, spec: string): string {
  writeFileSync(join(appDir, 'app.mjs'), [
    "import { Eal } from '@dpkit/eal';",
    'try {',
    `  const eal = await Eal.init(['-l', '0', '--no-pci', '--file-prefix=dload-' + process.pid, '-d', ${JSON.stringify(spec)}]);`,
    "  console.log('loaded ' + eal.drivers.all().map((d) => d.name).filter((n) => n === 'net_mine').join(','));",
    '  await eal.cleanup();',
    '} catch (err) { console.log(err.message); }',
  ].join('\n'));
  const r = spawnSync(process.execPath, ['app.mjs'], { cwd: appDir, encoding: 'utf8', timeout: 30_000 });
  return (r.stdout + r.stderr).trim();
}

test('-d NAME resolves from where @dpkit/eal is installed: the application node_modules of an npm install', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dpkit-dload-'));
  try {
    installEal(join(root, 'node_modules'));
    installDriver(join(root, 'node_modules'));
    t.is(runApp(root, 'pmd-mine'), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-d NAME does not see a driver that only the application can import; a path loads it', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dpkit-dload-'));
  try {
    installEal(join(root, 'node_modules'));
    const app = join(root, 'app');
    installDriver(join(app, 'node_modules')); // the application resolves it, @dpkit/eal does not
    t.is(runApp(app, 'pmd-mine'), "-d pmd-mine: cannot load driver module (not found); give an installed package name or a path to a .js file");
    t.is(runApp(app, './node_modules/pmd-mine/index.js'), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
