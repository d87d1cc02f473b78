/**
 * Netdev facts from sysfs (/sys/class/net/<iface>): queue counts and link speed. sysfs shows
 * the network namespace of the process that mounted it (ip netns exec mounts the right one).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The netdev's rx (or tx) queue count, or 0 when sysfs does not say. */
export function netdevQueueCount(iface: string, kind: 'rx' | 'tx' = 'rx'): number {
  try {
    return readdirSync(`/sys/class/net/${iface}/queues`).filter((e) => e.startsWith(`${kind}-`)).length;
  } catch {
    return 0;
  }
}

/** The netdev's link speed in Mbps, or 0 when it reports none. */
export function netdevSpeed(iface: string): number {
  try {
    const v = Number(readFileSync(`/sys/class/net/${iface}/speed`, 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : 0;
  } catch {
    return 0;
  }
}
