/**
 * Log types with levels, after rte_log: one log type per component (`eal`, `pmd.net.null`,
 * `testpmd`...), each with its own level, set with `--log-level=TYPE:LEVEL` where TYPE is a
 * glob (`pmd.net.*`) or, as in DPDK, a regular expression. Messages go to stderr so they never
 * mix with an application's output on stdout. Control path only: never log per packet.
 */
import { DpkitError } from '../errors.js';

export const LogLevel = {
  EMERG: 1,
  ALERT: 2,
  CRIT: 3,
  ERR: 4,
  WARNING: 5,
  NOTICE: 6,
  INFO: 7,
  DEBUG: 8,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const LEVEL_NAMES: Record<string, LogLevel> = {
  emerg: 1, alert: 2, crit: 3, critical: 3, err: 4, error: 4, warning: 5, warn: 5,
  notice: 6, info: 7, debug: 8,
};

/** Parses a level given as a name (`debug`) or a number (`8`). */
export function parseLogLevel(text: string): LogLevel {
  const byName = LEVEL_NAMES[text.toLowerCase()];
  if (byName !== undefined) return byName;
  const n = Number(text);
  if (Number.isInteger(n) && n >= 1 && n <= 8) return n as LogLevel;
  throw new DpkitError(
    `invalid log level '${text}': use a number 1-8 or one of emerg, alert, crit, err, warning, notice, info, debug`,
  );
}

export type LogSink = (line: string) => void;

export class LogType {
  constructor(
    readonly name: string,
    public level: LogLevel,
    private readonly registry: LogRegistry,
  ) {}

  enabled(level: LogLevel): boolean {
    return level <= this.level && level <= this.registry.globalLevel;
  }

  log(level: LogLevel, message: string): void {
    if (this.enabled(level)) this.registry.sink(`${this.registry.prefixFor(this.name)}${message}`);
  }

  err(message: string): void { this.log(LogLevel.ERR, message); }
  warn(message: string): void { this.log(LogLevel.WARNING, message); }
  notice(message: string): void { this.log(LogLevel.NOTICE, message); }
  info(message: string): void { this.log(LogLevel.INFO, message); }
  debug(message: string): void { this.log(LogLevel.DEBUG, message); }
}

interface PendingLevel { pattern: RegExp; level: LogLevel }

/** All log types of a process (one per thread: workers get the levels copied at start). */
export class LogRegistry {
  private readonly types = new Map<string, LogType>();
  private readonly patterns: PendingLevel[] = [];
  globalLevel: LogLevel = LogLevel.DEBUG;
  sink: LogSink = (line) => process.stderr.write(line + '\n');

  /** Registers (or returns) a log type with its default level, like rte_log_register_type_and_pick_level. */
  register(name: string, defaultLevel: LogLevel = LogLevel.INFO): LogType {
    let type = this.types.get(name);
    if (type) return type;
    let level = defaultLevel;
    for (const p of this.patterns) if (p.pattern.test(name)) level = p.level;
    type = new LogType(name, level, this);
    this.types.set(name, type);
    return type;
  }

  /** `--log-level` value: `LEVEL` (global) or `TYPE:LEVEL` (glob or regex on type names). */
  applyOption(value: string): void {
    const colon = value.lastIndexOf(':');
    if (colon < 0) {
      this.globalLevel = parseLogLevel(value);
      return;
    }
    const typeSpec = value.slice(0, colon);
    const level = parseLogLevel(value.slice(colon + 1));
    if (!typeSpec) throw new DpkitError(`invalid --log-level '${value}': expected TYPE:LEVEL or LEVEL`);
    this.setLevel(typeSpec, level);
  }

  /** Sets the level of every type matching `spec` now and of those registered later. */
  setLevel(spec: string, level: LogLevel): void {
    const pattern = patternFor(spec);
    this.patterns.push({ pattern, level });
    for (const type of this.types.values()) if (pattern.test(type.name)) type.level = level;
  }

  prefixFor(name: string): string {
    return `${name.split('.').at(-1)!.toUpperCase()}: `;
  }

  /** The settings to hand to a worker thread so that its log types behave the same. */
  snapshot(): { global: LogLevel; patterns: { source: string; level: LogLevel }[] } {
    return { global: this.globalLevel, patterns: this.patterns.map((p) => ({ source: p.pattern.source, level: p.level })) };
  }

  restore(s: { global: LogLevel; patterns: { source: string; level: LogLevel }[] }): void {
    this.globalLevel = s.global;
    for (const p of s.patterns) {
      const pattern = new RegExp(p.source);
      this.patterns.push({ pattern, level: p.level });
      for (const type of this.types.values()) if (pattern.test(type.name)) type.level = p.level;
    }
  }

  list(): LogType[] {
    return [...this.types.values()];
  }
}

function patternFor(spec: string): RegExp {
  // A spec with only word characters, dots and '*' is a glob (pmd.net.*); anything else a regex.
  if (/^[\w.*-]+$/.test(spec)) {
    const body = spec.split('*').map((s) => s.replace(/[.-]/g, '\\$&')).join('.*');
    return new RegExp(`^${body}$`);
  }
  try {
    return new RegExp(spec);
  } catch {
    throw new DpkitError(`invalid --log-level type pattern '${spec}': not a glob nor a regular expression`);
  }
}

/** The process-wide registry, as rte_log's is. */
export const logs = new LogRegistry();
