// A raw driver test of the emulated 82599 in MAC loopback: the test is the driver. It sets
// queues up through the registers in the datasheet's order (§4.6.7 receive init, §4.6.8
// transmit init, as ixy and DPDK do), passes frames through the rings, and checks the bytes
// and the write-back fields; then the DMA-fault and bad-configuration cases.
import test from 'ava';
import { simNative } from '../native.js';
import { DMA_SIZE, IOVA, frame, rig, until } from './rig.js';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import * as r from '@dpkit/ixgbe-defs/regs';

const RX70 = 0x0000, RX0 = 0x1000, TX70 = 0x2000, BUF70 = 0x10000, BUF0 = 0x20000, TXBUF = 0x40000;

/** A started device: EtherType 0x88B5 steered to rx queue 70, rx queues 70 (and 0 if asked), tx queue 70. */
async function queuePair70(t: { teardown(fn: () => void): void }, withQueue0: boolean) {
  const x = rig();
  t.teardown(x.close);
  x.nic.start();
  x.setReg(r.ETQF(0), r.ETQF_FILTER_EN | 0x88B5);
  x.setReg(r.ETQS(0), r.ETQS_QUEUE_EN | (70 << r.ETQS_RX_QUEUE_SHIFT));
  await x.rxQueue(70, RX70, BUF70);
  if (withQueue0) await x.rxQueue(0, RX0, BUF0, 0x02100); // queue 0's SRRCTL at the 82598-compatible address
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  await x.txQueue(70, TX70);
  return x;
}

test('frames pass tx ring 70 -> loopback -> rx rings 70 (EtherType filter) and 0 (default), bytes and write-back fields as the datasheet says', async (t) => {
  const x = await queuePair70(t, true);

  const f1 = frame(100, 0x88B5), f2 = frame(3000, 0x0800, 17), f3 = frame(60, 0x88B5);
  x.bytes.set(f1, TXBUF);
  x.bytes.set(f2.subarray(0, 1000), TXBUF + 0x1000);
  x.bytes.set(f2.subarray(1000), TXBUF + 0x2000);
  x.bytes.set(f3, TXBUF + 0x3000);
  x.txDescriptor(TX70, 0, TXBUF, 100, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 100);
  x.txDescriptor(TX70, 1, TXBUF + 0x1000, 1000, 0, 3000); // first of two: no EOP, no RS
  x.txDescriptor(TX70, 2, TXBUF + 0x2000, 2000, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 0);
  x.txDescriptor(TX70, 3, TXBUF + 0x3000, 60, d.TXD_DCMD_EOP, 60); // no RS: no write-back
  x.setReg(r.TDT(70), 4); // the doorbell
  await until(() => x.reg(r.TDH(70)) === 4 && x.reg(r.RDH(70)) === 2 && x.reg(r.RDH(0)) === 2);

  t.is(x.reg(r.TDH(70)), 4, 'the device advanced TDH past the four descriptors');
  const txStatus = (i: number) => x.words[(TX70 >> 2) + i * 4 + d.TXD_WB_STATUS]! & d.TXD_STAT_DD;
  t.deepEqual([0, 1, 2, 3].map(txStatus), [1, 0, 1, 0], 'DD written back exactly on the RS descriptors');

  t.is(x.reg(r.RDH(70)), 2);
  t.deepEqual(x.rxWriteBack(RX70, 0), { pktInfo: d.RXD_PKTTYPE_ETQF | (0 << 4), status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 100 });
  t.deepEqual(x.rxWriteBack(RX70, 1), { pktInfo: d.RXD_PKTTYPE_ETQF, status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 60 });
  t.deepEqual(x.bytes.slice(BUF70, BUF70 + 100), f1);
  t.deepEqual(x.bytes.slice(BUF70 + 2048, BUF70 + 2048 + 60), f3);
  t.is(x.rxWriteBack(RX70, 2).status, 0, 'the next descriptor is untouched');

  t.is(x.reg(r.RDH(0)), 2, 'the 3000-byte frame took two 2 KB buffers');
  const udp4 = d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_UDP;
  t.deepEqual(x.rxWriteBack(RX0, 0), { pktInfo: udp4, status: d.RXD_STAT_DD, length: 2048 }, 'no EOP on the first buffer');
  t.deepEqual(x.rxWriteBack(RX0, 1), { pktInfo: udp4, status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 952 });
  t.deepEqual(x.bytes.slice(BUF0, BUF0 + 2048 + 952), f2.slice(0, 2048 + 952));
  t.deepEqual(x.bytes.slice(BUF0 + 2048, BUF0 + 2048 + 952), f2.slice(2048));

  t.deepEqual([r.GPTC, r.GOTCL, r.GPRC, r.GORCL, r.QPRC(0), r.QPTC(0)].map(x.reg), [3, 3160, 3, 3160, 3, 3], 'statistics (all queues map to stat index 0)');
  t.deepEqual([r.GOTCH, r.GORCH, r.QBRC_H(0), r.QBTC_H(0)].map(x.reg), [0, 0, 0, 0]);
  const c = x.nic.counters();
  t.deepEqual([c.rxNotStarted, c.rxNoDescriptors, c.badConfig, c.txMalformed, c.rxDmaFaults[70], c.txDmaFaults[70]], [0, 0, 0, 0, 0, 0]);
  t.is(c.descriptors, 4 + 4, 'four tx and four rx descriptors moved');
  t.true(c.busyNs > 0 && c.busyNs <= c.wallNs, `busy ${c.busyNs} ns of ${c.wallNs} ns`);
  const share = x.nic.busyShare();
  t.true(share > 0 && share <= 1, `busy share ${share}`);
  t.true(x.nic.capacity() > 0);
});

test('DMA faults: an rx buffer and a tx buffer outside registered memory write nothing, are counted and stop their queue', async (t) => {
  const x = await queuePair70(t, false);
  const outside = IOVA + DMA_SIZE + 0x1000;
  // rx descriptor 0's buffer points past the registered memory
  x.words[RX70 >> 2] = outside % 2 ** 32;
  x.words[(RX70 >> 2) + 1] = Math.floor(outside / 2 ** 32);
  const before = x.bytes.slice(0, DMA_SIZE);
  x.bytes.set(frame(100, 0x88B5), TXBUF);
  x.txDescriptor(TX70, 0, TXBUF, 100, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 100);
  before.set(x.bytes.subarray(TX70, TX70 + 16), TX70);
  before.set(x.bytes.subarray(TXBUF, TXBUF + 100), TXBUF);
  x.setReg(r.TDT(70), 1);
  await until(() => (x.reg(r.RXDCTL(70)) & r.RXDCTL_ENABLE) === 0 && x.reg(r.TDH(70)) === 1);

  t.is(x.reg(r.RXDCTL(70)) & r.RXDCTL_ENABLE, 0, 'the rx queue stopped');
  t.is(x.nic.counters().rxDmaFaults[70], 1);
  t.is(x.reg(r.RDH(70)), 0, 'RDH did not move');
  t.is(x.reg(r.GPRC), 0);
  const txDone = x.words[(TX70 >> 2) + d.TXD_WB_STATUS]! & d.TXD_STAT_DD;
  t.is(txDone, 1, 'the transmit side completed');
  before[TX70 + 12] = before[TX70 + 12]! | 1; // the one byte the device was to write: tx DD
  t.true(Buffer.from(x.bytes).equals(Buffer.from(before)), 'no other byte of DMA memory changed (no rx write-back, no buffer written)');

  // tx descriptor 1's buffer is outside: nothing is sent, TDH stays, no DD, the queue stops
  x.txDescriptor(TX70, 1, outside, 100, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 100, true);
  x.setReg(r.TDT(70), 2);
  await until(() => (x.reg(r.TXDCTL(70)) & r.TXDCTL_ENABLE) === 0);
  t.is(x.reg(r.TXDCTL(70)) & r.TXDCTL_ENABLE, 0, 'the tx queue stopped');
  t.is(x.nic.counters().txDmaFaults[70], 1);
  t.is(x.reg(r.TDH(70)), 1);
  t.is(x.words[(TX70 >> 2) + 4 + d.TXD_WB_STATUS]! & d.TXD_STAT_DD, 0);
  t.is(x.reg(r.GPTC), 1, 'only the first packet left');
});

test('a queue with an invalid ring length or descriptor type does not start', async (t) => {
  const x = rig();
  t.teardown(x.close);
  x.nic.start();
  x.setReg(r.RDLEN(3), 100); // not a multiple of 128
  x.setReg(r.SRRCTL(3), r.SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
  x.setReg(r.RXDCTL(3), r.RXDCTL_ENABLE);
  x.setReg(r.RDLEN(80), 4096);
  x.setReg(r.SRRCTL(80), r.SRRCTL_DESCTYPE_LEGACY | 2); // legacy descriptors: not implemented
  x.setReg(r.RXDCTL(80), r.RXDCTL_ENABLE);
  await until(() => x.nic.counters().badConfig === 2);
  t.is(x.reg(r.RXDCTL(3)) & r.RXDCTL_ENABLE, 0);
  t.is(x.reg(r.RXDCTL(80)) & r.RXDCTL_ENABLE, 0);
  t.is(x.nic.counters().badConfig, 2);
});

test('the engine decodes the register offsets of @dpkit/ixgbe-defs/regs', (t) => {
  const layout = simNative().layout();
  const want: Record<string, number> = {
    SRRCTL_COMPAT0: r.SRRCTL(0), RXCTRL: r.RXCTRL, DMATXCTL: r.DMATXCTL, ETQF0: r.ETQF(0), ETQS0: r.ETQS(0),
    GPRC: r.GPRC, GORCL: r.GORCL, GPTC: r.GPTC, GOTCL: r.GOTCL, MPC0: r.MPC(0), RNBC0: r.RNBC(0), RXDGPC: r.RXDGPC, TXDGPC: r.TXDGPC,
    RQSMR0: r.RQSMR(0), TQSM0: r.TQSM(0), QPRC1: r.QPRC(1), QBRC_L1: r.QBRC_L(1), QPRDC1: r.QPRDC(1), QPTC1: r.QPTC(1), QBTC_L1: r.QBTC_L(1),
  };
  for (const q of [0, 15, 16, 63, 64, 127]) {
    Object.assign(want, {
      [`RDBAL${q}`]: r.RDBAL(q), [`RDBAH${q}`]: r.RDBAH(q), [`RDLEN${q}`]: r.RDLEN(q), [`RDH${q}`]: r.RDH(q), [`SRRCTL_BLOCK${q}`]: r.SRRCTL_BLOCK(q),
      [`RDT${q}`]: r.RDT(q), [`RXDCTL${q}`]: r.RXDCTL(q), [`TDBAL${q}`]: r.TDBAL(q), [`TDBAH${q}`]: r.TDBAH(q), [`TDLEN${q}`]: r.TDLEN(q),
      [`TDH${q}`]: r.TDH(q), [`TDT${q}`]: r.TDT(q), [`TXDCTL${q}`]: r.TXDCTL(q),
    });
  }
  t.deepEqual(layout, want);
});

test('64-bit byte counters carry into their high word when the low word wraps', async (t) => {
  const x = await queuePair70(t, false);
  for (const low of [r.GORCL, r.GOTCL, r.QBRC_L(0), r.QBTC_L(0)]) x.setReg(low, 0xFFFFFF00); // 256 bytes short of wrapping
  x.bytes.set(frame(300, 0x88B5), TXBUF);
  x.txDescriptor(TX70, 0, TXBUF, 300, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 300);
  x.setReg(r.TDT(70), 1);
  await until(() => x.reg(r.RDH(70)) === 1);
  t.deepEqual([r.GORCL, r.GORCH, r.GOTCL, r.GOTCH, r.QBRC_L(0), r.QBRC_H(0), r.QBTC_L(0), r.QBTC_H(0)].map(x.reg), [44, 1, 44, 1, 44, 1, 44, 1]);
});
