/**
 * A bifurcation lab of its own: two network namespaces joined by a veth pair —
 * `host` (veth end `va`, 10.77.0.1: kernel services and dpkit-testpmd split off it) and `peer`
 * (veth end `vb`, 10.77.0.2: the clients). Traffic stays between the two. The demo
 * (scripts/demo.mjs) and the end-to-end tests use it; destroy() removes everything, and so does
 * process exit.
 *
 * Kernel services in `host` answer with a "kernel:" prefix, so a client knows who answered:
 * dpkit-testpmd in 5tswap mode sends a datagram back unchanged.
 */
import { kernelTestStatus } from '@dpkit/eal/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TESTPMD = `${ROOT}packages/testpmd/dist/cli.js`;
const SERVICES = fileURLToPath(new URL('./lab-services.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./lab-client.js', import.meta.url));

export const HOST_IP = '10.77.0.1';
export const PEER_IP = '10.77.0.2';

let seq = 0;

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

/**
 * Why the lab cannot run here (the process is not root), or undefined. Where root is present
 * it always runs: a missing addon or `ip` then fails the tests (gate them with kernelTest from
 * @dpkit/eal/testing, which says what is missing in one line).
 */
export function labMissing(): string | undefined {
  return kernelTestStatus().skip;
}

export interface ClientResult {
  sent: number;
  fromKernel: number;
  fromUser: number;
  lost: number;
}

/** An interactive dpkit-testpmd in the host namespace. */
export class TestpmdSession {
  private out = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.exited = new Promise((r) => child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w();
      r(code);
    }));
  }

  get output(): string {
    return this.out;
  }

  /** Waits until the output (from `from`) ends with the prompt; returns what came. */
  async prompt(from: number, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.out.slice(from).endsWith('testpmd> ')) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`dpkit-testpmd: no prompt (${this.child.exitCode !== null ? `exited ${this.child.exitCode}` : 'timeout'}); output:\n${this.out.slice(-2000)}`);
      }
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return this.out.slice(from);
  }

  /** Runs one command; returns its output (without the echo and the next prompt). */
  async cmd(line: string): Promise<string> {
    const from = this.out.length;
    this.child.stdin!.write(line + '\n');
    const text = await this.prompt(from);
    return text.slice(text.indexOf('\n') + 1, -'testpmd> '.length).trimEnd();
  }

  async quit(): Promise<void> {
    if (this.child.exitCode === null) this.child.stdin!.write('quit\n');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(t);
  }
}

export class BifurcLab {
  readonly host: string;
  readonly peer: string;
  private children: ChildProcess[] = [];
  private destroyed = false;
  private readonly onExit = () => this.destroySync();
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.destroySync();
    process.kill(process.pid, sig);
  };

  private constructor(tag: string) {
    const id = `${process.pid}-${threadId}-${seq++}`;
    this.host = `dpkit-${tag}-${id}-h`;
    this.peer = `dpkit-${tag}-${id}-p`;
  }

  static create(tag = 'lab', o: { queues?: number } = {}): BifurcLab {
    const lab = new BifurcLab(tag);
    process.once('exit', lab.onExit);
    process.once('SIGINT', lab.onSignal);
    process.once('SIGTERM', lab.onSignal);
    try {
      const q = String(o.queues ?? 1);
      ip(['netns', 'add', lab.host]);
      ip(['netns', 'add', lab.peer]);
      ip(['-n', lab.host, 'link', 'add', 'va', 'numrxqueues', q, 'numtxqueues', q, 'type', 'veth', 'peer', 'name', 'vb', 'netns', lab.peer, 'numrxqueues', q, 'numtxqueues', q]);
      for (const [ns, dev, addr] of [[lab.host, 'va', HOST_IP], [lab.peer, 'vb', PEER_IP]] as const) {
        ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
        ip(['-n', ns, 'link', 'set', dev, 'up']);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private spawnIn(ns: string, args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }

  /** Kernel services in `host`: UDP echo and TCP echo on the given ports. Resolves when listening. */
  async startServices(udp: number[], tcp: number[]): Promise<{ stop(): Promise<Record<string, number>> }> {
    const c = this.spawnIn(this.host, [process.execPath, SERVICES, udp.join(','), tcp.join(',')]);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const deadline = Date.now() + 10_000;
    while (!out.includes('listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes('listening')) throw new Error('the kernel services did not start');
    return {
      stop: async () => {
        const done = new Promise((r) => c.on('exit', r));
        c.kill('SIGTERM');
        await done;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        return line ? (JSON.parse(line) as Record<string, number>) : {};
      },
    };
  }

  /** dpkit-testpmd (interactive) in `host` with `args` after the EAL's; resolves at the first prompt. */
  async startTestpmd(eal: string[], app: string[] = []): Promise<TestpmdSession> {
    const s = new TestpmdSession(this.spawnIn(this.host, [process.execPath, TESTPMD, ...eal, '--', '-i', ...app], 'pipe'));
    await s.prompt(0, 60_000);
    return s;
  }

  /**
   * Runs a client in `peer`: `kind` udp sends `count` datagrams to `port` one at a time (each
   * waits up to 300 ms for its answer), tcp opens `count` connections and echoes a line.
   */
  client(kind: 'udp' | 'tcp', port: number, count: number, extra: string[] = []): Promise<ClientResult> {
    const c = this.spawnIn(this.peer, [process.execPath, CLIENT, kind, HOST_IP, String(port), String(count), ...extra]);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    return new Promise((resolve, reject) => {
      c.on('exit', (code) => {
        try {
          resolve(JSON.parse(out.trim().split('\n').pop()!) as ClientResult);
        } catch {
          reject(new Error(`client exited ${code}: ${out}`));
        }
      });
    });
  }

  /** One long-lived TCP connection from `peer`; `next()` sends a line, `end()` gives the result. */
  async tcpHold(port: number, lines: number): Promise<{ next(): Promise<void>; end(): Promise<ClientResult> }> {
    const c = this.spawnIn(this.peer, [process.execPath, CLIENT, 'tcphold', HOST_IP, String(port), String(lines)], 'pipe');
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 10_000;
      while (!out.includes(text)) {
        if (c.exitCode !== null || Date.now() > deadline) throw new Error(`tcp client: no '${text}': ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor('answered 0');
    let sent = 1;
    return {
      next: async () => {
        c.stdin!.write('\n');
        await waitFor(`answered ${sent++}`);
      },
      end: async () => {
        // the client prints its running result after each line; take the last, end it
        const last = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
        if (c.exitCode === null) c.kill('SIGKILL');
        return JSON.parse(last ?? '{}') as ClientResult;
      },
    };
  }

  /**
   * tshark on vb (in `peer`), capturing up to `count` frames that match the capture filter
   * `filter`, for at most `seconds`; resolves (once capturing) with `result()`, which waits for
   * the capture to end and gives one line per frame of the `fields` asked. UDP and TCP
   * checksums are verified (`udp.checksum.status`: 1 good, 0 bad, 2 unverified).
   */
  async tshark(filter: string, fields: string[], count: number, seconds: number): Promise<{ result(): Promise<string[]> }> {
    const c = this.spawnIn(this.peer, ['tshark', '-i', 'vb', '-n', '-l', '-f', filter, '-c', String(count), '-a', `duration:${seconds}`,
      '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const done = new Promise<void>((r) => c.on('exit', () => r()));
    const deadline = Date.now() + 15_000;
    while (!err.includes('Capturing on') && c.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!err.includes('Capturing on')) throw new Error(`tshark did not start: ${err.trim()}`);
    return {
      result: async () => {
        await done;
        return out.trim().split('\n').filter((l) => l.length > 0);
      },
    };
  }

  /** Is an XDP program attached to va? */
  xdpAttached(): boolean {
    const r = spawnSync('ip', ['-n', this.host, '-d', 'link', 'show', 'va'], { encoding: 'utf8' });
    return /prog\/xdp/.test(r.stdout);
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const ns of [this.host, this.peer]) spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        const done = new Promise((r) => c.on('exit', r));
        c.kill('SIGKILL');
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      }
    }
    this.destroySync();
  }
}
