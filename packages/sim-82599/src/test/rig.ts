// The raw-driver rig of the sim-82599 tests: a device, 1 MiB of DMA memory registered at an
// IOVA above 4 GiB, and the register sequences a driver performs (datasheet §4.6.7 receive
// init, §4.6.8 transmit init, as ixy and DPDK do them).
import { linux } from '@dpkit/eal/linux';
import { Sim82599 } from '../device.js';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import * as r from '@dpkit/ixgbe-defs/regs';

export const IOVA = 0x1_0000_0000; // above 4 GiB, so RDBAH/TDBAH matter
export const DMA_SIZE = 1 << 20;
export const RING = 32; // descriptors per ring
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Waits (bounded: at most 400 rounds of 5 ms) until `done()`; the caller asserts afterwards. */
export async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await sleep(5);
}

/**
 * A driver of one register window (`regs`) whose DMA memory `mem` the device sees at `iova`:
 * register access, queue set-up, descriptors. Offsets given to it are offsets into `mem`.
 */
export function driverOn(regs: Uint32Array, mem: ArrayBuffer, iova: number) {
  const bytes = new Uint8Array(mem);
  const words = new Uint32Array(mem);
  const reg = (offset: number) => regs[offset >> 2]!;
  const setReg = (offset: number, v: number) => { regs[offset >> 2] = v; };
  const hi = (offset: number) => Math.floor((iova + offset) / 2 ** 32);
  const lo = (offset: number) => (iova + offset) % 2 ** 32;
  /** §4.6.7: SRRCTL, ring base/length, head = tail = 0, buffers in, ENABLE, poll, tail = N - 1 */
  const rxQueue = async (q: number, ring: number, buffers: number, srrctlAt = r.SRRCTL(q)) => {
    setReg(srrctlAt, r.SRRCTL_DESCTYPE_ADV_ONEBUF | r.SRRCTL_DROP_EN | (2048 >> r.SRRCTL_BSIZEPKT_SHIFT));
    setReg(r.RDBAL(q), lo(ring));
    setReg(r.RDBAH(q), hi(ring));
    setReg(r.RDLEN(q), RING * d.DESC_SIZE);
    setReg(r.RDH(q), 0);
    setReg(r.RDT(q), 0);
    for (let i = 0; i < RING; i++) {
      const w = (ring >> 2) + i * d.DESC_DWORDS;
      words[w] = lo(buffers + i * 2048);
      words[w + 1] = hi(buffers + i * 2048);
      words[w + 2] = 0; // hdr_addr: clears DD
      words[w + 3] = 0;
    }
    setReg(r.RXDCTL(q), reg(r.RXDCTL(q)) | r.RXDCTL_ENABLE);
    await until(() => (reg(r.RXDCTL(q)) & r.RXDCTL_ENABLE) !== 0);
    setReg(r.RDT(q), RING - 1); // the device owns [head, tail): one descriptor stays back
  };
  /** §4.6.8: ring base/length, DMATXCTL.TE, head = tail = 0, ENABLE, poll */
  const txQueue = async (q: number, ring: number) => {
    setReg(r.TDBAL(q), lo(ring));
    setReg(r.TDBAH(q), hi(ring));
    setReg(r.TDLEN(q), RING * d.DESC_SIZE);
    setReg(r.DMATXCTL, reg(r.DMATXCTL) | r.DMATXCTL_TE);
    setReg(r.TDH(q), 0);
    setReg(r.TDT(q), 0);
    setReg(r.TXDCTL(q), reg(r.TXDCTL(q)) | r.TXDCTL_ENABLE);
    await until(() => (reg(r.TXDCTL(q)) & r.TXDCTL_ENABLE) !== 0);
  };
  /** one advanced data descriptor; `addr` is a DMA offset, or an IOVA when `raw` */
  const txDescriptor = (ring: number, i: number, addr: number, len: number, cmd: number, paylen: number, raw = false) => {
    const w = (ring >> 2) + i * d.DESC_DWORDS;
    words[w] = raw ? addr % 2 ** 32 : lo(addr);
    words[w + 1] = raw ? Math.floor(addr / 2 ** 32) : hi(addr);
    words[w + 2] = (d.TXD_DTYP_DATA | d.TXD_DCMD_DEXT | d.TXD_DCMD_IFCS | cmd | len) >>> 0;
    words[w + 3] = paylen << d.TXD_PAYLEN_SHIFT;
  };
  const rxWriteBack = (ring: number, i: number) => {
    const w = (ring >> 2) + i * d.DESC_DWORDS;
    return { pktInfo: words[w]! & 0xFFFF, status: words[w + 2]!, length: words[w + 3]! & 0xFFFF };
  };
  return { bytes, words, reg, setReg, rxQueue, txQueue, txDescriptor, rxWriteBack };
}

/** A device with 1 MiB of DMA memory at IOVA in the kernel side's domain, driven through BAR0. */
export function rig() {
  const nic = new Sim82599();
  const mem = linux('the sim-82599 test').memfdMap('sim-82599-test-dma', DMA_SIZE);
  nic.mapDma(mem.fd, 0, DMA_SIZE, IOVA);
  return { nic, ...driverOn(nic.regs, mem.buffer, IOVA), close: () => { nic.close(); linux().unmap(mem.buffer); linux().close(mem.fd); } };
}

/** Another owner of `nic`: its register window and 1 MiB of DMA memory at `iova` in its own domain. */
export function owner(nic: Sim82599, iova: number) {
  const w = nic.addWindow();
  const mem = linux('the sim-82599 test').memfdMap('sim-82599-test-owner', DMA_SIZE);
  nic.mapDma(mem.fd, 0, DMA_SIZE, iova, w.window);
  return { window: w.window, ...driverOn(w.regs, mem.buffer, iova), close: () => { linux().unmap(mem.buffer); linux().close(mem.fd); } };
}



export function frame(length: number, etype: number, l4 = 0): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (i * 7 + length) & 0xFF;
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, etype >> 8, etype & 0xFF], 0);
  if (etype === 0x0800) { f[14] = 0x45; f[20] = 0; f[21] = 0; f[23] = l4; } // IPv4, not a fragment
  return f;
}


/** The bytes of a dotted IPv4 address, in wire order. */
export const addr = (a: string) => a.split('.').map(Number);

/** An Ethernet + IPv4 frame with a TCP (54 bytes) or other (42 bytes) L4 header. */
export function ipv4(proto: number, src: string, dst: string, sport = 0, dport = 0, tcpFlags = 0): Uint8Array {
  const f = new Uint8Array(proto === 6 ? 54 : 42);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0, 0, f.length - 14, 0, 0, 0, 0, 64, proto, 0, 0, ...addr(src), ...addr(dst)]);
  f.set([sport >> 8, sport & 0xFF, dport >> 8, dport & 0xFF], 34);
  if (proto === 6) { f[46] = 0x50; f[47] = tcpFlags; }
  return f;
}

