/**
 * DPDK's telemetry v2 (lib/telemetry in DPDK 22.11): a SOCK_SEQPACKET Unix socket at
 * `<runtime dir>/dpdk_telemetry.v2` speaking JSON, so DPDK's own `dpdk-telemetry.py` and other
 * v2 clients query a dpkit process unchanged. On connect the server sends
 * `{"version":...,"pid":...,"max_output_len":16384}`; each request `/cmd[,params]` gets one
 * reply `{"/cmd":VALUE}`, where VALUE is `null` for an unknown command or one that failed.
 * The socket is served on the main thread's event loop (uv_poll), never on a forwarding lcore.
 */
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { DpkitError } from '../errors.js';
import type { LinuxBinding } from '../linux/native.js';
import { logs } from '../log/log.js';

/** A reply value: what DPDK's rte_tel_data can hold (strings, integers, arrays, dictionaries). */
export type TelemetryValue = null | string | number | TelemetryValue[] | { [key: string]: TelemetryValue };

/**
 * A command handler (rte_telemetry_cb): `params` is the text after the first comma, undefined
 * when there is none. Return the reply value; return `null` or throw for an invalid request
 * (the client reads `{"/cmd":null}`, as DPDK's handlers returning < 0).
 */
export type TelemetryHandler = (cmd: string, params: string | undefined) => TelemetryValue;

/** MAX_CMD_LEN: a command name is shorter than this */
export const TELEMETRY_MAX_CMD_LEN = 56;
/** MAX_OUTPUT_LEN: the largest reply, as the greeting announces */
export const TELEMETRY_MAX_OUTPUT_LEN = 16 * 1024;
/** MAX_CONNECTIONS: clients beyond this many are accepted and closed at once */
export const TELEMETRY_MAX_CONNECTIONS = 10;
/** RTE_TEL_MAX_SINGLE_STRING_LEN: a help text is shorter than this */
const MAX_HELP_LEN = 8192;
/** the request buffer of DPDK's client handler: longer requests are cut to 1023 bytes */
const MAX_REQUEST = 1023;

/**
 * DPDK's runtime directory for a file prefix (eal_create_runtime_dir): `$RUNTIME_DIRECTORY`,
 * else `/var/run` for root, else `$XDG_RUNTIME_DIR` or `/tmp`; then `/dpdk/<prefix>`.
 */
export function dpdkRuntimeDir(prefix: string, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  const base = env.RUNTIME_DIRECTORY || (uid === 0 ? '/var/run' : env.XDG_RUNTIME_DIR || '/tmp');
  return `${base}/dpdk/${prefix}`;
}

interface Client {
  fd: number;
  poller: { stop(): void };
}

/** The command table and, once started, the v2 socket (one per Eal). */
export class Telemetry {
  private readonly log = logs.register('telemetry', 6);
  private readonly commands = new Map<string, { help: string; fn: TelemetryHandler }>();
  private readonly clients = new Set<Client>();
  private readonly buffer = new Uint8Array(MAX_REQUEST + 1);
  private listenFd = -1;
  private listener: { stop(): void } | undefined;
  private kernel: LinuxBinding | undefined;
  private createdDir: string | undefined;
  /** the socket's path while serving */
  path: string | undefined;

  /** `version`: what the greeting and /info report (the EAL gives `dpkit <VERSION>`) */
  constructor(private readonly version = 'dpkit') {
    this.register('/', 'Returns list of available commands, Takes no parameters', () => [...this.commands.keys()]);
    this.register('/info', 'Returns DPDK Telemetry information. Takes no parameters', () => this.info());
    this.register('/help', 'Returns help text for a command. Parameters: string command', (cmd, params) => {
      const c = this.commands.get(params ?? cmd);
      if (!c) return null;
      return params === undefined ? c.help : { [params]: c.help };
    });
  }

  /**
   * rte_telemetry_register_cmd: `cmd` starts with '/', is shorter than 56 characters and is
   * not registered yet; `help` is shorter than 8192.
   */
  register(cmd: string, help: string, fn: TelemetryHandler): void {
    if (!cmd.startsWith('/') || cmd.length >= TELEMETRY_MAX_CMD_LEN || cmd.includes(',')) {
      throw new DpkitError(`telemetry command '${cmd}' must start with '/', have no ',' and be shorter than ${TELEMETRY_MAX_CMD_LEN} characters`);
    }
    if (help.length >= MAX_HELP_LEN) throw new DpkitError(`telemetry command '${cmd}': help text must be shorter than ${MAX_HELP_LEN} characters`);
    if (this.commands.has(cmd)) throw new DpkitError(`telemetry command '${cmd}' is already registered`, 'EEXIST');
    this.commands.set(cmd, { help, fn });
  }

  /** The registered command names, in registration order (the reply to `/`). */
  list(): string[] {
    return [...this.commands.keys()];
  }

  private info(): TelemetryValue {
    return { version: this.version, pid: process.pid, max_output_len: TELEMETRY_MAX_OUTPUT_LEN };
  }

  /**
   * One request as the socket receives it, answered as DPDK answers: the command is the text
   * before the first comma (leading commas skipped), the parameters what follows it. A reply
   * longer than max_output_len is logged and answered `null`.
   */
  handle(request: string): string {
    const text = request.replace(/^,+/, '');
    const comma = text.indexOf(',');
    const cmd = comma < 0 ? text : text.slice(0, comma);
    const rest = comma < 0 ? '' : text.slice(comma + 1);
    const name = cmd === '' ? 'none' : cmd.slice(0, TELEMETRY_MAX_CMD_LEN);
    const c = cmd.length < TELEMETRY_MAX_CMD_LEN ? this.commands.get(cmd) : undefined;
    let value: TelemetryValue = null;
    if (c) {
      try {
        value = c.fn(cmd, rest === '' ? undefined : rest);
      } catch (err) {
        this.log.debug(`${cmd}: ${err instanceof Error ? err.message : String(err)}`);
        value = null;
      }
    }
    const reply = `{${JSON.stringify(name)}:${JSON.stringify(value)}}`;
    if (Buffer.byteLength(reply) > TELEMETRY_MAX_OUTPUT_LEN) {
      this.log.warn(`${cmd}: reply of ${Buffer.byteLength(reply)} bytes is over max_output_len (${TELEMETRY_MAX_OUTPUT_LEN}); answered null`);
      return `{${JSON.stringify(name)}:null}`;
    }
    return reply;
  }

  /**
   * Binds the v2 socket in DPDK's runtime directory for `prefix` and serves it on this thread's
   * event loop (without keeping the process alive). A live socket at the path (another process
   * with the same prefix) moves this one to `dpdk_telemetry.v2:1`, `:2`... as DPDK does
   * (`dpdk-telemetry.py -i N` connects to those).
   */
  start(kernel: LinuxBinding, prefix: string): void {
    const dir = dpdkRuntimeDir(prefix);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new DpkitError(`cannot create the telemetry directory ${dir}: ${(err as Error).message}; run as root, set RUNTIME_DIRECTORY, or pass --no-telemetry`);
    }
    this.createdDir = dir;
    const base = `${dir}/dpdk_telemetry.v2`;
    for (let suffix = 0; this.listenFd < 0; suffix++) {
      const path = suffix === 0 ? base : `${base}:${suffix}`;
      try {
        this.listenFd = kernel.seqpacketListen(path, 1);
        this.path = path;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE' || suffix >= 100) {
          this.stop();
          throw new DpkitError(`cannot start telemetry at ${path}: ${(err as Error).message}; pass --no-telemetry to run without it`);
        }
      }
    }
    this.kernel = kernel;
    const listener = new kernel.Poller(this.listenFd);
    listener.unref();
    listener.start(1, (status) => {
      if (status < 0) this.log.err(`accept on ${this.path}: ${status}`);
      else this.acceptAll();
    });
    this.listener = listener;
    this.log.debug(`telemetry socket ${this.path}`);
  }

  private acceptAll(): void {
    const k = this.kernel!;
    for (;;) {
      const fd = k.seqpacketAccept(this.listenFd);
      if (fd < 0) return;
      if (this.clients.size >= TELEMETRY_MAX_CONNECTIONS) {
        k.close(fd);
        continue;
      }
      const greeting = Buffer.from(JSON.stringify(this.info()));
      if (k.fdWrite(fd, greeting, greeting.length) < 0) {
        k.close(fd);
        continue;
      }
      const poller = new k.Poller(fd);
      poller.unref();
      const client: Client = { fd, poller };
      this.clients.add(client);
      poller.start(1, (status) => this.serve(client, status));
    }
  }

  private serve(client: Client, status: number): void {
    const k = this.kernel!;
    for (;;) {
      const n = status < 0 ? -1 : k.fdRead(client.fd, this.buffer.subarray(0, MAX_REQUEST));
      if (n === -11) return; // EAGAIN: wait for the next request
      if (n <= 0) {
        this.drop(client);
        return;
      }
      const reply = Buffer.from(this.handle(Buffer.from(this.buffer.buffer, 0, n).toString()));
      if (k.fdWrite(client.fd, reply, reply.length) < 0) {
        // the client does not read its replies (socket buffer full) or has gone
        this.log.debug(`telemetry client fd ${client.fd}: write failed; closed`);
        this.drop(client);
        return;
      }
    }
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    client.poller.stop();
    this.kernel?.close(client.fd);
  }

  /** Closes every client and the socket and removes the socket file (rte_telemetry's cleanup). */
  stop(): void {
    for (const c of [...this.clients]) this.drop(c);
    this.listener?.stop();
    this.listener = undefined;
    if (this.listenFd >= 0) this.kernel?.close(this.listenFd);
    this.listenFd = -1;
    if (this.path) rmSync(this.path, { force: true });
    this.path = undefined;
    if (this.createdDir) {
      try {
        rmdirSync(this.createdDir); // only when empty: another DPDK process may share the prefix
      } catch {
        // not empty or already gone
      }
      this.createdDir = undefined;
    }
  }
}
