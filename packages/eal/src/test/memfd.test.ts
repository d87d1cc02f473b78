/**
 * The addon's memfd mappings: one larger than Node's largest external ArrayBuffer (4 GiB in
 * Node 20) is refused in one line before anything is mapped, and the process goes on.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasLinux } from '../linux/native.js';

const fixture = fileURLToPath(new URL('./fixtures/big-memfd.js', import.meta.url));
const real = hasLinux() ? test : test.skip;

real('a memfd mempool beyond 4 GiB is refused in one line (the process does not abort)', (t) => {
  const r = spawnSync(process.execPath, [fixture], { encoding: 'utf8', timeout: 60_000 });
  t.is(r.signal, null, `the child was not killed (stderr: ${r.stderr.trim().split('\n')[0] ?? ''})`);
  t.is(r.status, 0);
  const out = JSON.parse(r.stdout) as { error: string; code: string };
  t.regex(out.error, /^memory: cannot map [\d.]+ MB of memfd memory for 'mempool:big': a mapping of \d+ bytes is larger than Node's largest ArrayBuffer over external memory \(4294967296 bytes\)$/);
  t.is(out.code, 'E2BIG');
});
