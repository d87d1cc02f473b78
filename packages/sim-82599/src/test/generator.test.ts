// Generator mode: synthetic flows fill a ring exactly as far as its tail allows (none dropped
// for lack of descriptors), continue when the driver gives descriptors back, skip the flows
// the filters give to kernel queues, and what is transmitted is counted and dropped.
import test from 'ava';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import { kernelSideUp } from '../kernel.js';
import * as r from '@dpkit/ixgbe-defs/regs';
import { IOVA, RING, rig, until } from './rig.js';

test('generator: 60-byte UDP flows into ring 0 as far as RDT allows, more after a refill; tx sunk', async (t) => {
  const x = rig();
  t.teardown(x.close);
  x.nic.generator(8, 60);
  x.nic.start();
  x.setReg(r.RXCTRL, r.RXCTRL_RXEN);
  await x.rxQueue(0, 0x0000, 0x10000); // RDT = 31: 31 descriptors for the device
  await until(() => x.reg(r.RDH(0)) === RING - 1);
  t.is(x.reg(r.RDH(0)), RING - 1, 'the device filled the 31 descriptors it was given');
  await new Promise((ok) => setTimeout(ok, 50)); // (no more may come: the ring is full)
  const c = x.nic.counters();
  t.is(c.generated, RING - 1, 'and generated nothing more: none dropped for lack of descriptors');
  t.deepEqual([c.rxNoDescriptors, x.reg(r.RNBC(0)), x.reg(r.QPRDC(0))], [0, 0, 0]);
  const sources = new Set<number>();
  for (let i = 0; i < RING - 1; i++) {
    const wb = x.rxWriteBack(0, i);
    t.deepEqual(wb, { pktInfo: d.RXD_PKTTYPE_IPV4 | d.RXD_PKTTYPE_UDP, status: d.RXD_STAT_DD | d.RXD_STAT_EOP, length: 60 });
    const frame = x.bytes.subarray(0x10000 + i * 2048, 0x10000 + i * 2048 + 60);
    sources.add((frame[34]! << 8) | frame[35]!);
  }
  t.is(sources.size, 8, 'the frames cover the 8 flows (source ports)');
  // the driver gives descriptors 0-7 back (read format again: buffer address, header address 0): exactly 8 more frames
  for (let i = 0; i < 8; i++) {
    const w = i * 4, iova = IOVA + 0x10000 + i * 2048;
    [x.words[w], x.words[w + 1], x.words[w + 2], x.words[w + 3]] = [iova % 2 ** 32, Math.floor(iova / 2 ** 32), 0, 0];
  }
  x.setReg(r.RDT(0), (RING - 1 + 8) % RING);
  await until(() => x.reg(r.RDH(0)) === (RING - 1 + 8) % RING);
  t.is(x.nic.counters().generated, RING - 1 + 8);

  await x.txQueue(3, 0x2000);
  x.txDescriptor(0x2000, 0, 0x40000, 60, d.TXD_DCMD_EOP | d.TXD_DCMD_RS, 60);
  x.setReg(r.TDT(3), 1);
  await until(() => x.nic.counters().txSunk === 1);
  t.is(x.nic.counters().txSunk, 1, 'a transmitted frame is counted and dropped');
  t.is(x.words[(0x2000 + 12) >> 2]! & d.TXD_STAT_DD, d.TXD_STAT_DD);
  t.is(x.nic.counters().descriptors, RING - 1 + 8 + 1, 'capacity counts each descriptor once: 39 rx (one per frame) and 1 tx');
});

test('generator: flows the filters give to kernel queues are skipped, not written to the TAP', async (t) => {
  const x = rig();
  t.teardown(x.close);
  x.nic.kernelQueuesWithoutTap(32);
  x.nic.generator(16, 64);
  x.nic.start();
  kernelSideUp(x.nic, 32); // RSS over kernel queues 0-15: every flow is the kernel's
  await until(() => x.nic.counters().generatorSkipped > 100);
  const c = x.nic.counters();
  t.true(c.generatorSkipped > 100);
  t.deepEqual([c.generated, c.kernelDropped, c.rxQueueFrames.reduce((a, b) => a + b, 0)], [0, 0, 0], 'nothing generated for the kernel');
});
