/**
 * Forwarding engines by name. The built-in ones are DPDK testpmd's; `registerEngine` adds a
 * plugin: any module exporting a ForwardEngine.
 */
import { DpkitError } from '@dpkit/eal';
import type { LaunchTarget } from '@dpkit/eal';

const engines = new Map<string, LaunchTarget>();

for (const name of ['io', 'mac', 'macswap', 'rxonly', 'txonly', 'flowgen', 'icmpecho', '5tswap']) {
  engines.set(name, { module: new URL(`./engines/${name}.js`, import.meta.url).href, export: 'engine' });
}

export function registerEngine(name: string, target: LaunchTarget): void {
  engines.set(name, target);
}

export function engineTarget(name: string): LaunchTarget {
  const t = engines.get(name);
  if (!t) throw new DpkitError(`unknown forwarding mode '${name}': available modes are ${engineNames().join(', ')}`);
  return t;
}

export function engineNames(): string[] {
  return [...engines.keys()];
}
