import test from 'ava';
import { spawnSync } from 'node:child_process';
import { DpkitError } from '../errors.js';
import { FORWARDING_V8_FLAGS, v8FlagsFromEnv } from '../jit.js';

const index = new URL('../index.js', import.meta.url).href;

/**
 * Runs Eal.init in a child (V8 flags are process-wide) and reports the flags the EAL set and
 * whether V8 now compiles `%` natives syntax, which only `--allow-natives-syntax` permits: a
 * flag that was recorded but never reached V8 shows as natives: false.
 */
function initIn(env: Record<string, string | undefined>, options = ''): { flags: string[]; natives: boolean } | string {
  const code = `
    import { Eal, appliedV8Flags } from '${index}';
    const eal = await Eal.init(['-l', '0', '--no-pci', '--no-telemetry', '--file-prefix=jit-test-${process.pid}'], { ${options} });
    let natives = true;
    try { new Function('return %IsSmi(1)')(); } catch { natives = false; }
    await eal.cleanup();
    console.log(JSON.stringify({ flags: appliedV8Flags(), natives }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, DPKIT_V8_FLAGS: undefined, ...env }, timeout: 30_000 });
  if (r.status !== 0) return r.stderr.trim();
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { flags: string[]; natives: boolean };
}

test('Eal.init sets the forwarding flags by default, DPKIT_V8_FLAGS instead when set, the option over both', (t) => {
  t.deepEqual(initIn({}), { flags: [...FORWARDING_V8_FLAGS], natives: false });
  t.deepEqual(initIn({ DPKIT_V8_FLAGS: ' --allow-natives-syntax  --max-inlined-bytecode-size=500 ' }), { flags: ['--allow-natives-syntax', '--max-inlined-bytecode-size=500'], natives: true });
  t.deepEqual(initIn({ DPKIT_V8_FLAGS: '' }), { flags: [], natives: false });
  t.deepEqual(initIn({ DPKIT_V8_FLAGS: '--max-inlined-bytecode-size=500' }, "v8Flags: ['--allow-natives-syntax']"), { flags: ['--allow-natives-syntax'], natives: true });
});

test('a DPKIT_V8_FLAGS word V8 would not take is one line naming it', (t) => {
  const bad = (v: string, re: RegExp) => {
    const err = t.throws(() => v8FlagsFromEnv({ DPKIT_V8_FLAGS: v }), { instanceOf: DpkitError });
    t.regex(err!.message, re);
    t.false(err!.message.includes('\n'));
  };
  bad('--no-such-flag', /^DPKIT_V8_FLAGS: '--no-such-flag' is not a V8 flag of this Node \(see `node --v8-options`/);
  bad('max-inlined-bytecode-size=500', /'max-inlined-bytecode-size=500' is not a V8 flag/);
  bad('--max-inlined-bytecode-size=big', /'--max-inlined-bytecode-size=big': --max-inlined-bytecode-size takes a value of type int \(--max-inlined-bytecode-size=VALUE\)/);
  bad('--max-inlined-bytecode-size', /takes a value of type int/);
  bad('--allow-natives-syntax=1', /--allow-natives-syntax takes no value \(--name or --no-name\)/);
  bad('--no-max-inlined-bytecode-size', /is not a V8 flag/);
  t.deepEqual(v8FlagsFromEnv({ DPKIT_V8_FLAGS: '--no-use-osr --max_inlined_bytecode_size=10' }), ['--no-use-osr', '--max_inlined_bytecode_size=10']);
});
