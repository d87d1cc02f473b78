/**
 * dpkit-dumpcap's capture (dpdk-dumpcap's main): attach to the application by its
 * --file-prefix, choose the interfaces, write the section header and one interface block per
 * port, enable the capture, then copy records from the application's rings into Enhanced
 * Packet Blocks until a stop condition, a signal, or the application's exit; at the end the
 * per-interface statistics blocks and DPDK's closing lines.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DpkitError, VERSION } from '@dpkit/eal';
import { PdumpClient, PdumpReader, type PdumpPortInfo, type PdumpRecord } from '@dpkit/eal/pdump';
import type { DumpcapOptions } from './args.js';
import { enhancedPacket, interfaceDescription, interfaceStatistics, sectionHeader } from './pcapng.js';

export type Print = (text: string) => void;

const nowUs = () => performance.timeOrigin * 1000 + performance.now() * 1000;
const usToNs = (us: number) => BigInt(Math.floor(us)) * 1000n + BigInt(Math.round((us % 1) * 1000));

/** The interface name DPDK's pcapng gives a port: its kernel netdev, else dpdk:N. */
function ifName(p: PdumpPortInfo): string {
  return p.ifName ?? `dpdk:${p.port}`;
}

function selectInterfaces(ports: PdumpPortInfo[], arg: string | undefined, out: Print): PdumpPortInfo[] {
  if (ports.length === 0) throw new DpkitError('No Ethernet ports found');
  let chosen: PdumpPortInfo[];
  if (arg === undefined) chosen = [ports[0]!];
  else if (arg === '*') chosen = ports;
  else {
    const byName = ports.find((p) => p.name === arg);
    if (byName) chosen = [byName];
    else {
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(arg)) throw new DpkitError(`Specified port_number "${arg}" is not a valid number (and no port is named '${arg}': dpkit-dumpcap -D lists them)`);
      const n = Number(arg);
      const p = ports.find((x) => x.port === n);
      if (!p) throw new DpkitError(`Invalid port number ${n}`);
      chosen = [p];
    }
  }
  for (const p of chosen) out(`Capturing on '${p.name}'`);
  return chosen;
}

/** Runs one capture; returns the exit code. `out` is stdout, `err` stderr (each a line). */
export async function dumpcap(o: DumpcapOptions, out: Print, err: (text: string) => void, progname = 'dpkit-dumpcap'): Promise<number> {
  const client = await PdumpClient.connect(o.filePrefix);
  let primaryGone = false;
  let wake: (() => void) | undefined;
  client.onClose(() => {
    primaryGone = true;
    wake?.();
  });
  try {
    const ports = await client.ports();
    if (o.listInterfaces) {
      for (const p of ports) out(`${p.port}. ${p.name}`);
      return 0;
    }
    // with the file on stdout (-w -), the interface lines go to stderr (dpdk-dumpcap prints them into the file)
    const chosen = selectInterfaces(ports, o.interface, o.output === '-' ? (line) => err(`${line}\n`) : out);
    let records = 1;
    while (records < o.ringSize) records *= 2;
    if (records !== o.ringSize) err(`Ring size ${o.ringSize} rounded up to ${records}\n`);

    // the output file, as create_output: a temp name after the first interface, or '-'
    let path = o.output;
    if (path === undefined) {
      const d = new Date();
      const ts = `${d.getFullYear()}${[d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join('')}`;
      path = `/tmp/${progname}_${chosen[0]!.port}_${chosen[0]!.name}_${ts}.pcapng`;
    }
    let fd = 1;
    if (path !== '-') {
      err(`File: ${path}\n`);
      try {
        fd = openSync(path, 'w', o.groupRead ? 0o640 : 0o600);
      } catch (e) {
        throw new DpkitError(`Can not open "${path}": ${(e as Error).message}`);
      }
    }
    let fileSize = 0;
    const write = (b: Buffer) => {
      for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
      fileSize += b.length;
    };
    try {
      write(sectionHeader({ os: `Linux ${release()}`, app: `${progname} 1.0 (dpkit ${VERSION})`, ...(o.comment !== undefined ? { comment: o.comment } : {}) }));
      // every port gets an interface block, in port order (the file's interface ids)
      const index = new Map<number, number>();
      ports.forEach((p, i) => {
        index.set(p.port, i);
        const mine = chosen.includes(p);
        write(interfaceDescription({
          name: (mine && o.ifname) || ifName(p), description: (mine && o.ifdescr) || `${p.name} (${p.driver})`, mac: p.mac,
          speed: p.speed * 1e6, hardware: `${p.bus}-${p.name}`, snaplen: o.snaplen,
        }));
      });

      const startUs = nowUs();
      const session = await client.enable({
        ports: chosen.map((p) => p.port), queue: o.queue, rx: o.rx, tx: o.tx, snaplen: o.snaplen, records, promisc: o.promiscuous,
      });
      const reader = new PdumpReader(session);
      reader.setClock(nowUs());

      let quit = false;
      const onSignal = () => {
        quit = true;
        wake?.();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', onSignal);
      const tty = process.stderr.isTTY && !o.quiet;
      let shown = '';
      const show = (n: number) => {
        err('\b'.repeat(shown.length));
        shown = `${n} `;
        err(shown);
      };
      if (tty) {
        err('Packets captured: ');
        show(0);
      }
      let captured = 0;
      const each = (r: PdumpRecord) => {
        write(enhancedPacket(index.get(r.port)!, usToNs(r.timestampUs), r.data, r.origLen, r.dir, r.queue));
        captured++;
      };
      const stop = o.stop;
      const deadline = stop.durationMs ? startUs + stop.durationMs * 1000 : Infinity;
      try {
        for (;;) {
          const left = stop.packets ? stop.packets - captured : Infinity;
          const n = reader.poll(each, left);
          reader.setClock(nowUs());
          if (n && tty) show(captured);
          if (quit || primaryGone) break;
          if (stop.packets && captured >= stop.packets) break;
          if (stop.sizeBytes && fileSize >= stop.sizeBytes) break;
          if (nowUs() > deadline) break;
          // idle: sleep a millisecond (the clock then moves in 1 ms steps); busy: go on at once
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (n) setImmediate(resolve);
            else setTimeout(resolve, 1);
          });
          wake = undefined;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.off('SIGHUP', onSignal);
      }
      const endUs = nowUs();
      if (primaryGone) {
        err('Primary process is no longer active, exiting...\n');
        return 0;
      }
      await client.disable();
      // a burst that read its selector before the disable may still be writing: let it finish
      await new Promise((r) => setTimeout(r, 10));
      if (!tty && !o.quiet) err(`Packets captured: ${captured} `);
      err('\n');
      for (const p of chosen) {
        const [c, d] = reader.counters(p.port);
        const [c0, d0] = session.base[p.port] ?? [0, 0];
        const recv = c - c0;
        const drop = d - d0;
        write(interfaceStatistics(index.get(p.port)!, usToNs(nowUs()), { start: usToNs(startUs), end: usToNs(endUs), recv, drop }));
        const percent = recv === 0 ? 0 : (100 * recv) / (recv + drop);
        err(`Packets received/dropped on interface '${p.name}': ${recv}/${drop} (${percent.toFixed(1)})\n`);
      }
      return 0;
    } finally {
      if (fd !== 1) closeSync(fd);
    }
  } finally {
    client.close();
  }
}
