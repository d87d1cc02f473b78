/**
 * The capturing side of packet capture (what dpkit-dumpcap uses): connects to a running dpkit
 * application's capture socket by its --file-prefix, asks for ports and a capture, maps the
 * application's capture region through `/proc/<pid>/fd/<fd>` (root, same pid namespace), keeps
 * the region's clock and reads the records the lcores write.
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { DpkitError } from '../errors.js';
import { linux } from '../linux/native.js';
import { dpdkRuntimeDir } from '../telemetry/telemetry.js';
import {
  H_CLOCK_F64, H_MAGIC, H_VERSION, PDUMP_MAGIC, PDUMP_VERSION, RECORD_HEADER_BYTES, RING_CTRL_BYTES, R_HEAD, R_TAIL, R_TAIL_COUNT, WRAP, portCounters, ringOffset, type PdumpDescriptor,
} from './layout.js';
import { PDUMP_SOCKET, type PdumpEnable, type PdumpPortInfo } from './server.js';

/** One captured packet as the reader hands it on (`data` is a view valid during the call). */
export interface PdumpRecord {
  port: number;
  queue: number;
  /** DIR_IN or DIR_OUT */
  dir: number;
  /** microseconds since the epoch */
  timestampUs: number;
  origLen: number;
  data: Uint8Array;
}

export interface PdumpSession extends PdumpDescriptor {
  pid: number;
  base: Record<string, [number, number]>;
}

/** A connection to an application's capture socket. */
export class PdumpClient {
  private buf = '';
  private waiting: ((line: string) => void)[] = [];
  private closedHandlers: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w('{"error":"the application closed the capture socket"}');
      for (const h of this.closedHandlers) h();
    });
    socket.on('error', () => undefined);
  }

  /** Connects to the application running with `filePrefix`, or throws one line saying why not. */
  static async connect(filePrefix: string): Promise<PdumpClient> {
    const path = `${dpdkRuntimeDir(filePrefix)}/${PDUMP_SOCKET}`;
    if (!existsSync(path)) {
      throw new DpkitError(`no dpkit application with --file-prefix=${filePrefix} serves packet capture (no ${path}): is it running, and is it dpkit-testpmd or another app that starts Pdump?`, 'ENOENT');
    }
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new DpkitError(`cannot connect to ${path}: ${err.message}; is the application still running?`, 'ECONNREFUSED')));
    });
    return new PdumpClient(socket);
  }

  /** Called once when the application goes (its socket closes). */
  onClose(h: () => void): void {
    this.closedHandlers.push(h);
  }

  private async call<T>(req: object): Promise<T> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(JSON.stringify(req) + '\n');
    });
    const reply = JSON.parse(line) as T & { error?: string };
    if (reply.error !== undefined) throw new DpkitError(reply.error);
    return reply;
  }

  ports(): Promise<PdumpPortInfo[]> {
    return this.call<{ ports: PdumpPortInfo[] }>({ op: 'ports' }).then((r) => r.ports);
  }

  enable(e: PdumpEnable): Promise<PdumpSession> {
    return this.call<PdumpSession>({ op: 'enable', ...e });
  }

  async disable(): Promise<void> {
    await this.call({ op: 'disable' });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The capture region of a session, mapped in this process. */
export class PdumpReader {
  private readonly words: Int32Array;
  private readonly f64: Float64Array;
  private readonly bytes: Uint8Array;

  constructor(private readonly s: PdumpSession) {
    const path = `/proc/${s.pid}/fd/${s.fd}`;
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (err) {
      throw new DpkitError(`cannot open the capture region ${path}: ${(err as Error).message}; run as root in the application's pid namespace`, 'EACCES');
    }
    try {
      const buffer = linux('packet capture').mapFd(fd, s.size);
      this.words = new Int32Array(buffer);
      this.f64 = new Float64Array(buffer);
      this.bytes = new Uint8Array(buffer);
    } finally {
      closeSync(fd); // the mapping stays
    }
    if (this.words[H_MAGIC] !== PDUMP_MAGIC || this.words[H_VERSION] !== PDUMP_VERSION) {
      throw new DpkitError(`${path} is not a dpkit capture region of layout ${PDUMP_VERSION}; use the dpkit-dumpcap of the application's dpkit version`);
    }
  }

  /** Sets the clock the lcores stamp packets with (microseconds since the epoch). */
  setClock(us: number): void {
    this.f64[H_CLOCK_F64] = us;
  }

  /**
   * Hands every record written so far to `each` (at most `max`), ring by ring, and frees their
   * room. Returns how many it handed on.
   */
  poll(each: (r: PdumpRecord) => void, max = Infinity): number {
    const w = this.words;
    let n = 0;
    for (let ring = 0; ring < this.s.rings && n < max; ring++) {
      const c = ringOffset(ring, this.s.ringBytes) >> 2;
      const data = (c << 2) + RING_CTRL_BYTES;
      const mask = this.s.ringBytes - 1;
      const head = Atomics.load(w, c + R_HEAD);
      let tail = w[c + R_TAIL]!;
      let count = w[c + R_TAIL_COUNT]!;
      while (tail !== head && n < max) {
        const at = data + (tail & mask);
        const len = w[at >> 2]!;
        if (len === WRAP) {
          tail = (tail + (this.s.ringBytes - (tail & mask))) | 0;
          continue;
        }
        if (len < RECORD_HEADER_BYTES || (len & 7) !== 0 || len > this.s.ringBytes - (tail & mask)) {
          throw new DpkitError(`capture ring ${ring} holds a record of ${len} bytes at ${tail & mask}: the region is not what this dpkit-dumpcap expects (use the application's own dpkit version)`);
        }
        const pq = w[(at >> 2) + 1]!;
        each({
          port: pq & 0xffff, queue: pq >>> 16, dir: w[(at >> 2) + 6]!, timestampUs: this.f64[(at + 8) >> 3]!,
          origLen: w[(at >> 2) + 4]!, data: this.bytes.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + w[(at >> 2) + 5]!),
        });
        tail = (tail + len) | 0;
        count = (count + 1) | 0;
        n++;
      }
      Atomics.store(w, c + R_TAIL_COUNT, count);
      Atomics.store(w, c + R_TAIL, tail);
    }
    return n;
  }

  /** A port's captured and dropped packets since the application started, over every ring. */
  counters(port: number): [number, number] {
    return portCounters(this.f64, this.s.rings, this.s.ringBytes, port);
  }
}
