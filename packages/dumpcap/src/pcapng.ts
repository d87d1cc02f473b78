/**
 * The pcapng blocks dpkit-dumpcap writes (draft-ietf-opsawg-pcapng), with the options
 * DPDK 22.11's rte_pcapng writes: a Section Header Block (comment, OS, application), an
 * Interface Description Block per port (snaplen, if_tsresol 9 = nanoseconds, if_name,
 * if_description, if_MACaddr, if_speed, if_hardware), an Enhanced Packet Block per packet
 * (epb_flags with the direction, epb_queue) and an Interface Statistics Block per captured
 * port at the end (isb_starttime, isb_endtime, isb_ifrecv, isb_ifdrop). Little-endian, as the
 * host writes it (the byte-order magic tells readers).
 */

const SHB = 0x0a0d0d0a;
const IDB = 1;
const ISB = 5;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LINKTYPE_ETHERNET = 1;

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_MACADDR = 6;
const IF_SPEED = 8;
const IF_TSRESOL = 9;
const IF_HARDWARE = 15;
const EPB_FLAGS = 2;
const EPB_QUEUE = 6;
const ISB_STARTTIME = 2;
const ISB_ENDTIME = 3;
const ISB_IFRECV = 4;
const ISB_IFDROP = 5;

/** epb_flags' direction bits */
export const INBOUND = 1;
export const OUTBOUND = 2;

type Option = [code: number, value: Buffer];

const pad4 = (n: number) => (n + 3) & ~3;

function str(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
}

/** A timestamp option's value: the high 32 bits, then the low 32 bits (as the EPB's). */
function ts64(ns: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(Number(ns >> 32n));
  b.writeUInt32LE(Number(ns & 0xffffffffn), 4);
  return b;
}

function options(opts: Option[]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of [...opts, [OPT_END, Buffer.alloc(0)] as Option]) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(code);
    h.writeUInt16LE(value.length, 2);
    parts.push(h, value, Buffer.alloc(pad4(value.length) - value.length));
  }
  return Buffer.concat(parts);
}

/** A block: type, total length, body, options, total length again. */
function block(type: number, body: Buffer, opts: Option[]): Buffer {
  const o = options(opts);
  const len = 12 + body.length + o.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  o.copy(b, 8 + body.length);
  b.writeUInt32LE(len, len - 4);
  return b;
}

export function sectionHeader(s: { os?: string; app: string; comment?: string }): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(BYTE_ORDER_MAGIC);
  body.writeUInt16LE(1, 4); // major
  body.writeUInt16LE(0, 6); // minor
  body.writeBigInt64LE(-1n, 8); // section length unknown
  const opts: Option[] = [];
  if (s.comment !== undefined) opts.push([OPT_COMMENT, str(s.comment)]);
  if (s.os !== undefined) opts.push([SHB_OS, str(s.os)]);
  opts.push([SHB_USERAPPL, str(s.app)]);
  return block(SHB, body, opts);
}

export interface InterfaceDescription {
  name: string;
  description?: string;
  /** aa:bb:cc:dd:ee:ff */
  mac?: string;
  /** bits per second */
  speed?: number;
  hardware?: string;
  snaplen: number;
}

export function interfaceDescription(i: InterfaceDescription): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(LINKTYPE_ETHERNET);
  body.writeUInt32LE(i.snaplen, 4);
  const opts: Option[] = [[IF_TSRESOL, Buffer.from([9])], [IF_NAME, str(i.name)]];
  if (i.description !== undefined) opts.push([IF_DESCRIPTION, str(i.description)]);
  if (i.mac !== undefined) opts.push([IF_MACADDR, Buffer.from(i.mac.split(':').map((x) => parseInt(x, 16)))]);
  if (i.speed) opts.push([IF_SPEED, u64(BigInt(i.speed))]);
  if (i.hardware !== undefined) opts.push([IF_HARDWARE, str(i.hardware)]);
  return block(IDB, body, opts);
}

/** An Enhanced Packet Block: `data` is the captured bytes (origLen the packet's length). */
export function enhancedPacket(iface: number, ns: bigint, data: Uint8Array, origLen: number, dir: number, queue: number): Buffer {
  const body = Buffer.alloc(20 + pad4(data.length));
  body.writeUInt32LE(iface);
  body.writeUInt32LE(Number(ns >> 32n), 4);
  body.writeUInt32LE(Number(ns & 0xffffffffn), 8);
  body.writeUInt32LE(data.length, 12);
  body.writeUInt32LE(origLen, 16);
  body.set(data, 20);
  return block(EPB, body, [[EPB_FLAGS, u32(dir)], [EPB_QUEUE, u32(queue)]]);
}

export function interfaceStatistics(iface: number, ns: bigint, s: { start: bigint; end: bigint; recv: number; drop: number }): Buffer {
  const body = Buffer.alloc(12);
  body.writeUInt32LE(iface);
  body.writeUInt32LE(Number(ns >> 32n), 4);
  body.writeUInt32LE(Number(ns & 0xffffffffn), 8);
  return block(ISB, body, [
    [ISB_STARTTIME, ts64(s.start)], [ISB_ENDTIME, ts64(s.end)], [ISB_IFRECV, u64(BigInt(s.recv))], [ISB_IFDROP, u64(BigInt(s.drop))],
  ]);
}
