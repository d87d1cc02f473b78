/**
 * Device arguments: `[bus:]name,key=val,...` and their key/value lists, checked against a
 * typed schema that each driver declares. The schema gives the values their types, the
 * defaults, and the parameter string that `-h` shows (as RTE_PMD_REGISTER_PARAM_STRING does).
 */
import { DpkitError } from '../errors.js';

export type ParamSpec =
  | { type: 'int'; default?: number; min?: number; max?: number; help?: string }
  | { type: 'bool'; default?: boolean; help?: string }
  | { type: 'string'; default?: string; choices?: readonly string[]; syntax?: string; help?: string }
  | { type: 'mac'; default?: string; help?: string };

export type ParamSchema = Readonly<Record<string, ParamSpec>>;

/** int: number; bool: boolean; a string with `choices`: one of them; any other: string. */
type ValueOf<S extends ParamSpec> = S extends { type: 'int' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'string'; choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** The typed values a schema yields; keys without a default may be absent. */
export type ParamValues<S extends ParamSchema> = {
  [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** A schema literal, kept with its exact types. */
export function defineParams<const S extends ParamSchema>(schema: S): S {
  return schema;
}

/** `size=<int> copy=<0|1> no-rx=<0|1>`: the parameter string shown by `-h`. */
export function paramString(schema: ParamSchema): string {
  return Object.entries(schema)
    .map(([key, spec]) => {
      switch (spec.type) {
        case 'int': return `${key}=<int>`;
        case 'bool': return `${key}=<0|1>`;
        case 'mac': return `${key}=<mac>`;
        case 'string': return `${key}=${spec.syntax ?? (spec.choices ? spec.choices.join('|') : '<string>')}`;
      }
    })
    .join(' ');
}

export interface Devargs {
  /** bus name when given as `bus:name`, else undefined (the bus is found by the name) */
  bus: string | undefined;
  /** device name, e.g. `net_null0` or `0000:03:00.0` */
  name: string;
  /** the raw `key=val,...` part, without the name */
  args: string;
  /** the text as the user gave it */
  text: string;
}

/** Splits `a=1,b=[x,y],c` at top-level commas (brackets protect lists, as in rte_kvargs). */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

export function parseDevargs(text: string): Devargs {
  const trimmed = text.trim();
  const [head, ...rest] = splitTopLevel(trimmed);
  let bus: string | undefined;
  let name = head ?? '';
  // `bus:name` — but a PCI address (0000:03:00.0) also has colons: only a leading word that is
  // not hexadecimal-looking counts as a bus name.
  const m = /^([a-z][a-z0-9_]*):(.+)$/.exec(name);
  if (m && !/^[0-9a-f]{4}:[0-9a-f]{2}:/i.test(name)) {
    bus = m[1];
    name = m[2]!;
  }
  if (!name || name.includes('=')) {
    throw new DpkitError(`invalid devargs '${text}': expected [bus:]name[,key=value,...], e.g. net_null0,size=64`);
  }
  return { bus, name, args: rest.join(','), text: trimmed };
}

/** Raw key/value pairs in order; a key without '=' has the value ''. */
export function parseKvargs(args: string, owner: string): [string, string][] {
  if (!args.trim()) return [];
  return splitTopLevel(args).map((pair) => {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!key) throw new DpkitError(`${owner}: empty devarg in '${args}'; expected key=value pairs separated by commas`);
    return [key, eq < 0 ? '' : pair.slice(eq + 1).trim()];
  });
}

/**
 * Checks `args` against `schema` and returns typed values with defaults filled in. Unknown keys,
 * bad values and duplicates are errors naming the driver and the key.
 */
export function parseParams<S extends ParamSchema>(owner: string, schema: S, args: string): ParamValues<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) if (spec.default !== undefined) out[key] = spec.default;
  const seen = new Set<string>();
  for (const [key, raw] of parseKvargs(args, owner)) {
    const spec = schema[key];
    if (!spec) {
      const valid = Object.keys(schema);
      throw new DpkitError(
        `${owner}: unknown devarg '${key}' (${valid.length ? `valid: ${valid.join(', ')}` : 'this driver takes no devargs'})`,
      );
    }
    if (seen.has(key)) throw new DpkitError(`${owner}: devarg '${key}' is given twice`);
    seen.add(key);
    out[key] = convert(owner, key, spec, raw);
  }
  return out as ParamValues<S>;
}

function convert(owner: string, key: string, spec: ParamSpec, raw: string): unknown {
  const bad = (what: string) => new DpkitError(`${owner}: devarg ${key}='${raw}' is not valid: expected ${what}`);
  switch (spec.type) {
    case 'int': {
      if (!/^-?(?:\d+|0x[0-9a-f]+)$/i.test(raw)) throw bad('an integer');
      // the sign applies once: Number() reads '0x10' and '10', not '-0x10'
      const neg = raw.startsWith('-');
      const n = (neg ? -1 : 1) * Number(neg ? raw.slice(1) : raw);
      if (!Number.isSafeInteger(n)) throw bad('an integer');
      if (spec.min !== undefined && n < spec.min) throw bad(`an integer >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`an integer <= ${spec.max}`);
      return n;
    }
    case 'bool':
      if (raw === '1' || raw === 'true' || raw === 'on' || raw === 'yes') return true;
      if (raw === '0' || raw === 'false' || raw === 'off' || raw === 'no') return false;
      throw bad('0 or 1');
    case 'mac':
      if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(raw)) throw bad('a MAC address such as 02:00:00:00:00:01');
      return raw.toLowerCase();
    case 'string':
      if (!raw) throw bad('a value');
      if (spec.choices && !spec.choices.includes(raw)) throw bad(`one of ${spec.choices.join(', ')}`);
      return raw;
  }
}
