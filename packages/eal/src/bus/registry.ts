/**
 * The bus and driver registries. Drivers and buses may register in any order; the EAL scans
 * buses and probes drivers only once everything is registered. Plain classes: the composition
 * root (eal.ts) makes one of each and registers it in its container as a value.
 */
import { DpkitError } from '../errors.js';
import { paramString } from '../devargs/kvargs.js';
import type { Bus, Driver, DriverRegistryView } from '../driver/types.js';

export class DriverRegistry implements DriverRegistryView {
  private readonly drivers: Driver[] = [];
  /** drivers loaded with `-d`: matched before the application's built-in ones */
  private readonly loaded = new Set<Driver>();

  /**
   * Registers a driver. `loaded` marks one loaded with `-d`: buses try it before every
   * built-in driver (forBus), and it replaces a built-in driver of the same name; two drivers
   * of one name from the same side are refused (EEXIST).
   */
  register(driver: Driver, o: { loaded?: boolean } = {}): void {
    if (!driver || typeof driver.name !== 'string' || typeof driver.probe !== 'function') {
      throw new DpkitError('cannot register a driver: expected a descriptor with name, bus, drvFlags, params, probe and remove');
    }
    for (const name of [driver.name, ...(driver.aliases ?? [])]) {
      const other = this.find(name);
      if (other === driver) return;
      if (other && o.loaded && !this.loaded.has(other)) {
        this.drivers.splice(this.drivers.indexOf(other), 1);
        continue;
      }
      if (other) throw new DpkitError(`cannot register driver '${driver.name}': the name '${name}' is taken by '${other.name}'`, 'EEXIST');
    }
    this.drivers.push(driver);
    if (o.loaded) this.loaded.add(driver);
  }

  find(name: string): Driver | undefined {
    return this.drivers.find((d) => d.name === name || (d.aliases ?? []).includes(name));
  }

  /** The drivers of `bus` in the order buses match them: those loaded with `-d` first. */
  forBus(bus: string): readonly Driver[] {
    const of = this.drivers.filter((d) => d.bus === bus);
    return [...of.filter((d) => this.loaded.has(d)), ...of.filter((d) => !this.loaded.has(d))];
  }

  all(): readonly Driver[] {
    return this.drivers;
  }

  /** Lines for `-h`: `net_null: size=<int> copy=<0|1> no-rx=<0|1>`. */
  usage(): string[] {
    return this.drivers.map((d) => {
      const aliases = d.aliases?.length ? ` (aliases: ${d.aliases.join(', ')})` : '';
      const params = paramString(d.params);
      return `  ${d.bus}: ${d.name}${aliases}${params ? ` — ${params}` : ''}`;
    });
  }
}

export class BusRegistry {
  private readonly buses: Bus[] = [];

  register(bus: Bus): void {
    if (this.find(bus.name)) throw new DpkitError(`a bus named '${bus.name}' is already registered`, 'EEXIST');
    this.buses.push(bus);
  }

  find(name: string): Bus | undefined {
    return this.buses.find((b) => b.name === name);
  }

  all(): readonly Bus[] {
    return this.buses;
  }
}
