/**
 * What each entry point of @dpkit/eal exports at run time is exactly the list the README gives
 * for it (the `<!-- exports: NAME -->` blocks under "Entry points"), imported by the package's
 * own name, as an application or a driver does: an export added by accident (an internal such
 * as the device manager, a registry, the DI tokens or the pool table) or a documented one that
 * went missing fails with the names that differ.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function documented(entry: string): string[] {
  const marker = `<!-- exports: ${entry} -->\n\`\`\`text\n`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker.trim()}" block`);
  const body = readme.slice(at + marker.length, readme.indexOf('\n```', at + marker.length));
  return body.split(/\s+/).filter(Boolean).sort();
}

// a string, so the compiler does not resolve the package's own name: node does, through `exports`
const load = (entry: string): Promise<Record<string, unknown>> => import(entry) as Promise<Record<string, unknown>>;

for (const entry of ['@dpkit/eal', '@dpkit/eal/driver', '@dpkit/eal/testing', '@dpkit/eal/linux', '@dpkit/eal/pdump']) {
  test(`${entry} exports exactly what the README lists`, async (t) => {
    const actual = Object.keys(await load(entry)).sort();
    const listed = documented(entry);
    t.deepEqual(
      { exportedButNotListed: actual.filter((n) => !listed.includes(n)), listedButNotExported: listed.filter((n) => !actual.includes(n)) },
      { exportedButNotListed: [], listedButNotExported: [] },
    );
  });
}

test('the application entry point exports none of the EAL internals', async (t) => {
  const app = await load('@dpkit/eal');
  for (const internal of ['DeviceManager', 'BusRegistry', 'DriverRegistry', 'Tokens', 'mempools', 'EthDevRegistry', 'LcoreManager', 'LogRegistry']) {
    t.false(internal in app, `${internal} is exported by @dpkit/eal`);
  }
});
