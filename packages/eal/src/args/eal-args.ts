/**
 * The EAL command line, parsed as DPDK's rte_eal_init parses it. Everything before `--` is an
 * EAL option; everything after it belongs to the application. Each mistake (an unknown
 * option, a malformed mask, a core that does not exist, options that conflict) is one
 * DpkitError naming the option and what would fix it.
 */
import { DpkitError } from '../errors.js';
import { parseDevargs } from '../devargs/kvargs.js';
import { MAX_LCORE, describeCpus, onlineCpus, parseCoreList, parseCoreMask, parseLcoresMap } from './corelist.js';

export interface EalOptions {
  /** lcore id → the CPUs its thread may run on */
  lcores: Map<number, number[]>;
  mainLcore: number;
  memoryChannels: number | undefined;
  vdevs: string[];
  allow: string[];
  block: string[];
  noPci: boolean;
  logLevels: string[];
  filePrefix: string;
  noHuge: boolean;
  /** `-m`: megabytes of memory the EAL may reserve for mempools and rings */
  memoryMb: number | undefined;
  /** `--socket-mem`: megabytes per NUMA socket */
  socketMem: number[] | undefined;
  /** `-d`: driver packages (names) or files (paths) to load */
  drivers: string[];
  help: boolean;
  version: boolean;
  /** `--no-telemetry`: no telemetry socket (`--telemetry`, the default, serves it) */
  noTelemetry: boolean;
  /** arguments after `--` */
  appArgs: string[];
}

interface OptionSpec {
  short?: string;
  long?: string;
  arg: boolean;
  help: string;
  apply(o: EalOptions, value: string, seen: Set<string>): void;
}

const OPTIONS: OptionSpec[] = [
  { short: 'c', arg: true, help: 'COREMASK  hexadecimal mask of the lcores to run on', apply: (o, v, s) => {
    conflict(s, 'coremask', '-c', ['-l', '--lcores']);
    o.lcores = identityMap(checkCores(parseCoreMask(v, '-c'), '-c', v));
  } },
  { short: 'l', arg: true, help: 'CORELIST  list of lcores to run on, e.g. 0-3,5', apply: (o, v, s) => {
    conflict(s, 'coremask', '-l', ['-c', '--lcores']);
    o.lcores = identityMap(checkCores(parseCoreList(v, '-l'), '-l', v));
  } },
  { long: 'lcores', arg: true, help: 'MAP  lcore to CPU map, e.g. 0,1@1,(2-3)@(0-1)', apply: (o, v, s) => {
    conflict(s, 'coremask', '--lcores', ['-c', '-l']);
    const map = parseLcoresMap(v);
    for (const [lcore, cpus] of map) {
      if (lcore >= MAX_LCORE) throw new DpkitError(`invalid --lcores '${v}': lcore ${lcore} is above the maximum ${MAX_LCORE - 1}`);
      checkCores(cpus, '--lcores', v);
    }
    o.lcores = map;
  } },
  { short: 'n', arg: true, help: 'CHANNELS  number of memory channels', apply: (o, v) => {
    o.memoryChannels = positiveInt(v, '-n', 'the number of memory channels, e.g. -n 4');
  } },
  { long: 'main-lcore', arg: true, help: 'ID  lcore that runs the main thread', apply: (o, v) => {
    o.mainLcore = nonNegativeInt(v, '--main-lcore', 'an lcore id from the core list');
  } },
  { long: 'vdev', arg: true, help: 'DEVARGS  add a virtual device, e.g. net_null0,size=64', apply: (o, v) => {
    if (!v.trim()) throw new DpkitError('invalid --vdev: empty device arguments; expected e.g. --vdev=net_null0');
    busPrefix('--vdev', v, 'vdev', 'a virtual device name such as net_null0');
    o.vdevs.push(v);
  } },
  { short: 'a', long: 'allow', arg: true, help: 'PCI[,ARGS]  use only the listed PCI devices', apply: (o, v, s) => {
    conflict(s, 'pci-list', '-a', ['-b']);
    busPrefix('-a', v, 'pci', 'a PCI address such as 0000:03:00.0');
    o.allow.push(v);
  } },
  { short: 'b', long: 'block', arg: true, help: 'PCI  do not use this PCI device', apply: (o, v, s) => {
    conflict(s, 'pci-list', '-b', ['-a']);
    busPrefix('-b', v, 'pci', 'a PCI address such as 0000:03:00.0');
    o.block.push(v);
  } },
  { long: 'telemetry', arg: false, help: 'serve the telemetry v2 socket (the default)', apply: (o) => { o.noTelemetry = false; } },
  { long: 'no-telemetry', arg: false, help: 'do not serve the telemetry socket', apply: (o) => { o.noTelemetry = true; } },
  { long: 'no-pci', arg: false, help: 'do not scan the PCI bus', apply: (o) => { o.noPci = true; } },
  { long: 'log-level', arg: true, help: 'LEVEL|TYPE:LEVEL  log level, globally or per log type (glob or regex)', apply: (o, v) => {
    o.logLevels.push(v);
  } },
  { long: 'file-prefix', arg: true, help: 'PREFIX  runtime directory prefix, to run several processes side by side', apply: (o, v) => {
    if (!/^[\w.-]+$/.test(v)) throw new DpkitError(`invalid --file-prefix '${v}': use letters, digits, '.', '_' or '-'`);
    o.filePrefix = v;
  } },
  { long: 'no-huge', arg: false, help: 'use anonymous memory instead of hugepages (dpkit always does; accepted for DPDK compatibility)', apply: (o, _v, s) => {
    conflict(s, 'huge', '--no-huge', ['--socket-mem']);
    o.noHuge = true;
  } },
  { short: 'm', arg: true, help: 'MB  memory to reserve for mempools and rings', apply: (o, v, s) => {
    conflict(s, 'mem', '-m', ['--socket-mem']);
    o.memoryMb = positiveInt(v, '-m', 'megabytes, e.g. -m 512');
  } },
  { long: 'socket-mem', arg: true, help: 'MB,MB,...  memory to reserve per NUMA socket', apply: (o, v, s) => {
    conflict(s, 'mem', '--socket-mem', ['-m']);
    conflict(s, 'huge', '--socket-mem', ['--no-huge']);
    o.socketMem = v.split(',').map((x) => nonNegativeInt(x, '--socket-mem', 'megabytes per socket, e.g. --socket-mem=512,512'));
  } },
  { short: 'd', arg: true, help: 'PACKAGE|PATH  load a driver package or module', apply: (o, v) => { o.drivers.push(v); } },
  { short: 'h', long: 'help', arg: false, help: 'show this help and the registered buses and drivers', apply: (o) => { o.help = true; } },
  { short: 'v', arg: false, help: 'print the version at start-up', apply: (o) => { o.version = true; } },
];

/**
 * `bus:` before a device name names its bus (rte_devargs_parse); an option's devices are all on
 * one bus, so any other prefix is refused rather than ignored.
 */
function busPrefix(option: string, value: string, bus: string, what: string): void {
  const d = parseDevargs(value);
  if (d.bus !== undefined && d.bus !== bus) {
    throw new DpkitError(`invalid ${option} '${value}': '${d.bus}:' is not a bus ${option} takes; give ${what}, optionally as ${bus}:NAME`);
  }
}

function conflict(seen: Set<string>, group: string, option: string, others: string[]): void {
  for (const other of others) {
    if (seen.has(`${group}:${other}`)) {
      throw new DpkitError(`options ${other} and ${option} cannot be used together; give only one of them`);
    }
  }
  seen.add(`${group}:${option}`);
}

function identityMap(cores: number[]): Map<number, number[]> {
  return new Map(cores.map((c) => [c, [c]]));
}

function checkCores(cores: number[], option: string, text: string): number[] {
  const online = new Set(onlineCpus());
  for (const c of cores) {
    if (!online.has(c)) {
      throw new DpkitError(
        `invalid ${option} '${text}': core ${c} does not exist on this machine (${describeCpus([...online])})`,
        'ENODEV',
      );
    }
  }
  return cores;
}

function positiveInt(v: string, option: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new DpkitError(`invalid ${option} '${v}': expected ${what}`);
  }
  return n;
}

function nonNegativeInt(v: string, option: string, what: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new DpkitError(`invalid ${option} '${v}': expected ${what}`);
  return n;
}

export function defaultEalOptions(): EalOptions {
  return {
    lcores: identityMap(onlineCpus()),
    mainLcore: -1,
    memoryChannels: undefined,
    vdevs: [],
    allow: [],
    block: [],
    noPci: false,
    logLevels: [],
    filePrefix: 'dpkit',
    noHuge: false,
    memoryMb: undefined,
    socketMem: undefined,
    drivers: [],
    help: false,
    version: false,
    noTelemetry: false,
    appArgs: [],
  };
}

/** Parses EAL arguments (argv without the program name). */
export function parseEalArgs(argv: readonly string[]): EalOptions {
  const o = defaultEalOptions();
  const seen = new Set<string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    let display = arg;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      display = `--${name}`;
      spec = OPTIONS.find((s) => s.long === name);
      if (!spec) throw unknownOption(display);
      if (eq >= 0) {
        if (!spec.arg) throw new DpkitError(`option ${display} takes no value`);
        value = arg.slice(eq + 1);
      }
    } else if (arg.startsWith('-') && arg.length > 1) {
      display = arg.slice(0, 2);
      spec = OPTIONS.find((s) => s.short === arg[1]);
      if (!spec) throw unknownOption(display);
      if (arg.length > 2) {
        if (!spec.arg) throw new DpkitError(`option ${display} takes no value (got '${arg}')`);
        value = arg.slice(2);
      }
    } else {
      throw new DpkitError(`unexpected argument '${arg}' among EAL options; application arguments go after '--'`);
    }
    if (spec.arg && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new DpkitError(`option ${display} needs a value (${spec.help.split('  ')[0]})`);
    }
    spec.apply(o, value ?? '', seen);
  }
  o.appArgs = argv.slice(i);
  const ids = [...o.lcores.keys()].sort((a, b) => a - b);
  if (o.mainLcore < 0) o.mainLcore = ids[0]!;
  else if (!o.lcores.has(o.mainLcore)) {
    throw new DpkitError(`invalid --main-lcore ${o.mainLcore}: it is not in the core list (${ids.join(',')})`);
  }
  return o;
}

function unknownOption(name: string): DpkitError {
  return new DpkitError(`unknown EAL option '${name}'; run with -h for the list of options`);
}

/** The usage text of the EAL options (without the bus and driver listing). */
export function ealUsage(): string {
  const lines = ['EAL common options:'];
  for (const s of OPTIONS) {
    const names = [s.short ? `-${s.short}` : '', s.long ? `--${s.long}` : ''].filter(Boolean).join(', ');
    const [arg, ...rest] = s.arg ? s.help.split('  ') : ['', s.help];
    lines.push(`  ${(names + (arg ? ' ' + arg : '')).padEnd(34)} ${rest.join('  ')}`);
  }
  return lines.join('\n');
}
