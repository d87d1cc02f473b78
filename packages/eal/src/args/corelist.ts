/**
 * Core sets as DPDK's EAL writes them: `-c` hexadecimal masks, `-l` lists with ranges, and
 * `--lcores` maps of lcore ids to CPU sets. All parsers return sorted, de-duplicated ids and
 * throw a DpkitError naming the option and the bad part.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DpkitError } from '../errors.js';

/** Upper bound on lcore ids, as RTE_MAX_LCORE. */
export const MAX_LCORE = 128;

/** CPUs this machine has online (from sysfs; falls back to 0..n-1). */
export function onlineCpus(): number[] {
  try {
    return parseCoreList(readFileSync('/sys/devices/system/cpu/online', 'utf8').trim(), 'sysfs cpu/online');
  } catch {
    return Array.from({ length: availableParallelism() }, (_, i) => i);
  }
}

export function describeCpus(cpus: readonly number[]): string {
  return `${cpus.length} CPU${cpus.length === 1 ? '' : 's'}: ${formatCoreList(cpus)}`;
}

/** `-c 0x3` → [0, 1]. The 0x prefix is optional, as in DPDK. */
export function parseCoreMask(text: string, option = '-c'): number[] {
  const hex = text.trim().replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    throw new DpkitError(`invalid coremask '${text}' for ${option}: expected a hexadecimal mask such as 0x3`);
  }
  const cores: number[] = [];
  for (let i = 0; i < hex.length; i++) {
    const nibble = parseInt(hex[hex.length - 1 - i]!, 16);
    for (let b = 0; b < 4; b++) if (nibble & (1 << b)) cores.push(i * 4 + b);
  }
  if (cores.length === 0) throw new DpkitError(`invalid coremask '${text}' for ${option}: the mask selects no core`);
  return cores;
}

/** `-l 0-3,5` → [0, 1, 2, 3, 5]. */
export function parseCoreList(text: string, option = '-l'): number[] {
  const out = new Set<number>();
  const bad = () => new DpkitError(`invalid core list '${text}' for ${option}: expected numbers and ranges such as 0-3,5`);
  if (!text.trim()) throw bad();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new DpkitError(`invalid core list '${text}' for ${option}: range ${part} runs backwards`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

export function formatCoreList(cores: readonly number[]): string {
  const s = [...cores].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j === i ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * `--lcores` as DPDK defines it: a comma-separated list of `LCORES[@CPUS]` where LCORES and
 * CPUS are a number, a range `a-b`, or a group `(a,b-c)`. `1@2` runs lcore 1 on CPU 2;
 * `(0-1)@(0-1)` runs lcores 0 and 1 on CPUs 0-1; `3` runs lcore 3 on CPU 3.
 */
export function parseLcoresMap(text: string): Map<number, number[]> {
  const map = new Map<number, number[]>();
  const bad = (why: string) => new DpkitError(`invalid --lcores '${text}': ${why}; expected e.g. 0,1@1,(2-3)@(0-1)`);
  let i = 0;
  const readSet = (): number[] => {
    if (text[i] === '(') {
      const close = text.indexOf(')', i);
      if (close < 0) throw bad('unclosed parenthesis');
      const inner = text.slice(i + 1, close);
      i = close + 1;
      try {
        return parseCoreList(inner, '--lcores');
      } catch {
        throw bad(`bad group (${inner})`);
      }
    }
    const m = /^\d+(?:-\d+)?/.exec(text.slice(i));
    if (!m) throw bad(`unexpected '${text.slice(i) || 'end of text'}'`);
    i += m[0].length;
    return parseCoreList(m[0], '--lcores');
  };
  while (i < text.length) {
    const lcores = readSet();
    let cpus: number[] | undefined;
    if (text[i] === '@') {
      i++;
      cpus = readSet();
    }
    for (const l of lcores) {
      if (map.has(l)) throw bad(`lcore ${l} appears twice`);
      map.set(l, cpus ?? [l]);
    }
    if (i < text.length) {
      if (text[i] !== ',') throw bad(`unexpected '${text[i]}'`);
      i++;
    }
  }
  if (map.size === 0) throw bad('no lcore given');
  return map;
}
