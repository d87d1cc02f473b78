/**
 * EAL initialisation (rte_eal_init) and the composition root. `Eal.init(argv, { drivers })`
 * parses the EAL arguments, loads `-d` driver packages, registers the built-in buses, scans
 * and probes, and starts the worker lcores. The registries, the memory manager and the Linux
 * binding are registered in a tsyringe container here and only here, which builds the device
 * manager from them; drivers get what they need through their probe context. A `-d` module's
 * `providers` go to the buses that declare `addProviders` (opaque to the EAL; see README.md,
 * "Providers are not in the container").
 */
import { ealPackageDir } from './instance.js';
import 'reflect-metadata';
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { container, instanceCachingFactory } from 'tsyringe';
import { BusRegistry, DriverRegistry } from './bus/registry.js';
import { PciBus } from './bus/pci.js';
import { VdevBus } from './bus/vdev.js';
import { ealUsage, parseEalArgs, type EalOptions } from './args/eal-args.js';
import { parseDevargs } from './devargs/kvargs.js';
import { DeviceManager } from './bus/devices.js';
import { DpkitError } from './errors.js';
import { EthDevRegistry } from './ethdev/ethdev.js';
import { LcoreManager } from './lcore/lcore.js';
import { setLcoreId } from './lcore/current.js';
import { logs, type LogType } from './log/log.js';
import { Mempool, type PktmbufPoolOptions } from './mbuf/mempool.js';
import { MemoryManager } from './memory/region.js';
import { hasLinux, linux, type LinuxBinding } from './linux/native.js';
import type { Bus, Device, Driver } from './driver/types.js';
import { Tokens } from './tokens.js';
import { setV8Flags, v8FlagsFromEnv } from './jit.js';
import { Telemetry } from './telemetry/telemetry.js';
import { registerEalCommands } from './telemetry/commands.js';

export const VERSION = '0.1.0';

export interface EalInitOptions {
  /** drivers to register (order does not matter) */
  drivers?: readonly Driver[];
  /** extra buses (the bifurc bus, for instance) */
  buses?: readonly Bus[];
  /** program name for -h */
  program?: string;
  /** where -h and -v print (stdout by default) */
  print?: (text: string) => void;
  /**
   * The Linux binding the EAL itself uses (pinning the main lcore); default: the addon, when
   * it loads. Drivers and fast paths call `linux()` of @dpkit/eal/linux, not this one.
   */
  linux?: LinuxBinding;
  /**
   * V8 flags set before any lcore starts (v8.setFlagsFromString; process-wide). Default: the
   * words of `DPKIT_V8_FLAGS` when it is set, otherwise `FORWARDING_V8_FLAGS` (a larger
   * inlining budget for burst functions, see jit.ts); `[]` sets none.
   */
  v8Flags?: readonly string[];
}

/**
 * Where `-d NAME` resolves first: the application, as it resolves its own imports — the
 * directory of its main module (process.argv[1], symlinks resolved), or the working directory
 * when there is none (`node -e`, the REPL).
 */
function applicationDir(): string {
  try {
    if (process.argv[1]) return dirname(realpathSync(process.argv[1]));
  } catch {
    // not a file (the first argument of `node -e CODE ARG`)
  }
  return process.cwd();
}

/** What a `-d` module gives: its drivers, and the providers it offers to the buses. */
interface DriverModule {
  spec: string;
  drivers: Driver[];
  providers: unknown[];
}

/**
 * A module loaded with `-d` exports `drivers` (an array), `driver`, or a default descriptor,
 * and/or `providers` (an array, or one) for the buses that take them (Bus.addProviders).
 * A spec starting with `.` or `/` is a file; a package name resolves from the application
 * (above), then from @dpkit/eal's own directory.
 */
async function loadDriverModule(spec: string): Promise<DriverModule> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  const app = isPath ? '' : applicationDir();
  let fromEal = false; // the name is not below the application: @dpkit/eal's own import resolves it
  let mod: Record<string, unknown>;
  try {
    let target = isPath ? pathToFileURL(resolve(spec)).href : spec;
    if (!isPath) {
      try {
        target = pathToFileURL(createRequire(join(app, 'noop.js')).resolve(spec)).href;
      } catch (err) {
        if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
        fromEal = true;
      }
    }
    mod = (await import(target)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // a second copy of @dpkit/eal refused to load (instance.ts): its own line says it all
    if ((err as Error).name === 'DpkitError' && code === 'EEXIST') throw new DpkitError(`-d ${spec}: ${(err as Error).message}`, 'EEXIST');
    // the spec itself is missing (not a module the driver imports): Node names eal.js as the importer
    const missing = code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.endsWith(`imported from ${fileURLToPath(import.meta.url)}`);
    if (missing && fromEal) {
      throw new DpkitError(
        `-d ${spec}: driver package not found from the application (${app}) nor from @dpkit/eal (${ealPackageDir}); ` +
          'install it as a dependency of the application, or give a path to its module (-d ./path/to/index.js)',
        'ENOENT',
      );
    }
    const why = missing ? 'not found' : (err as Error).message;
    throw new DpkitError(`-d ${spec}: cannot load driver module (${why}); give an installed package name or a path to a .js file`, 'ENOENT');
  }
  const found = [mod.drivers, mod.driver, mod.default].flat().filter((d): d is Driver => !!d && typeof (d as Driver).probe === 'function');
  const providers = [mod.providers].flat().filter((p) => p !== undefined);
  if (found.length === 0 && providers.length === 0) {
    throw new DpkitError(`-d ${spec}: the module exports no driver (expected 'drivers', 'driver' or a default descriptor) and no 'providers'`);
  }
  return { spec, drivers: found, providers };
}

/** Offers each `-d` module's providers to the buses that take them, in registration order. */
function offerProviders(modules: readonly DriverModule[], buses: BusRegistry): void {
  for (const m of modules) {
    let left: readonly unknown[] = m.providers;
    for (const bus of buses.all()) if (left.length && bus.addProviders) left = bus.addProviders(left, `-d ${m.spec}`);
    if (left.length) {
      const takers = buses.all().filter((b) => b.addProviders).map((b) => b.name);
      throw new DpkitError(
        `-d ${m.spec}: ${left.length} of its providers ${left.length === 1 ? 'is' : 'are'} taken by no bus (${takers.length ? `${takers.join(', ')} did not recognise ${left.length === 1 ? 'it' : 'them'}` : 'no registered bus takes providers'}); ` +
          'register the bus the provider is for (Eal.init\'s buses), or load the right module',
        'EINVAL',
      );
    }
  }
}

export class Eal {
  readonly log: LogType;
  /** probe/remove/attach/detach (resolved from the container) */
  readonly devices: DeviceManager;
  private runtimeDir: string | undefined;
  /** the telemetry command table; other layers add theirs with `telemetry.register` */
  readonly telemetry = new Telemetry(`dpkit ${VERSION}`);

  private constructor(
    readonly options: EalOptions,
    devices: DeviceManager,
    readonly drivers: DriverRegistry,
    readonly buses: BusRegistry,
    readonly ethdevs: EthDevRegistry,
    readonly memory: MemoryManager,
    readonly lcores: LcoreManager,
    private readonly pools: Map<string, Mempool>,
  ) {
    this.log = logs.register('eal', 6);
    this.devices = devices;
  }

  /**
   * rte_eal_init. Returns null after printing the help for `-h` (the app exits 0); throws a
   * DpkitError for bad arguments, devargs or a failed probe.
   */
  static async init(argv: readonly string[], o: EalInitOptions = {}): Promise<Eal | null> {
    const options = parseEalArgs(argv);
    for (const l of options.logLevels) logs.applyOption(l);
    const print = o.print ?? ((t: string) => process.stdout.write(t + '\n'));
    const c = container.createChildContainer();
    const drivers = new DriverRegistry();
    const buses = new BusRegistry();
    for (const d of o.drivers ?? []) drivers.register(d);
    const modules: DriverModule[] = [];
    for (const spec of options.drivers) modules.push(await loadDriverModule(spec));
    for (const m of modules) for (const d of m.drivers) drivers.register(d, { loaded: true });
    if (options.help) {
      print(Eal.usage(o.program ?? 'dpkit', drivers));
      return null;
    }
    if (options.version) print(`EAL: dpkit ${VERSION}`);
    const v8Flags = o.v8Flags ?? v8FlagsFromEnv();
    setV8Flags(v8Flags);
    setLcoreId(options.mainLcore);
    const memory = new MemoryManager(
      options.memoryMb !== undefined ? options.memoryMb << 20 : undefined,
      options.socketMem?.map((m) => m << 20),
    );
    const pools = new Map<string, Mempool>();
    const ethdevs = new EthDevRegistry();
    c.register(Tokens.DriverRegistry, { useValue: drivers });
    c.register(Tokens.BusRegistry, { useValue: buses });
    c.register(Tokens.EthDevRegistry, { useValue: ethdevs });
    c.register(Tokens.MemoryManager, { useValue: memory });
    // the addon is loaded when first resolved (at lcore start), not at init
    if (o.linux) c.register<LinuxBinding>(Tokens.LinuxBinding, { useValue: o.linux });
    else c.register<LinuxBinding | undefined>(Tokens.LinuxBinding, { useFactory: instanceCachingFactory(() => (hasLinux() ? linux() : undefined)) });
    const lcores = new LcoreManager({
      lcores: options.lcores, mainLcore: options.mainLcore, pools: () => [...pools.values()].map((p) => p.descriptor()),
      kernel: () => c.resolve<LinuxBinding | undefined>(Tokens.LinuxBinding),
    });
    const eal = new Eal(options, c.resolve(DeviceManager), drivers, buses, ethdevs, memory, lcores, pools);
    eal.log.debug(`V8 flags for forwarding: ${v8Flags.length > 0 ? v8Flags.join(' ') : 'none'}`);
    eal.lockRuntimeDir();
    try {
      const vdevs = options.vdevs.map(parseDevargs);
      buses.register(new VdevBus(vdevs));
      // the lists' `pci:` prefix (accepted by the argument parser) names the bus, not the device
      if (!options.noPci) buses.register(new PciBus({ allow: options.allow.map(parseDevargs), block: options.block.map((b) => parseDevargs(b).name) }));
      for (const b of o.buses ?? []) buses.register(b);
      offerProviders(modules, buses);
      await eal.devices.scanAndProbe();
      await lcores.start();
      registerEalCommands(eal.telemetry, { args: [o.program ?? 'dpkit', ...(argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv)], ethdevs, pools: () => pools.values() });
      if (!options.noTelemetry) eal.startTelemetry(c.resolve<LinuxBinding | undefined>(Tokens.LinuxBinding));
    } catch (err) {
      await eal.cleanup().catch(() => undefined); // logged; the error that stopped init is the one to report
      throw err;
    }
    return eal;
  }

  /** The -h text: EAL options, buses, and every registered driver with its parameter string. */
  static usage(program: string, drivers: DriverRegistry): string {
    return [
      `Usage: ${program} [EAL options] -- [application options]`,
      '',
      ealUsage(),
      '',
      'Buses: vdev, pci' + (drivers.all().some((d) => !['vdev', 'pci'].includes(d.bus)) ? ` (and ${[...new Set(drivers.all().map((d) => d.bus).filter((b) => !['vdev', 'pci'].includes(b)))].join(', ')} from drivers' packages)` : ''),
      'Registered drivers (bus: name — devargs):',
      ...(drivers.all().length ? drivers.usage() : ['  none; load one with -d PACKAGE']),
    ].join('\n');
  }

  /** rte_telemetry_init: the v2 socket for this --file-prefix (needs the Linux addon). */
  private startTelemetry(kernel: LinuxBinding | undefined): void {
    if (!kernel) {
      this.log.debug('telemetry: not started (no Linux addon)');
      return;
    }
    this.telemetry.start(kernel, this.options.filePrefix);
  }

  /** One primary process per --file-prefix, as DPDK's runtime directory lock. */
  private lockRuntimeDir(): void {
    const base = process.getuid?.() === 0 ? '/var/run/dpkit' : `${process.env.XDG_RUNTIME_DIR ?? '/tmp'}/dpkit`;
    const dir = `${base}/${this.options.filePrefix}`;
    const file = `${dir}/config`;
    try {
      mkdirSync(dir, { recursive: true });
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid) {
        let alive = true;
        try {
          process.kill(pid, 0);
        } catch {
          alive = false;
        }
        if (alive) {
          throw new DpkitError(
            `another dpkit process (pid ${pid}) runs with --file-prefix=${this.options.filePrefix}; give this one another --file-prefix`,
            'EBUSY',
          );
        }
      }
    } catch (err) {
      if (err instanceof DpkitError) throw err;
    }
    try {
      writeFileSync(file, String(process.pid));
      this.runtimeDir = dir;
    } catch {
      this.log.debug(`cannot write ${file}; runs with the same --file-prefix will not be detected`);
    }
  }

  /** rte_dev_probe: attaches a device at run time; returns the ports it created. */
  attach(devargs: string): Promise<number[]> {
    return this.devices.attach(devargs);
  }

  /** rte_dev_remove on the device of `port`; its ports must be closed. */
  detach(port: number): Promise<void> {
    return this.devices.detach(port);
  }

  /** A device by name on any bus. */
  findDevice(name: string): Device | undefined {
    return this.devices.find(name);
  }

  /** rte_pktmbuf_pool_create */
  mempoolCreate(name: string, o: PktmbufPoolOptions): Mempool {
    if (this.pools.has(name)) throw new DpkitError(`a mempool named '${name}' already exists`, 'EEXIST');
    const pool = Mempool.create(this.memory, name, o);
    this.pools.set(name, pool);
    return pool;
  }

  mempoolLookup(name: string): Mempool | undefined {
    return this.pools.get(name);
  }

  mempoolFree(pool: Mempool): void {
    if (this.pools.get(pool.name) !== pool) return;
    this.pools.delete(pool.name);
    pool.release(this.memory);
  }

  /**
   * rte_eal_cleanup: ends the worker lcores, stops, closes and removes every device (as
   * rte_dev_remove: drivers detach their XDP programs and close their maps and sockets), then
   * frees the pools and the runtime directory. A device that fails to go is logged and the
   * rest is still cleaned up; the first such error is thrown at the end.
   */
  async cleanup(): Promise<void> {
    this.telemetry.stop();
    await this.lcores.shutdown();
    let failed: unknown;
    try {
      await this.devices.removeAll();
    } catch (err) {
      failed = err;
    }
    for (const p of [...this.pools.values()]) this.mempoolFree(p);
    if (this.runtimeDir) {
      rmSync(this.runtimeDir, { recursive: true, force: true });
      this.runtimeDir = undefined;
    }
    if (failed !== undefined) throw failed;
  }
}
