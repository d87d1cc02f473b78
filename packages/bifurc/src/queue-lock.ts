/**
 * Which process has split a netdev queue: one abstract Unix socket per queue,
 * `\0dpkit-dra-<ifindex>-<queue>`, that the holder listens on. Abstract sockets belong to the
 * network namespace (as the netdev and its ifindex do), have no file to clean up, and the
 * kernel releases them when their process exits, kill -9 included. A connection to the lock
 * is answered with the holder's PID, which names it in the refusal.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { DpkitError } from '@dpkit/eal';

/** how long a refusal waits for the holder to say its PID (it names the holder; nothing waits on it otherwise) */
const PID_WAIT_MS = 500;

/** the locks this process holds, by `${ifindex}-${queue}`, with the port that holds each */
const held = new Map<string, { server: Server; owner: string }>();

const lockName = (ifindex: number, queue: number) => `\0dpkit-dra-${ifindex}-${queue}`;

function listen(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => {
      c.on('error', () => c.destroy());
      c.end(`${process.pid}\n`);
    });
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: name }, () => {
      server.unref();
      resolve(server);
    });
  });
}

/** The PID a lock's holder answers with, or undefined if it says nothing in time. */
function holderPid(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const c = createConnection({ path: name });
    const done = (pid: number | undefined) => {
      clearTimeout(timer);
      c.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => done(undefined), PID_WAIT_MS);
    c.setEncoding('utf8');
    c.on('data', (d) => {
      text += d;
    });
    c.on('end', () => done(/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined));
    c.on('error', () => done(undefined));
  });
}

/**
 * Locks netdev queues `queues` of `iface` for `owner`, all or none: EBUSY at once, in one line
 * naming the queue and its holder, if one is held here or by another process.
 */
export async function lockQueues(iface: string, ifindex: number, queues: readonly number[], owner: string): Promise<void> {
  const got: string[] = [];
  try {
    for (const q of queues) {
      const key = `${ifindex}-${q}`;
      const mine = held.get(key);
      if (mine) {
        throw new DpkitError(`${owner}: ${iface} queue ${q} is split off by ${mine.owner} of this process (one user per queue): stop that port, or split other queues (start_queue=/qoff=)`, 'EBUSY');
      }
      const server = await listen(lockName(ifindex, q));
      if (!server) {
        const pid = await holderPid(lockName(ifindex, q));
        const who = pid === undefined ? 'another process' : `process ${pid}`;
        throw new DpkitError(`${owner}: ${iface} queue ${q} is split off by ${who} (one user per queue): stop it, or split other queues (start_queue=/qoff=)`, 'EBUSY');
      }
      held.set(key, { server, owner });
      got.push(key);
    }
  } catch (err) {
    for (const key of got) unlockKey(key);
    throw err;
  }
}

function unlockKey(key: string): void {
  const h = held.get(key);
  if (!h) return;
  held.delete(key);
  h.server.close();
}

/** Releases the locks of `queues` that this process holds. */
export function unlockQueues(ifindex: number, queues: readonly number[]): void {
  for (const q of queues) unlockKey(`${ifindex}-${q}`);
}

/** Whether this process holds the lock of a queue. */
export const queueLocked = (ifindex: number, queue: number): boolean => held.has(`${ifindex}-${queue}`);
