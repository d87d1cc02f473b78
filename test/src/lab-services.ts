/**
 * Kernel services for the bifurcation lab (runs in the host namespace): UDP echo and TCP echo
 * servers that answer "kernel:<what came>". On SIGTERM prints what each served, as JSON.
 * Usage: lab-services.js UDP_PORTS TCP_PORTS (comma-separated, possibly empty).
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [udpArg = '', tcpArg = ''] = process.argv.slice(2);
const counts: Record<string, number> = {};
const ports = (s: string) => s.split(',').filter(Boolean).map(Number);
let pending = 0;
for (const p of ports(udpArg)) {
  pending++;
  const s = dgram.createSocket('udp4');
  counts[`udp${p}`] = 0;
  s.on('message', (m, r) => {
    counts[`udp${p}`]!++;
    s.send(Buffer.concat([Buffer.from('kernel:'), m]), r.port, r.address);
  });
  s.bind(p, () => ready());
}
for (const p of ports(tcpArg)) {
  pending++;
  counts[`tcp${p}`] = 0;
  net.createServer((c) => {
    counts[`tcp${p}`]!++;
    c.on('data', (d) => c.write(Buffer.concat([Buffer.from('kernel:'), d])));
    c.on('error', () => undefined);
  }).listen(p, () => ready());
}
function ready() {
  if (--pending === 0) process.stdout.write('listening\n');
}
if (pending === 0) process.stdout.write('listening\n');
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify(counts) + '\n', () => process.exit(0));
});
setTimeout(() => process.exit(0), 600_000).unref();
