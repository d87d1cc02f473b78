/**
 * The application side of packet capture (rte_pdump_init and its server): creates the capture
 * region (a memfd, one ring per lcore) and serves capture requests on a Unix stream socket in
 * DPDK's runtime directory, `<runtime dir>/dpkit_pdump`. The socket is served on the main
 * thread's event loop and never keeps the process alive.
 *
 * The protocol is one JSON object per line each way:
 * - `{"op":"ports"}` → `{"ports":[{port,name,driver,bus,ifName,mac,speed}...]}`
 * - `{"op":"enable","ports":[0],"queue":-1,"rx":true,"tx":true,"snaplen":N,"records":N,"promisc":true}`
 *   → `{"pid":..,"fd":..,"size":..,"rings":..,"ringBytes":..,"base":{"<port>":[captured,dropped]}}`:
 *   the capturing process maps `/proc/<pid>/fd/<fd>`; `base` are the port counters at the start
 * - `{"op":"disable"}` → `{"ok":true}`
 * Any failure is `{"error":"one line"}`. One capture at a time; it ends with `disable` or
 * when its connection closes (a killed dumpcap stops capturing at once).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { DpkitError, errorLine } from '../errors.js';
import type { EthDev, EthDevRegistry } from '../ethdev/ethdev.js';
import { MAX_ETHPORTS, formatMac } from '../ethdev/types.js';
import { linux } from '../linux/native.js';
import { logs } from '../log/log.js';
import { dpdkRuntimeDir } from '../telemetry/telemetry.js';
import {
  ALL_QUEUES, DEFAULT_RING_BYTES, H_CLOCK_F64, H_MAGIC, H_RECORDS, H_RING_BYTES, H_RINGS, H_SELECT, H_SNAPLEN, H_VERSION,
  PDUMP_MAGIC, PDUMP_VERSION, RING_CTRL_BYTES, R_HEAD, R_HEAD_COUNT, R_TAIL, R_TAIL_COUNT,
  portCounters, regionSize, ringOffset, selectorIndex, type PdumpDescriptor,
} from './layout.js';

/** The socket's name in the runtime directory. */
export const PDUMP_SOCKET = 'dpkit_pdump';

/** A port as the capture file describes it. */
export interface PdumpPortInfo {
  port: number;
  name: string;
  driver: string;
  bus: string;
  ifName: string | null;
  mac: string;
  /** Mbps, 0 when the link is down */
  speed: number;
}

export interface PdumpEnable {
  ports: number[];
  /** -1 every queue */
  queue: number;
  rx: boolean;
  tx: boolean;
  snaplen: number;
  records: number;
  /** put the ports in promiscuous mode for the capture (and back after), as dpdk-dumpcap does without -p */
  promisc: boolean;
}

export interface PdumpOptions {
  /** --file-prefix: where the socket goes */
  filePrefix: string;
  ethdevs: EthDevRegistry;
  /** the EAL's lcore ids: one ring each */
  lcores: number[];
  /** bytes of data per ring (a power of two), DEFAULT_RING_BYTES by default */
  ringBytes?: number;
}

export class Pdump {
  private readonly log = logs.register('pdump', 6);
  private readonly words: Int32Array;
  private readonly f64: Float64Array;
  private readonly server: Server;
  private owner: Socket | undefined;
  private enabled: number[] = [];
  private promiscSet: EthDev[] = [];
  /** the socket's path */
  readonly path: string;

  private constructor(
    private readonly o: PdumpOptions,
    private readonly region: { fd: number; buffer: ArrayBuffer },
    private readonly d: PdumpDescriptor,
  ) {
    this.words = new Int32Array(region.buffer);
    this.f64 = new Float64Array(region.buffer);
    const w = this.words;
    w[H_MAGIC] = PDUMP_MAGIC;
    w[H_VERSION] = PDUMP_VERSION;
    w[H_RINGS] = d.rings;
    w[H_RING_BYTES] = d.ringBytes;
    this.path = `${dpdkRuntimeDir(o.filePrefix)}/${PDUMP_SOCKET}`;
    this.server = createServer((s) => this.connection(s));
  }

  /**
   * Creates the region and starts serving (rte_pdump_init). Needs the Linux addon (memfd);
   * throws a DpkitError in one line when the region or the socket cannot be made.
   */
  static async init(o: PdumpOptions): Promise<Pdump> {
    const ringBytes = o.ringBytes ?? DEFAULT_RING_BYTES;
    if (ringBytes < RING_CTRL_BYTES || (ringBytes & (ringBytes - 1)) !== 0) {
      throw new DpkitError(`packet capture: ring bytes ${ringBytes} must be a power of two of at least ${RING_CTRL_BYTES}`);
    }
    const rings = Math.max(1, ...o.lcores.map((l) => l + 1));
    const size = regionSize(rings, ringBytes);
    const k = linux('packet capture');
    const region = k.memfdMap('dpkit:pdump', size);
    const p = new Pdump(o, region, { id: `${process.pid}:${randomUUID()}`, fd: region.fd, size, rings, ringBytes });
    try {
      await p.listen();
    } catch (err) {
      k.close(region.fd);
      throw new DpkitError(`packet capture: cannot serve ${p.path}: ${errorLine(err)}`);
    }
    return p;
  }

  private listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true }); // there without telemetry too (--no-telemetry)
    rmSync(this.path, { force: true }); // left by a dead process with this prefix (the EAL's lock says none is alive)
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.path, () => {
        this.server.off('error', reject);
        this.server.unref();
        resolve();
      });
    });
  }

  /** What lcores map: the region's fd and sizes. */
  descriptor(): PdumpDescriptor {
    return { ...this.d };
  }

  /** The ring of lcore `lcore` (rings are indexed by lcore id). */
  ringOf(lcore: number): number {
    return lcore;
  }

  private connection(s: Socket): void {
    s.unref();
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.request(s, line).then((reply) => s.write(JSON.stringify(reply) + '\n'));
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.owner === s) void this.disable();
    });
  }

  private async request(s: Socket, line: string): Promise<unknown> {
    try {
      const req = JSON.parse(line) as { op?: string } & Partial<PdumpEnable>;
      if (req.op === 'ports') return { ports: this.ports() };
      if (req.op === 'enable') {
        // a capture whose process just died may not have had its close handled yet: give it a moment
        const prev = this.owner;
        if (prev && prev !== s) await new Promise<void>((resolve) => { prev.once('close', () => resolve()); setTimeout(resolve, 200).unref(); });
        if (this.owner && this.owner !== s) throw new DpkitError(`another capture is running on this application (pid ${process.pid}): one at a time; stop it first`, 'EBUSY');
        const base = await this.enable(req as PdumpEnable);
        this.owner = s;
        return { pid: process.pid, ...this.d, base };
      }
      if (req.op === 'disable') {
        if (this.owner === s) await this.disable();
        return { ok: true };
      }
      throw new DpkitError(`unknown capture request '${String(req.op)}'`);
    } catch (err) {
      return { error: errorLine(err) };
    }
  }

  private ports(): PdumpPortInfo[] {
    return this.o.ethdevs.list().filter((d) => !d.closed).map((d) => {
      const link = d.link;
      return {
        port: d.portId, name: d.name, driver: d.driverName, bus: d.device.bus.name, ifName: d.info().ifName ?? null,
        mac: formatMac(d.mac), speed: link.up ? link.speed : 0,
      };
    });
  }

  /** Sets the session's parameters and selectors; returns each port's counters at the start. */
  private async enable(e: PdumpEnable): Promise<Record<string, [number, number]>> {
    if (this.enabled.length) await this.disable();
    const devs = e.ports.map((p) => {
      const dev = this.o.ethdevs.list().find((d) => d.portId === p && !d.closed);
      if (!dev) throw new DpkitError(`Invalid port number ${p}`, 'ENODEV');
      return dev;
    });
    if (!(e.rx || e.tx)) throw new DpkitError('nothing to capture: give rx, tx or both');
    if (!Number.isInteger(e.snaplen) || e.snaplen < 1) throw new DpkitError(`invalid snaplen ${e.snaplen}`);
    if (!Number.isInteger(e.records) || e.records < 1) throw new DpkitError(`invalid ring size ${e.records}`);
    if (e.queue !== -1 && !(Number.isInteger(e.queue) && e.queue >= 0 && e.queue < 0xffff)) throw new DpkitError(`invalid queue ${e.queue}`);
    if (e.promisc) {
      for (const d of devs) {
        if (d.promiscuous) continue;
        try {
          await d.promiscuousSet(true);
          this.promiscSet.push(d);
        } catch (err) {
          this.log.notice(`port ${d.portId} set promiscuous enable failed: ${errorLine(err)}`);
        }
      }
    }
    const w = this.words;
    w[H_SNAPLEN] = e.snaplen;
    w[H_RECORDS] = e.records;
    this.f64[H_CLOCK_F64] = Date.now() * 1000;
    // a session starts with empty rings: nothing writes them while every selector is off
    for (let r = 0; r < this.d.rings; r++) {
      const c = ringOffset(r, this.d.ringBytes) >> 2;
      Atomics.store(w, c + R_TAIL, Atomics.load(w, c + R_HEAD));
      Atomics.store(w, c + R_TAIL_COUNT, Atomics.load(w, c + R_HEAD_COUNT));
    }
    const base: Record<string, [number, number]> = {};
    for (const d of devs) base[d.portId] = this.counters(d.portId);
    const sel = e.queue === -1 ? ALL_QUEUES : e.queue + 1;
    for (const d of devs) {
      if (e.rx) this.enabled.push(selectorIndex(d.portId, 'rx'));
      if (e.tx) this.enabled.push(selectorIndex(d.portId, 'tx'));
    }
    for (const i of this.enabled) Atomics.store(w, i, sel);
    this.log.info(`capture on port(s) ${e.ports.join(',')} queue ${e.queue < 0 ? '*' : e.queue}${e.rx ? ' rx' : ''}${e.tx ? ' tx' : ''}`);
    return base;
  }

  /** A port's captured and dropped packets since start-up, over every ring. */
  counters(port: number): [number, number] {
    return portCounters(this.f64, this.d.rings, this.d.ringBytes, port);
  }

  private async disable(): Promise<void> {
    for (const i of this.enabled) Atomics.store(this.words, i, 0);
    this.enabled = [];
    this.owner = undefined;
    const restore = this.promiscSet;
    this.promiscSet = [];
    for (const d of restore) await d.promiscuousSet(false).catch(() => undefined);
  }

  /** Stops capturing, closes the socket and the region (the application is going). */
  close(): void {
    for (let i = H_SELECT; i < H_SELECT + 2 * MAX_ETHPORTS; i++) Atomics.store(this.words, i, 0);
    this.owner?.destroy();
    this.server.close();
    rmSync(this.path, { force: true });
    try {
      rmdirSync(dirname(this.path)); // only when empty: the telemetry socket or another DPDK process may be there
    } catch {
      // not empty or gone
    }
    try {
      linux().close(this.region.fd);
    } catch {
      // already closed
    }
  }
}
