// Two owners of one device, each with its own register window and DMA domain (the engine side
// of split/return; the control channel that will hand these to processes is not built): a
// queue pair decodes only in its owner's window, DMA goes only through its owner's domain,
// one queue has one owner, and a reclaim stops the owner's queues before it returns.
import test from 'ava';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import * as r from '@dpkit/ixgbe-defs/regs';
import { frame, owner, rig, until } from './rig.js';

const IOVA_A = 0x1_0000_0000, IOVA_B = 0x2_0000_0000;
/** byte-for-byte equality of large buffers (Buffer.equals: fast, unlike a deep comparison) */
const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
const RX = 0x0000, TX = 0x1000, BUFS = 0x10000, TXBUF = 0x40000, DECOY = 0x80000;

test('owners: registers decode per owner window, DMA per owner domain, one owner per queue, reclaim is synchronous', async (t) => {
  const x = rig();
  t.teardown(x.close);
  const a = owner(x.nic, IOVA_A), b = owner(x.nic, IOVA_B);
  t.teardown(() => { a.close(); b.close(); });
  x.nic.start();
  t.true(x.nic.assign(a.window, 40, 1), 'queue pair 40 to A');
  t.true(x.nic.assign(b.window, 41, 1), 'queue pair 41 to B');
  t.false(x.nic.assign(b.window, 40, 2), 'queue pair 40 is A\'s: B cannot take 40-41');
  // the kernel side's global registers: two EtherTypes to queues 40 and 41, receive and transmit on
  x.setReg(r.ETQF(0), r.ETQF_FILTER_EN | 0x88B5);
  x.setReg(r.ETQS(0), r.ETQS_QUEUE_EN | (40 << r.ETQS_RX_QUEUE_SHIFT));
  x.setReg(r.ETQF(1), r.ETQF_FILTER_EN | 0x88B6);
  x.setReg(r.ETQS(1), r.ETQS_QUEUE_EN | (41 << r.ETQS_RX_QUEUE_SHIFT));
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  x.setReg(r.DMATXCTL, r.DMATXCTL_TE);

  await a.rxQueue(40, RX, BUFS);
  await a.txQueue(40, TX);
  await b.rxQueue(41, RX, BUFS);
  // A writes queue 41's registers (B's) and queue 1's (the kernel's) in its own window: a
  // ring of its own with a decoy buffer. The device must not decode them.
  for (const q of [41, 1]) {
    a.setReg(r.SRRCTL(q), r.SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
    a.setReg(r.RDBAL(q), IOVA_A % 2 ** 32 + DECOY);
    a.setReg(r.RDBAH(q), 1);
    a.setReg(r.RDLEN(q), 4096);
    a.setReg(r.RDT(q), 100);
    a.setReg(r.RXDCTL(q), r.RXDCTL_ENABLE);
  }
  a.words[(DECOY >> 2)] = (IOVA_A + DECOY + 0x10000) % 2 ** 32; // a decoy descriptor -> decoy buffer
  a.words[(DECOY >> 2) + 1] = 1;
  const decoy = a.bytes.slice(DECOY, DECOY + 0x20000);

  const f1 = frame(100, 0x88B5), f2 = frame(200, 0x88B6);
  let sent = 0;
  const send = async (f: Uint8Array) => {
    a.bytes.set(f, TXBUF + sent * 0x800);
    a.txDescriptor(TX, sent, TXBUF + sent * 0x800, f.length, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, f.length);
    a.setReg(r.TDT(40), ++sent);
    await until(() => a.reg(r.TDH(40)) === sent);
  };
  await send(f1);
  await send(f2);
  await until(() => a.reg(r.RDH(40)) === 1 && b.reg(r.RDH(41)) === 1);
  t.deepEqual(a.rxWriteBack(RX, 0), { pktInfo: d.RXD_PKTTYPE_ETQF, status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 100 }, 'A received its frame');
  t.deepEqual(a.bytes.slice(BUFS, BUFS + 100), f1);
  t.deepEqual(b.rxWriteBack(RX, 0), { pktInfo: d.RXD_PKTTYPE_ETQF | (1 << 4), status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 200 }, 'B received its frame, on its ring in its memory');
  t.deepEqual(b.bytes.slice(BUFS, BUFS + 200), f2);
  t.true(same(a.bytes.slice(DECOY, DECOY + 0x20000), decoy), 'A\'s decoy ring for queue 41 was never used');
  t.is(a.reg(r.RXDCTL(41)), r.RXDCTL_ENABLE, 'A\'s words for queue 41 are just memory to the device');
  t.is(x.reg(r.RXDCTL(1)) & r.RXDCTL_ENABLE, 0, 'the kernel\'s queue 1 was not started by A');

  // B's next buffer points into A's memory (A's IOVA): not in B's domain, a fault for B
  b.words[(RX >> 2) + 4] = (IOVA_A + BUFS) % 2 ** 32;
  b.words[(RX >> 2) + 5] = Math.floor((IOVA_A + BUFS) / 2 ** 32);
  const rxSide = () => Buffer.concat([a.bytes.slice(RX, TX), a.bytes.slice(BUFS, TXBUF)]); // A's rx ring and rx buffers
  const aBefore = rxSide();
  await send(f2);
  await until(() => (b.reg(r.RXDCTL(41)) & r.RXDCTL_ENABLE) === 0);
  t.is(x.nic.counters().rxDmaFaults[41], 1, 'B\'s DMA into A\'s IOVA faulted');
  t.is(b.reg(r.RXDCTL(41)) & r.RXDCTL_ENABLE, 0, 'and stopped B\'s queue');
  t.true(same(rxSide(), aBefore), 'nothing was written into A\'s rx ring or buffers');

  // reclaim A: its queue pair is stopped when reclaim returns, then is the kernel side's again
  t.is(x.nic.reclaim(a.window), 1);
  t.is(a.reg(r.RXDCTL(40)) & r.RXDCTL_ENABLE, 0, 'A\'s rx queue stopped');
  t.is(a.reg(r.TXDCTL(40)) & r.TXDCTL_ENABLE, 0, 'A\'s tx queue stopped');
  const aReclaimed = a.bytes.slice(0, DMA_END);
  // the kernel side transmits a frame for queue 40 from its own tx queue 5
  await x.txQueue(5, 0x2000);
  x.bytes.set(f1, 0x40000);
  x.txDescriptor(0x2000, 0, 0x40000, f1.length, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, f1.length);
  x.setReg(r.TDT(5), 1);
  await until(() => x.nic.counters().rxNotStarted === 1);
  t.is(x.nic.counters().rxNotStarted, 1, 'a frame for queue 40 after the reclaim: the kernel side\'s queue 40 is not started, counted');
  t.true(same(a.bytes.slice(0, DMA_END), aReclaimed), 'A\'s memory untouched after the reclaim');
  t.true(x.nic.assign(b.window, 40, 1), 'queue pair 40 can be taken again');
});

const DMA_END = 0x100000;
