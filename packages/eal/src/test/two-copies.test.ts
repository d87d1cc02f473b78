/**
 * A driver loaded with `-d` from a checkout that carries its own copy of @dpkit/eal: the
 * second copy refuses to load, in one line naming both copies and the fix, instead of the
 * driver's fast path crashing on pools it cannot see.
 */
import test from 'ava';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Eal } from '../eal.js';
import { DpkitError } from '../errors.js';
import { ealPackageDir } from '../instance.js';

/** A directory with a driver module and its own copy of the built @dpkit/eal. */
function checkoutWithOwnCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-copy-'));
  const copy = join(dir, 'node_modules', '@dpkit', 'eal');
  mkdirSync(copy, { recursive: true });
  cpSync(join(ealPackageDir, 'package.json'), join(copy, 'package.json'));
  cpSync(join(ealPackageDir, 'dist'), join(copy, 'dist'), { recursive: true, filter: (p) => !/\/dist\/test(\/|$)/.test(p) });
  // the copy's own dependencies, as its install would have put them there
  for (const dep of ['tsyringe', 'reflect-metadata', 'eventemitter3']) {
    symlinkSync(join(ealPackageDir, 'node_modules', dep), join(dir, 'node_modules', dep));
  }
  writeFileSync(join(dir, 'driver.mjs'), [
    "import { defineDriver, removePorts } from '@dpkit/eal/driver';",
    "export const driver = defineDriver({ name: 'net_elsewhere', bus: 'vdev', drvFlags: 0, params: {}, probe() {}, remove: removePorts });",
  ].join('\n'));
  return dir;
}

test('a -d driver with its own copy of @dpkit/eal is refused in one line naming both copies', async (t) => {
  const dir = checkoutWithOwnCopy();
  try {
    const err = await t.throwsAsync(Eal.init(['-l', '0', '--no-pci', `--file-prefix=copies-${process.pid}`, '-d', join(dir, 'driver.mjs')]));
    t.true(err instanceof DpkitError, String(err));
    t.false(err!.message.includes('\n'), 'one line');
    t.true(err!.message.startsWith(`-d ${join(dir, 'driver.mjs')}: two copies of @dpkit/eal in one process (${ealPackageDir} and ${join(dir, 'node_modules', '@dpkit', 'eal')})`), err!.message);
    t.regex(err!.message, /make @dpkit\/eal a peer dependency of the driver package/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
