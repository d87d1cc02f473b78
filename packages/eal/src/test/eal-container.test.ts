/**
 * The EAL's composition root: the Linux binding is a dependency it resolves from its container,
 * so an application or a test can give its own. Here a recording stand-in sees the main lcore
 * pinned at init and its CPU mask given back at cleanup, with no kernel involved.
 */
import test from 'ava';
import { threadId } from 'node:worker_threads';
import { Eal } from '../eal.js';
import type { LinuxBinding } from '../linux/native.js';

test('Eal.init pins the main lcore through the Linux binding it is given, and cleanup gives the mask back', async (t) => {
  const calls: string[] = [];
  const used = { getAffinity: () => (calls.push('getAffinity'), [0, 1, 2, 3]), setAffinity: (cpus: number[]) => void calls.push(`setAffinity ${cpus.join(',')}`) };
  // a stand-in for the addon: the two calls the EAL makes (--no-telemetry: the telemetry socket
  // would be a third, tested in telemetry.test.ts), anything else is a failure that names it
  const binding = new Proxy(used, {
    get: (o, k) => (k in o ? o[k as keyof typeof used] : () => { throw new Error(`unexpected call of ${String(k)}`); }),
  }) as unknown as LinuxBinding;
  const eal = (await Eal.init(['-l', '0', '--no-pci', '--no-telemetry', `--file-prefix=container-${process.pid}-${threadId}`], { linux: binding }))!;
  t.deepEqual(calls, ['getAffinity', 'setAffinity 0']);
  await eal.cleanup();
  t.deepEqual(calls, ['getAffinity', 'setAffinity 0', 'setAffinity 0,1,2,3']);
});
