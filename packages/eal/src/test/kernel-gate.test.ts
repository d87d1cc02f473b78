/**
 * Where the process is root, kernel tests must run: a missing Linux addon or a missing `ip`
 * makes them fail with one line, never skip (a broken install must not pass `npm test`).
 * Checked in child processes: one whose PATH has no `ip`, one loading a copy of the built
 * package that has no addon.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ealPackageDir } from '../instance.js';

const root = process.getuid?.() === 0;

/** Runs kernelTestStatus() of the package at `pkg` in a child process with `env`. */
function status(pkg: string, env: NodeJS.ProcessEnv): { skip?: string; broken?: string } {
  const url = pathToFileURL(join(pkg, 'dist', 'testing.js')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const m = await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify(m.kernelTestStatus()));`], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { skip?: string; broken?: string };
}

test('kernel tests: not root skips; root without ip fails with one line naming iproute2', (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'dpkit-nopath-'));
  try {
    const s = status(ealPackageDir, { PATH: empty });
    if (!root) {
      t.deepEqual(s, { skip: 'not root' });
      return;
    }
    t.is(s.skip, undefined, 'root never skips');
    t.regex(s.broken ?? '', /^the kernel tests need iproute2's ip command, which does not run here \(.*\): apt-get install iproute2 \(this process is root, so they fail instead of being skipped\)$/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

(root ? test : test.skip)('kernel tests: root with no Linux addon fails with one line naming the addon', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-noaddon-'));
  try {
    // the built package with neither build/Release nor prebuilds/: what an install on a
    // platform with no prebuild leaves until the addon is built from source
    const copy = join(dir, 'node_modules', '@dpkit', 'eal');
    mkdirSync(copy, { recursive: true });
    cpSync(join(ealPackageDir, 'package.json'), join(copy, 'package.json'));
    cpSync(join(ealPackageDir, 'dist'), join(copy, 'dist'), { recursive: true, filter: (p) => !/\/dist\/test(\/|$)/.test(p) });
    for (const dep of ['tsyringe', 'reflect-metadata', 'eventemitter3', 'node-gyp-build']) symlinkSync(join(ealPackageDir, 'node_modules', dep), join(dir, 'node_modules', dep));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const s = status(copy, process.env);
    t.is(s.skip, undefined, 'root never skips');
    t.regex(s.broken ?? '', /^kernel testing needs dpkit's Linux addon, which is unavailable: no addon loads \(No native build was found for platform=linux arch=x64 .*\); build it from source with `npx @dpkit\/eal build-native` in the application's directory \(needs a C\+\+17 compiler, make and python3\) \(this process is root, so the kernel tests must run: they fail instead of being skipped\)$/);
    t.false((s.broken ?? '').includes('\n'), 'one line');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
