/**
 * Sharing TCP SYNs in 82599 terms (see the README): when an ntuple rule moves a TCP port away
 * from the kernel, every connection the kernel has on that port is pinned to its kernel queue
 * by an exact 5-tuple filter. 5-tuple filters are matched before the flow director, so those
 * connections stay wholly in the kernel whatever arrives for them (a forged SYN included),
 * while new connections (their SYNs and everything after) follow the rule. The decision is
 * made here, from the kernel's socket table (/proc/net/tcp of the device's network namespace),
 * never from a packet. Pins are re-read every second: new kernel connections on a moved port
 * are pinned, closed ones unpinned.
 */
import { readFileSync } from 'node:fs';
import type { Sim82599 } from './device.js';
import {
  DAQF, FIVE_TUPLE_FILTERS, FTQF, FTQF_POOL_MASK_EN, FTQF_PRIORITY_SHIFT, FTQF_PROTOCOL_TCP, FTQF_QUEUE_ENABLE, L34T_IMIR,
  L34T_IMIR_RESERVE, L34T_IMIR_RX_QUEUE_SHIFT, RETA, RSSRK, SAQF, SDPQF,
} from '@dpkit/ixgbe-defs/regs';

/** A kernel TCP connection; addresses as FDIRIPSA/SAQF hold them (wire-order bytes read little-endian), ports host order. */
export interface Connection {
  local: number;
  localPort: number;
  remote: number;
  remotePort: number;
}

/** TCP states of /proc/net/tcp that are not connections: LISTEN (0A) and CLOSE (07). */
const NOT_CONNECTIONS = new Set(['0A', '07']);

/**
 * The kernel's IPv4 TCP connections from /proc/net/tcp (every state but LISTEN and CLOSE,
 * TIME_WAIT included). The file prints each address as the 32-bit word in memory, which is
 * exactly the wire-order-little-endian form the filter registers use.
 */
export function kernelConnections(table = readFileSync('/proc/net/tcp', 'utf8')): Connection[] {
  const out: Connection[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || NOT_CONNECTIONS.has(f[3]!)) continue;
    const [la, lp] = f[1]!.split(':');
    const [ra, rp] = f[2]!.split(':');
    out.push({ local: parseInt(la!, 16) >>> 0, localPort: parseInt(lp!, 16), remote: parseInt(ra!, 16) >>> 0, remotePort: parseInt(rp!, 16) });
  }
  return out;
}

const key = (c: Connection) => `${c.remote}:${c.remotePort}>${c.local}:${c.localPort}`;

export class Pins {
  /** pinned connection -> its 5-tuple filter index */
  private readonly pinned = new Map<string, number>();
  /** the moved ports (destination ports whose new connections a rule takes from the kernel) */
  private readonly ports = new Set<number>();

  constructor(private readonly nic: Sim82599, private readonly read: () => Connection[] = kernelConnections) {}

  private set(offset: number, v: number): void { this.nic.regs[offset >> 2] = v >>> 0; }
  private byte(word: number, i: number): number { return (this.nic.regs[word >> 2]! >>> (8 * (i & 3))) & 0xFF; }

  /** The kernel queue RSS gives a connection's incoming segments (Toeplitz over the 4-tuple with RSSRK, then RETA). */
  private rssQueue(c: Connection): number {
    const input = [c.remote, c.local].flatMap((a) => [a & 0xFF, (a >>> 8) & 0xFF, (a >>> 16) & 0xFF, a >>> 24]);
    input.push(c.remotePort >> 8, c.remotePort & 0xFF, c.localPort >> 8, c.localPort & 0xFF);
    const k = Array.from({ length: 40 }, (_, i) => this.byte(RSSRK(i >> 2), i));
    let hash = 0;
    let window = ((k[0]! << 24) | (k[1]! << 16) | (k[2]! << 8) | k[3]!) >>> 0;
    input.forEach((b, i) => {
      for (let bit = 7; bit >= 0; bit--) {
        if ((b >> bit) & 1) hash = (hash ^ window) >>> 0;
        window = ((window << 1) | ((k[i + 4]! >> bit) & 1)) >>> 0;
      }
    });
    const entry = hash & 0x7F;
    return this.byte(RETA(entry >> 2), entry) & 0xF;
  }

  private free(): number[] {
    const used = new Set(this.pinned.values());
    return Array.from({ length: FIVE_TUPLE_FILTERS }, (_, i) => i).filter((i) => !used.has(i));
  }

  private pin(c: Connection, i: number): void {
    const wirePort = (p: number) => ((p >> 8) | ((p & 0xFF) << 8)) & 0xFFFF; // SDPQF holds the ports' wire bytes
    this.set(SAQF(i), c.remote);
    this.set(DAQF(i), c.local);
    this.set(SDPQF(i), (wirePort(c.localPort) << 16) | wirePort(c.remotePort));
    this.set(L34T_IMIR(i), L34T_IMIR_RESERVE | (this.rssQueue(c) << L34T_IMIR_RX_QUEUE_SHIFT));
    // all five fields compared (no mask bit), priority 7, TCP
    this.set(FTQF(i), FTQF_QUEUE_ENABLE | FTQF_POOL_MASK_EN | (7 << FTQF_PRIORITY_SHIFT) | FTQF_PROTOCOL_TCP);
    this.pinned.set(key(c), i);
  }

  /**
   * Before a rule moves TCP port `port` away from the kernel: pins the kernel's connections on
   * it. Throws (nothing changed) when there are more than the free 5-tuple filters.
   */
  move(port: number): void {
    const wanted = this.read().filter((c) => c.localPort === port && !this.pinned.has(key(c)));
    const free = this.free();
    if (wanted.length > free.length) throw new Error(`${wanted.length} kernel connections on port ${port} need pins, ${free.length} 5-tuple filters are free`);
    wanted.forEach((c, n) => this.pin(c, free[n]!));
    this.ports.add(port);
  }

  /** After the rule went in, and every second: pins newcomers on moved ports, frees the pins of closed connections. */
  refresh(): void {
    const now = this.read();
    const live = new Set(now.map(key));
    for (const [k, i] of this.pinned) {
      if (live.has(k)) continue;
      this.set(FTQF(i), 0);
      this.pinned.delete(k);
    }
    const free = this.free();
    for (const c of now) {
      if (!this.ports.has(c.localPort) || this.pinned.has(key(c)) || !free.length) continue;
      this.pin(c, free.shift()!);
    }
  }

  /** The port is the kernel's again (its rule was deleted): its pins go. */
  release(port: number): void {
    this.ports.delete(port);
    for (const [k, i] of this.pinned) {
      if (!k.endsWith(`:${port}`)) continue;
      this.set(FTQF(i), 0);
      this.pinned.delete(k);
    }
  }

  get count(): number { return this.pinned.size; }
  get moved(): boolean { return this.ports.size > 0; }
}
