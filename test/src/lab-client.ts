/**
 * Clients for the bifurcation lab (runs in the peer namespace). Prints one JSON line:
 * { sent, fromKernel, fromUser, lost }.
 *   udp HOST PORT COUNT [gapMs [SRC]]  datagrams one at a time, each waiting up to 300 ms for its
 *                                 answer; from address SRC (a local address) when given
 *   tcp HOST PORT COUNT           connections, each sends a line and waits for the echo
 *   tcphold HOST PORT COUNT       one connection: COUNT lines; it prints "connected LOCALPORT"
 *                                 first and reads a line on stdin before each line after the first
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [kind, host, portArg, countArg, extra, src] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const res = { sent: 0, fromKernel: 0, fromUser: 0, lost: 0 };

async function udp(): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind({ port: 0, address: src }, r));
  const gap = Number(extra ?? 0);
  for (let i = 0; i < count; i++) {
    const tag = `dpkit-${process.pid}-${i}`;
    const answer = new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => { s.off('message', on); resolve(undefined); }, 300);
      const on = (m: Buffer) => {
        const text = m.toString();
        if (!text.endsWith(tag)) return;
        clearTimeout(t);
        s.off('message', on);
        resolve(text);
      };
      s.on('message', on);
    });
    s.send(tag, port, host);
    res.sent++;
    const a = await answer;
    if (a === undefined) res.lost++;
    else if (a.startsWith('kernel:')) res.fromKernel++;
    else res.fromUser++;
    if (gap) await new Promise((r) => setTimeout(r, gap));
  }
  s.close();
}

function tcpOnce(i: number): Promise<'kernel' | 'user' | 'lost'> {
  return new Promise((resolve) => {
    const c = net.connect({ host, port });
    const tag = `hello-${i}`;
    const t = setTimeout(() => { c.destroy(); resolve('lost'); }, 1500);
    c.on('error', () => { clearTimeout(t); resolve('lost'); });
    c.on('connect', () => c.write(tag));
    c.on('data', (d) => {
      clearTimeout(t);
      c.destroy();
      resolve(d.toString().startsWith('kernel:') ? 'kernel' : 'user');
    });
  });
}

async function tcp(): Promise<void> {
  for (let i = 0; i < count; i++) {
    res.sent++;
    const r = await tcpOnce(i);
    if (r === 'kernel') res.fromKernel++;
    else if (r === 'user') res.fromUser++;
    else res.lost++;
  }
}

/** One long-lived connection; the parent paces it through stdin (a newline per line to send). */
async function tcphold(): Promise<void> {
  const c = net.connect({ host, port });
  await new Promise<void>((r, j) => { c.on('connect', () => r()); c.on('error', j); });
  process.stdout.write(`connected ${c.localPort}\n`);
  const lines = process.stdin;
  let buffered = 0;
  const wait = async () => {
    while (buffered === 0) await new Promise((r) => lines.once('data', (d: Buffer) => { buffered += d.toString().split('\n').length - 1; r(undefined); }));
    buffered--;
  };
  for (let i = 0; i < count; i++) {
    if (i > 0) await wait();
    res.sent++;
    const got = await new Promise<string | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 1500);
      c.once('data', (d) => { clearTimeout(t); resolve(d.toString()); });
      c.write(`line-${i}`);
    });
    if (got === undefined) res.lost++;
    else if (got.startsWith('kernel:')) res.fromKernel++;
    else res.fromUser++;
    process.stdout.write(`${JSON.stringify(res)}\nanswered ${i}\n`);
  }
  c.destroy();
  lines.destroy();
}

await (kind === 'udp' ? udp() : kind === 'tcp' ? tcp() : tcphold());
process.stdout.write(JSON.stringify(res) + '\n');
