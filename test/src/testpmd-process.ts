/**
 * Runs dpkit-testpmd as a child process for tests: every wait is bounded in time, and the
 * process is killed when the test ends, whatever happened.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/testpmd/dist/cli.js', import.meta.url));
let seq = 0;

/** A --file-prefix no other run uses. */
export function prefix(): string {
  return `--file-prefix=t${process.pid}-${seq++}`;
}

export class TestpmdProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `cli`: the entry script to run (an installed package's bin), by default this checkout's; `env`: added to this process's */
  constructor(args: string[], cli = CLI, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [cli, ...args], { stdio: 'pipe', env: { ...process.env, ...env } });
    this.child.stdout.on('data', (d: Buffer) => { this.stdout += d.toString(); });
    this.child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves when `pred(stdout)` holds; rejects after `ms`. */
  async until(pred: (out: string) => boolean, ms = 20_000, what = 'output'): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.stdout)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout so far:\n${this.stdout.slice(-2000)}\nstderr:\n${this.stderr}`);
      if (this.child.exitCode !== null) throw new Error(`testpmd exited (${this.child.exitCode}) while waiting for ${what}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a command and waits for the next prompt. */
  async command(line: string, ms = 20_000): Promise<string> {
    const before = this.stdout.length;
    this.child.stdin.write(line + '\n');
    await this.until((out) => out.slice(before).includes('testpmd> '), ms, `the prompt after '${line}'`);
    return this.stdout.slice(before);
  }

  async exit(ms = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs testpmd to completion (bounded); returns its exit status and output. */
export async function runTestpmd(args: string[], input = '', ms = 30_000, env: NodeJS.ProcessEnv = {}) {
  const p = new TestpmdProcess(args, CLI, env);
  p.child.stdin.end(input);
  try {
    const r = await p.exit(ms);
    return { ...r, stdout: p.stdout, stderr: p.stderr };
  } finally {
    p.kill();
  }
}

/** Parses `Forward statistics for port N` blocks: port → { rx, tx, txDropped }. */
export function forwardStats(out: string): Map<number, { rx: number; tx: number; txDropped: number }> {
  const m = new Map<number, { rx: number; tx: number; txDropped: number }>();
  const re = /Forward statistics for port (\d+)\s+-+\n\s+RX-packets: (\d+)[^\n]*\n(?:[^\n]*RX-(?:error|nombufs)[^\n]*\n)*\s+TX-packets: (\d+)\s+TX-dropped: (\d+)/g;
  for (let x = re.exec(out); x; x = re.exec(out)) m.set(Number(x[1]), { rx: Number(x[2]), tx: Number(x[3]), txDropped: Number(x[4]) });
  return m;
}
