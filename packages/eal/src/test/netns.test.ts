import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { removeStaleNetns, testNetns } from '../linux/netns.js';
import { kernelTest } from '../testing.js';

const real = kernelTest(test.serial);
const exists = (ns: string) => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === ns);

real('a dead test process\'s namespace is removed with what still runs in it; a live one\'s stays', async (t) => {
  // a pid that is gone: a process that has exited
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = `dpkit-stale-${gone.stdout}-0-0`;
  const live = `dpkit-stale-${process.ppid}-0-0`; // our parent (the test runner) is alive
  for (const ns of [stale, live]) spawnSync('ip', ['netns', 'add', ns]);
  t.teardown(() => { for (const ns of [stale, live]) spawnSync('ip', ['netns', 'del', ns]); });
  const sleeper = spawn('ip', ['netns', 'exec', stale, 'sleep', '30'], { stdio: 'ignore' });
  const exited = new Promise<string | null>((ok) => sleeper.on('exit', (_code, sig) => ok(sig)));
  t.teardown(() => void sleeper.kill('SIGKILL'));
  for (let i = 0; i < 100 && !spawnSync('ip', ['netns', 'pids', stale], { encoding: 'utf8' }).stdout.trim(); i++) await new Promise((r) => setTimeout(r, 10));

  const removed = removeStaleNetns();
  t.true(removed.includes(stale), 'the dead process\'s namespace is removed');
  t.false(removed.includes(live));
  t.deepEqual([exists(stale), exists(live)], [false, true]);
  t.is(await exited, 'SIGKILL', 'what ran in it was killed');
});

real('testNetns: a namespace of the test\'s own, gone after its teardown with its processes', async (t) => {
  const teardowns: (() => void)[] = [];
  const ns = testNetns({ teardown: (fn) => teardowns.push(fn) }, 'own');
  t.regex(ns, new RegExp(`^dpkit-own-${process.pid}-\\d+-\\d+$`));
  t.true(exists(ns));
  const sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '30'], { stdio: 'ignore' });
  const exited = new Promise<string | null>((ok) => sleeper.on('exit', (_code, sig) => ok(sig)));
  for (let i = 0; i < 100 && !spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.trim(); i++) await new Promise((r) => setTimeout(r, 10));
  for (const fn of teardowns) fn();
  t.false(exists(ns));
  t.is(await exited, 'SIGKILL');
  t.throws(() => testNetns({ teardown: () => undefined }, 'Bad_Tag'), { message: "testNetns: tag 'Bad_Tag' must be lower-case letters and dashes" });
});
