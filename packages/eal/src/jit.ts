/**
 * V8 compiler settings for forwarding loops. A burst function (an engine's packetFwd, with the
 * rx burst, the free and the mempool's loops it calls) is a few small functions deep; V8
 * inlines callees into the function it optimises until their bytecode adds up to
 * `--max-inlined-bytecode-size-cumulative` (920 bytes by default in Node 20's V8 11.3). The
 * generic layers of a burst spend that budget before the innermost loops (a pool's specialised
 * alloc and free) are reached, which then run out of line. `Eal.init` raises the budget before
 * any lcore starts (bench/README.md: rxonly and io on net_null).
 *
 * V8 flags are process-wide, and Node documents changing them after start-up as unsupported in
 * general; a compiler budget is read each time a function is optimised, so what is compiled
 * after the change uses it (measured, bench/README.md). `DPKIT_V8_FLAGS` replaces the list
 * (empty: none); so does `EalInitOptions.v8Flags`.
 */
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { DpkitError } from './errors.js';

/** What `Eal.init` sets unless told otherwise. */
export const FORWARDING_V8_FLAGS: readonly string[] = Object.freeze(['--max-inlined-bytecode-size-cumulative=3000']);

/** V8's flags and their types, from `node --v8-options` (read only when DPKIT_V8_FLAGS is set). */
function v8FlagTypes(): Map<string, string> {
  const r = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) {
    throw new DpkitError(`DPKIT_V8_FLAGS: cannot check it: '${process.execPath} --v8-options' gave no list of V8's flags (${r.error?.message ?? `exit status ${r.status}`}); unset DPKIT_V8_FLAGS for dpkit's default, set it empty for none`, 'EINVAL');
  }
  const types = new Map<string, string>();
  let name: string | undefined;
  for (const line of (r.stdout ?? '').split('\n')) {
    const f = /^ {2}--([a-z0-9-]+) /.exec(line);
    if (f) name = f[1];
    const t = /^\s+type: (\w+)/.exec(line);
    if (t && name !== undefined) types.set(name, t[1]!);
  }
  return types;
}

const VALUE: Record<string, RegExp> = { int: /^-?\d+$/, int64: /^-?\d+$/, uint: /^\d+$/, uint64: /^\d+$/, size_t: /^\d+$/, float: /^-?\d+(\.\d+)?$/, string: /^\S*$/ };

/**
 * The flags to set: `DPKIT_V8_FLAGS` (whitespace-separated; empty for none) when it is set,
 * otherwise `FORWARDING_V8_FLAGS`. A word that is not one of this Node's V8 flags, spelt
 * `--name`, `--no-name` (booleans) or `--name=value` of the flag's type, is refused in one line.
 */
export function v8FlagsFromEnv(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const v = env.DPKIT_V8_FLAGS;
  if (v === undefined) return FORWARDING_V8_FLAGS;
  const words = v.split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const types = v8FlagTypes();
  const how = 'see `node --v8-options`; unset DPKIT_V8_FLAGS for dpkit\'s default, set it empty for none';
  for (const w of words) {
    const m = /^--([a-z0-9_-]+)(?:=(.*))?$/.exec(w);
    const name = m?.[1]?.replace(/_/g, '-');
    const value = m?.[2];
    const plain = name !== undefined && types.has(name) ? name : name?.startsWith('no-') && types.get(name.slice(3))?.endsWith('bool') ? name.slice(3) : undefined;
    if (plain === undefined) throw new DpkitError(`DPKIT_V8_FLAGS: '${w}' is not a V8 flag of this Node (${how})`, 'EINVAL');
    const type = types.get(plain)!;
    const ok = type.endsWith('bool') ? value === undefined : value !== undefined && plain === name && VALUE[type] !== undefined && VALUE[type]!.test(value);
    if (!ok) throw new DpkitError(`DPKIT_V8_FLAGS: '${w}': --${plain} takes ${type.endsWith('bool') ? 'no value (--name or --no-name)' : `a value of type ${type} (--${plain}=VALUE)`} (${how})`, 'EINVAL');
  }
  return words;
}

let applied: readonly string[] = [];

/** Sets `flags` in this process's V8 (each with v8.setFlagsFromString). */
export function setV8Flags(flags: readonly string[]): void {
  for (const f of flags) setFlagsFromString(f);
  applied = [...flags];
}

/** The flags `setV8Flags` last set (the EAL's debug log shows them). */
export function appliedV8Flags(): readonly string[] {
  return applied;
}
