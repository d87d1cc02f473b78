/**
 * How `-d` finds a driver given by package name, as the guide says: first as the application
 * resolves its own imports (from its main module's real directory, or the working directory when
 * there is no main module), then from the directory @dpkit/eal is installed in. So a driver that
 * only the application can import loads by name (pnpm, linked workspaces), and a name found
 * nowhere is one line naming both places. Each layout runs in a child process with its own
 * installed copy of @dpkit/eal.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** The application's code: start an EAL with `-d spec`, print which driver loaded or the error line. */
function appCode(spec: string): string {
  return [
    "import { Eal } from '@dpkit/eal';",
    'try {',
    `  const eal = await Eal.init(['-l', '0', '--no-pci', '--file-prefix=dload-' + process.pid, '-d', ${JSON.stringify(spec)}]);`,
    "  console.log('loaded ' + eal.drivers.all().map((d) => d.name).filter((n) => n === 'net_mine').join(','));",
    '  await eal.cleanup();',
    '} catch (err) { console.log(err.message); }',
  ].join('\n');
}

function output(r: { stdout: string; stderr: string }): string {
  return (r.stdout + r.stderr).trim();
}

/** Runs `node MAIN` (default: `appDir`/app.mjs, the application starting an EAL with `-d spec`) in `cwd`; its output. */
function runApp(appDir: string, spec: string, o: { cwd?: string; main?: string } = {}): string {
  writeFileSync(join(appDir, 'app.mjs'), appCode(spec));
  const r = spawnSync(process.execPath, [o.main ?? join(appDir, 'app.mjs')], { cwd: o.cwd ?? appDir, encoding: 'utf8', timeout: 30_000 });
  return output(r);
}

/** Each test's layout: @dpkit/eal in ROOT/node_modules, the application in ROOT/app. */
function layout(): { root: string; app: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'dpkit-dload-')));
  installEal(join(root, 'node_modules'));
  const app = join(root, 'app');
  mkdirSync(app);
  return { root, app };
}

test('-d NAME in an npm install (the driver and @dpkit/eal both in the application node_modules) loads', (t) => {
  const { root } = layout();
  try {
    installDriver(join(root, 'node_modules'));
    t.is(runApp(root, 'pmd-mine'), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-d NAME resolves from the application\'s main module first: a driver @dpkit/eal cannot import loads, whatever the working directory', (t) => {
  const { root, app } = layout();
  try {
    installDriver(join(app, 'node_modules')); // the application resolves it, @dpkit/eal does not
    t.is(runApp(app, 'pmd-mine', { cwd: root }), 'loaded net_mine');
    t.is(runApp(app, './node_modules/pmd-mine/index.js'), 'loaded net_mine'); // a path, from the working directory
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-d NAME: the main module\'s real path counts, not the symlink it was started through', (t) => {
  const { root, app } = layout();
  try {
    installDriver(join(app, 'node_modules'));
    mkdirSync(join(root, 'bin'));
    symlinkSync(join(app, 'app.mjs'), join(root, 'bin', 'app.mjs'));
    t.is(runApp(app, 'pmd-mine', { cwd: root, main: join(root, 'bin', 'app.mjs') }), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-d NAME with no main module (node -e) resolves from the working directory', (t) => {
  const { root, app } = layout();
  try {
    installDriver(join(app, 'node_modules'));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', appCode('pmd-mine')], { cwd: app, encoding: 'utf8', timeout: 30_000 });
    t.is(output(r), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-d NAME the application cannot import falls back to @dpkit/eal\'s directory', (t) => {
  const { root } = layout();
  const app = realpathSync(mkdtempSync(join(tmpdir(), 'dpkit-dload-app-'))); // outside ROOT: it imports @dpkit/eal by path
  try {
    installDriver(join(root, 'node_modules'));
    const ealIndex = pathToFileURL(join(root, 'node_modules', '@dpkit', 'eal', 'dist', 'index.js')).href;
    writeFileSync(join(app, 'app.mjs'), appCode('pmd-mine').replace("'@dpkit/eal'", JSON.stringify(ealIndex)));
    const r = spawnSync(process.execPath, ['app.mjs'], { cwd: app, encoding: 'utf8', timeout: 30_000 });
    t.is(output(r), 'loaded net_mine');
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(app, { recursive: true, force: true });
  }
});

test('-d NAME found nowhere: one line naming where it looked and the fix', (t) => {
  const { root, app } = layout();
  try {
    t.is(
      runApp(app, 'pmd-absent'),
      `-d pmd-absent: driver package not found from the application (${app}) nor from @dpkit/eal (${join(root, 'node_modules', '@dpkit', 'eal')}); ` +
        'install it as a dependency of the application, or give a path to its module (-d ./path/to/index.js)',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
