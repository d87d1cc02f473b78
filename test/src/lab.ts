/**
 * A bifurcation lab of its own: two network namespaces joined by a veth pair —
 * `host` (veth end `va`, 10.77.0.1: kernel services and dpkit-testpmd split off it) and `peer`
 * (veth end `vb`, 10.77.0.2: the clients). Traffic stays between the two. The demo
 * (scripts/demo.mjs) and the end-to-end tests use it; destroy() removes everything, and so does
 * process exit (and the next lab, for the namespaces of a process that was killed).
 *
 * With `emulatedNic()` the host side is the emulated 82599 instead: `dpkit-sim-82599 bx0 --wire
 * va`, 10.77.0.1 moved to bx0 (the NIC's kernel interface), va its wire.
 *
 * Kernel services in `host` answer with a "kernel:" prefix, so a client knows who answered:
 * dpkit-testpmd in 5tswap mode sends a datagram back unchanged.
 */
import { kernelTestStatus } from '@dpkit/eal/testing';
import { removeStaleNetns } from '@dpkit/eal/linux';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TESTPMD = `${ROOT}packages/testpmd/dist/cli.js`;
const SERVICES = fileURLToPath(new URL('./lab-services.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('./lab-client.js', import.meta.url));
const SIM = `${ROOT}packages/sim-82599/bin/dpkit-sim-82599.js`;
const ETHTOOL = `${ROOT}packages/sim-82599/bin/dpkit-ethtool.js`;

export const HOST_IP = '10.77.0.1';
export const PEER_IP = '10.77.0.2';
/** the source the RFC's second rule steers (`src-ip 1.1.1.1 action 32`): an address of peer's too */
export const STEERED_IP = '1.1.1.1';

/** where @dpkit/eal keeps a --file-prefix's runtime directory when root */
const RUNTIME = '/var/run/dpkit';
/**
 * Runs the command after it with a runtime directory of its own: a tmpfs over /var/run/dpkit in
 * its own mount namespace (`ip netns exec` gives each process one), so the RFC's command line
 * runs as written (the default --file-prefix) while other dpkit processes hold that prefix.
 */
const PRIVATE_RUNTIME = ['sh', '-c', `mount -t tmpfs dpkit-lab ${RUNTIME} && exec "$@"`, 'sh'];

/** python3: raw frames on vb (AF_PACKET, any MAC) for ARGV[1] s or until ARGV[2] came in: "in|out HEX" */
const CAPTURE = `
import select, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(('vb', 0))
print('capturing', flush=True)
end, want, got = time.time() + float(sys.argv[1]), int(sys.argv[2]), 0
while got < want and time.time() < end:
    if not select.select([s], [], [], max(0, end - time.time()))[0]:
        break
    data, addr = s.recvfrom(65535)
    out = addr[2] == socket.PACKET_OUTGOING
    got += 0 if out else 1
    print('out' if out else 'in', data.hex(), flush=True)
`;

/** A frame seen on vb: sent by peer (`out`) or received (`in`), its bytes in hex. */
export interface Captured {
  dir: 'in' | 'out';
  hex: string;
}

let seq = 0;

/** python3: one TCP SYN through a raw socket (the kernel adds the IPv4 header). */
const FORGE_SYN = `
import socket, struct, sys
src, dst, sports, dport, seq = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
first, _, last = sports.partition('-')
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for sport in range(int(first), int(last or first) + 1):
    def tcp(csum):
        return struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, 0x02, 64240, csum, 0)
    data = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, 20) + tcp(0)
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    raw.sendto(tcp(~s & 0xffff), (dst, 0))
`;

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
    removeStaleNetns();
    const lab = new BifurcLab(tag);
    process.once('exit', lab.onExit);
    process.once('SIGINT', lab.onSignal);
    process.once('SIGTERM', lab.onSignal);
    try {
      const q = String(o.queues ?? 1);
      ip(['netns', 'add', lab.host]);
      ip(['netns', 'add', lab.peer]);
      ip(['-n', lab.host, 'link', 'add', 'va', 'numrxqueues', q, 'numtxqueues', q, 'type', 'veth', 'peer', 'name', 'vb', 'netns', lab.peer, 'numrxqueues', q, 'numtxqueues', q]);
      // XPS on vb: a client pinned to CPU i sends on vb's tx queue i, which is va's rx queue i
      for (let i = 0; Number(q) > 1 && i < Number(q) && i < 31; i++) {
        const r = spawnSync('ip', ['netns', 'exec', lab.peer, 'sh', '-c', `echo ${(1 << i).toString(16)} > /sys/class/net/vb/queues/tx-${i}/xps_cpus`], { encoding: 'utf8', timeout: 10_000 });
        if (r.status !== 0) throw new Error(`XPS for vb tx-${i}: ${(r.stderr || r.error?.message || '').trim()}`);
      }
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

  /**
   * The emulated 82599 in `host`: `dpkit-sim-82599 bx0 --wire va`; HOST_IP moves from va to bx0
   * (va is the NIC's wire, answering no ARP), with a route to STEERED_IP through peer, which
   * has that address on vb too. No IPv6 on bx0, va and vb (the kernel would send router
   * solicitations of its own).
   * Resolves with the device's ready line once it printed it (at most 20 s).
   */
  async emulatedNic(): Promise<string> {
    const c = this.spawnIn(this.host, [process.execPath, SIM, 'bx0', '--wire', 'va']);
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const deadline = Date.now() + 20_000;
    while (!out.includes('\n') && c.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes(' ready ')) throw new Error(`dpkit-sim-82599 bx0 --wire va did not start: ${out.trim() || 'no output in 20 s'}`);
    // va answers no ARP for host's addresses (they are bx0's: its frames reach the kernel only through the NIC)
    for (const [ns, set] of [[this.host, 'ipv6/conf/bx0/disable_ipv6=1'], [this.host, 'ipv6/conf/va/disable_ipv6=1'], [this.host, 'ipv4/conf/va/arp_ignore=8'], [this.peer, 'ipv6/conf/vb/disable_ipv6=1']] as const) {
      const [key, value] = set.split('=');
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `echo ${value} > /proc/sys/net/${key}`], { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`sysctl ${set}: ${(r.stderr || r.error?.message || '').trim()}`);
    }
    ip(['-n', this.host, 'addr', 'del', `${HOST_IP}/24`, 'dev', 'va']);
    ip(['-n', this.host, 'addr', 'add', `${HOST_IP}/24`, 'dev', 'bx0']);
    ip(['-n', this.host, 'link', 'set', 'bx0', 'up']);
    ip(['-n', this.host, 'route', 'add', `${STEERED_IP}/32`, 'via', PEER_IP, 'dev', 'bx0']);
    ip(['-n', this.peer, 'addr', 'add', `${STEERED_IP}/32`, 'dev', 'vb']);
    return out.trim();
  }

  /** `dpkit-ethtool ARGS` in `host` (the emulated NIC's ethtool): exit code, stdout, stderr. */
  ethtool(...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.host, process.execPath, ETHTOOL, ...args], { encoding: 'utf8', timeout: 20_000 });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  }

  /** dpkit-testpmd in `host`, in a runtime directory of its own with `privateRuntime` (see PRIVATE_RUNTIME). */
  private spawnTestpmd(args: string[], privateRuntime: boolean): ChildProcess {
    if (privateRuntime) mkdirSync(RUNTIME, { recursive: true });
    return this.spawnIn(this.host, [...(privateRuntime ? PRIVATE_RUNTIME : []), process.execPath, TESTPMD, ...args], 'pipe');
  }

  /**
   * dpkit-testpmd (interactive) in `host` with `args` after the EAL's; resolves at the first
   * prompt. `privateRuntime`: a runtime directory of its own, so `eal` needs no --file-prefix.
   */
  async startTestpmd(eal: string[], app: string[] = [], o: { privateRuntime?: boolean } = {}): Promise<TestpmdSession> {
    const s = new TestpmdSession(this.spawnTestpmd([...eal, '--', '-i', ...app], !!o.privateRuntime));
    await s.prompt(0, 60_000);
    return s;
  }

  /**
   * Runs a client in `peer`: `kind` udp sends `count` datagrams to `port` one at a time (each
   * waits up to 300 ms for its answer), tcp opens `count` connections and echoes a line. With
   * `cpu` the client runs on that CPU only, so (XPS, see create) it sends on vb's tx queue
   * `cpu`: its packets arrive on va's rx queue `cpu`. With `src` (udp) it sends from that
   * address of peer's (STEERED_IP).
   */
  client(kind: 'udp' | 'tcp', port: number, count: number, extra: string[] = [], o: { cpu?: number; src?: string } = {}): Promise<ClientResult> {
    const pin = o.cpu === undefined ? [] : ['taskset', '-c', String(o.cpu)];
    const from = o.src === undefined ? [] : [extra[0] ?? '0', o.src];
    const c = this.spawnIn(this.peer, [...pin, process.execPath, CLIENT, kind, HOST_IP, String(port), String(count), ...(from.length ? from : extra)]);
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
  async tcpHold(port: number, lines: number): Promise<{ localPort: number; next(): Promise<void>; end(): Promise<ClientResult> }> {
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
    const localPort = Number(/connected (\d+)/.exec(out)?.[1]);
    let sent = 1;
    return {
      localPort,
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
    const ended = await this.capturing(['tshark', '-i', 'vb', '-n', '-l', '-f', filter, '-c', String(count), '-a', `duration:${seconds}`,
      '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], (_, err) => err.includes('Capturing on'), 'tshark');
    return {
      result: async () => (await ended()).trim().split('\n').filter((l) => l.length > 0),
    };
  }

  /**
   * Starts a capturing command in `peer`; resolves once `started(stdout, stderr)` holds (at most
   * 15 s), with a function that waits for the command's end and gives its stdout.
   */
  private async capturing(args: string[], started: (out: string, err: string) => boolean, what: string): Promise<() => Promise<string>> {
    const c = this.spawnIn(this.peer, args);
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const done = new Promise<void>((r) => c.on('exit', () => r()));
    const deadline = Date.now() + 15_000;
    while (!started(out, err) && c.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!started(out, err)) throw new Error(`${what} did not start: ${err.trim()}`);
    return async () => {
      await done;
      return out;
    };
  }

  /**
   * dpkit-testpmd run to its end in `host` (for arguments it must refuse): its exit code and
   * everything it printed. Killed after 60 s.
   */
  async runTestpmd(eal: string[], app: string[] = [], o: { privateRuntime?: boolean } = {}): Promise<{ code: number | null; output: string; stderr: string }> {
    const c = this.spawnTestpmd([...eal, '--', ...app], !!o.privateRuntime);
    let output = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { output += d.toString(); stderr += d.toString(); });
    c.stdin!.end('quit\n');
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => c.on('exit', (n) => r(n)));
    clearTimeout(t);
    return { code, output, stderr };
  }

  /**
   * Frames on vb (in `peer`, an AF_PACKET socket: any MAC) for at most `seconds` or until
   * `count` came in; resolves once capturing, with `result()`, which waits for the end.
   */
  async capture(seconds: number, count: number): Promise<{ result(): Promise<Captured[]> }> {
    const ended = await this.capturing(['python3', '-c', CAPTURE, String(seconds), String(count)], (out) => out.startsWith('capturing\n'), 'capture on vb');
    return {
      result: async () => (await ended()).split('\n').slice(1).filter(Boolean).map((l) => {
        const [dir, hex] = l.split(' ') as ['in' | 'out', string];
        return { dir, hex };
      }),
    };
  }

  /** Runs `args` in `host` to its end (at most `timeoutMs`): exit code, stdout, stderr. */
  inHost(args: string[], timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.host, ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
  }

  /**
   * Sends forged TCP SYNs from `peer` (a raw socket, so no socket of peer's kernel is involved)
   * from PEER_IP:sport to HOST_IP:dport with sequence number `seq`: one, or one per source port
   * of the range [sport, lastSport].
   */
  forgeSyn(sport: number, dport: number, seq: number, lastSport = sport): void {
    const ports = `${sport}-${lastSport}`;
    const r = spawnSync('ip', ['netns', 'exec', this.peer, 'python3', '-c', FORGE_SYN, PEER_IP, HOST_IP, ports, String(dport), String(seq)], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`forged SYN: ${(r.stderr || r.error?.message || '').trim()}`);
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
