/**
 * `-d` modules may export `providers` besides (or instead of) drivers: the EAL offers them, as
 * opaque values, to the buses that declare `addProviders`, in registration order, and fails
 * init in one line for a provider no bus takes. The EAL knows no provider type: here a bus of
 * the test's own takes the providers of kind 'mine'.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Eal } from '../eal.js';
import { DpkitError } from '../errors.js';
import type { Bus } from '../driver/types.js';

let seq = 0;
const prefix = () => `--file-prefix=prov-${process.pid}-${threadId}-${seq++}`;

/** A bus that takes the providers of kind 'mine' and records them with where they came from. */
function providerBus(name: string, kind: string): Bus & { got: string[] } {
  const got: string[] = [];
  return {
    name, got,
    scan() {},
    parse: () => undefined,
    probe: async () => {},
    plug: () => Promise.reject(new DpkitError('no plug')),
    unplug: async () => {},
    devices: () => [],
    addProviders(list, from) {
      const rest: unknown[] = [];
      for (const p of list) {
        if (typeof p === 'object' && p !== null && 'kind' in p && p.kind === kind && 'name' in p) got.push(`${String(p.name)} from ${from}`);
        else rest.push(p);
      }
      return rest;
    },
  };
}

function withModule(code: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dpkit-prov-'));
  const path = join(dir, 'plugin.mjs');
  writeFileSync(path, code);
  return fn(path).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('a -d module exporting only providers loads, and each bus that takes providers gets its own, in order', async (t) => {
  await withModule("export const providers = [{ kind: 'mine', name: 'p1' }, { kind: 'theirs', name: 'p2' }, { kind: 'mine', name: 'p3' }];", async (path) => {
    const mine = providerBus('mine', 'mine');
    const theirs = providerBus('theirs', 'theirs');
    const eal = (await Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path], { buses: [mine, theirs] }))!;
    await eal.cleanup();
    t.deepEqual(mine.got, [`p1 from -d ${path}`, `p3 from -d ${path}`]);
    t.deepEqual(theirs.got, [`p2 from -d ${path}`]);
  });
});

test('a provider no bus takes fails init in one line naming the module and the fix', async (t) => {
  await withModule("export const providers = { kind: 'unknown', name: 'p9' };", async (path) => {
    const e = await t.throwsAsync(Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path], { buses: [providerBus('mine', 'mine')] }), { instanceOf: DpkitError });
    t.is(e.message, `-d ${path}: 1 of its providers is taken by no bus (mine did not recognise it); register the bus the provider is for (Eal.init's buses), or load the right module`);
    const none = await t.throwsAsync(Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path]), { instanceOf: DpkitError });
    t.is(none.message, `-d ${path}: 1 of its providers is taken by no bus (no registered bus takes providers); register the bus the provider is for (Eal.init's buses), or load the right module`);
  });
});

test('a -d module with neither drivers nor providers is one line', async (t) => {
  await withModule('export const nothing = 1;', async (path) => {
    const e = await t.throwsAsync(Eal.init(['-l', '0', '--no-pci', prefix(), '-d', path]), { instanceOf: DpkitError });
    t.is(e.message, `-d ${path}: the module exports no driver (expected 'drivers', 'driver' or a default descriptor) and no 'providers'`);
  });
});
