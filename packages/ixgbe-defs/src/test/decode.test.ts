// The per-queue register addresses and their decoding, checked against literal addresses from
// the sources: DPDK's ixgbe_type.h (IXGBE_RDBAL(_i) ... with the n < 64 / n >= 64 split, the
// SRRCTL and DCA_RXCTRL 0x02100/0x02200 windows for n <= 15), Barrelfish's e10k.dev (rdbal_1
// at 0x01000 and rdbal_2 at 0x0d000, [64; 0x40]; tdbal at 0x06000 [128; 0x40]) and Snabb's
// 82599 table (SRRCTL at 0x01014 + 0x40n for every queue).
import test from 'ava';
import { decodeQueueRegister, queuePairPages } from '../decode.js';
import * as r from '../regs.js';

const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(5, '0')}`;

test('rx queue registers of queues 0, 63, 64 and 127 are at the datasheet addresses', (t) => {
  const table: [string, number, number][] = [
    ['RDBAL', r.RDBAL(0), 0x01000], ['RDBAH', r.RDBAH(0), 0x01004], ['RDLEN', r.RDLEN(0), 0x01008],
    ['RDH', r.RDH(0), 0x01010], ['RDT', r.RDT(0), 0x01018], ['RXDCTL', r.RXDCTL(0), 0x01028],
    ['RDBAL', r.RDBAL(63), 0x01FC0], ['RDT', r.RDT(63), 0x01FD8],
    ['RDBAL', r.RDBAL(64), 0x0D000], ['RDT', r.RDT(64), 0x0D018], ['RXDCTL', r.RXDCTL(64), 0x0D028],
    ['RDLEN', r.RDLEN(100), 0x0D908], ['RDT', r.RDT(127), 0x0DFD8], ['RXDCTL', r.RXDCTL(127), 0x0DFE8],
    ['RSCCTL', r.RSCCTL(127), 0x0DFEC],
  ];
  for (const [name, got, want] of table) t.is(hex(got), hex(want), name);
});

test('tx queue registers are one region 0x06000-0x07FFF with no split at 64', (t) => {
  const table: [string, number, number][] = [
    ['TDBAL', r.TDBAL(0), 0x06000], ['TDH', r.TDH(0), 0x06010], ['TDT', r.TDT(0), 0x06018],
    ['TXDCTL', r.TXDCTL(0), 0x06028], ['TDWBAL', r.TDWBAL(0), 0x06038], ['TDWBAH', r.TDWBAH(0), 0x0603C],
    ['TDBAL', r.TDBAL(64), 0x07000], ['TDT', r.TDT(127), 0x07FD8], ['TXDCTL', r.TXDCTL(127), 0x07FE8],
    ['DCA_TXCTRL', r.DCA_TXCTRL(1), 0x0604C],
  ];
  for (const [name, got, want] of table) t.is(hex(got), hex(want), name);
});

test('SRRCTL and DCA_RXCTRL use the 0x02100/0x02200 addresses for queues 0-15 and the queue block above', (t) => {
  const table: [string, number, number][] = [
    ['SRRCTL(0)', r.SRRCTL(0), 0x02100], ['SRRCTL(15)', r.SRRCTL(15), 0x0213C],
    ['SRRCTL(16)', r.SRRCTL(16), 0x01414], ['SRRCTL(63)', r.SRRCTL(63), 0x01FD4],
    ['SRRCTL(64)', r.SRRCTL(64), 0x0D014], ['SRRCTL(127)', r.SRRCTL(127), 0x0DFD4],
    ['SRRCTL_BLOCK(0)', r.SRRCTL_BLOCK(0), 0x01014], ['SRRCTL_BLOCK(15)', r.SRRCTL_BLOCK(15), 0x013D4],
    ['DCA_RXCTRL(0)', r.DCA_RXCTRL(0), 0x02200], ['DCA_RXCTRL(15)', r.DCA_RXCTRL(15), 0x0223C],
    ['DCA_RXCTRL(16)', r.DCA_RXCTRL(16), 0x0140C], ['DCA_RXCTRL(64)', r.DCA_RXCTRL(64), 0x0D00C],
  ];
  for (const [name, got, want] of table) t.is(hex(got), hex(want), name);
});

test('every queue register of every queue decodes back to its queue and name', (t) => {
  const rx = { RDBAL: r.RDBAL, RDBAH: r.RDBAH, RDLEN: r.RDLEN, DCA_RXCTRL: r.DCA_RXCTRL_BLOCK, RDH: r.RDH, SRRCTL: r.SRRCTL_BLOCK, RDT: r.RDT, RXDCTL: r.RXDCTL, RSCCTL: r.RSCCTL } as const;
  const tx = { TDBAL: r.TDBAL, TDBAH: r.TDBAH, TDLEN: r.TDLEN, DCA_TXCTRL: r.DCA_TXCTRL, TDH: r.TDH, TDT: r.TDT, TXDCTL: r.TXDCTL, TDWBAL: r.TDWBAL, TDWBAH: r.TDWBAH } as const;
  const seen = new Set<number>();
  let wrong = 0;
  for (let n = 0; n < r.RX_QUEUES; n++) {
    for (const [name, at] of Object.entries(rx)) {
      const d = decodeQueueRegister(at(n));
      seen.add(at(n));
      if (!d || d.direction !== 'rx' || d.queue !== n || d.register !== name || d.compat) wrong++;
    }
    for (const [name, at] of Object.entries(tx)) {
      const d = decodeQueueRegister(at(n));
      seen.add(at(n));
      if (!d || d.direction !== 'tx' || d.queue !== n || d.register !== name) wrong++;
    }
  }
  t.is(wrong, 0);
  t.is(seen.size, 128 * 18, 'no two queue registers share an address');
});

test('the 82598-compatible addresses decode to the same queue and register as the queue block', (t) => {
  for (const n of [0, 1, 15]) {
    t.deepEqual(decodeQueueRegister(r.SRRCTL(n)), { direction: 'rx', queue: n, register: 'SRRCTL', compat: true });
    t.deepEqual(decodeQueueRegister(r.SRRCTL_BLOCK(n)), { direction: 'rx', queue: n, register: 'SRRCTL', compat: false });
    t.deepEqual(decodeQueueRegister(r.DCA_RXCTRL(n)), { direction: 'rx', queue: n, register: 'DCA_RXCTRL', compat: true });
  }
  t.deepEqual(decodeQueueRegister(0x0213C), { direction: 'rx', queue: 15, register: 'SRRCTL', compat: true });
  t.deepEqual(decodeQueueRegister(0x0D018), { direction: 'rx', queue: 64, register: 'RDT', compat: false });
  t.deepEqual(decodeQueueRegister(0x07FD8), { direction: 'tx', queue: 127, register: 'TDT', compat: false });
});

test('statistics, globals, reserved words and unaligned offsets are not queue registers', (t) => {
  const not = [
    0x02140, // just past SRRCTL(15)'s compat word
    0x02240, // just past DCA_RXCTRL(15)'s compat word
    r.QPRC(0), r.QBRC_L(0), r.QBRC_H(15), r.QPRDC(0), r.QPTC(3), // the stat slots inside queue blocks
    0x0101C, 0x06014, // reserved words
    r.RXCTRL, r.DMATXCTL, r.FDIRCMD, r.RETA(0), r.SRRCTL(0) + 2, r.RDT(0) + 1, 0x0E000 - 4, 0x08000,
  ];
  for (const at of not) t.is(decodeQueueRegister(at), undefined, hex(at));
});

test('statistics and filter registers are at the sourced addresses', (t) => {
  const table: [string, number, number][] = [
    ['QPRC(15)', r.QPRC(15), 0x013F0], ['QPRDC(0)', r.QPRDC(0), 0x01430], ['QPTC(0)', r.QPTC(0), 0x06030],
    ['QPTC_SNABB(1)', r.QPTC_SNABB(1), 0x08684], ['QBTC_H(1)', r.QBTC_H(1), 0x0870C], ['RQSMR(31)', r.RQSMR(31), 0x0237C],
    ['RETA(31)', r.RETA(31), 0x05C7C], ['RSSRK(9)', r.RSSRK(9), 0x05CA4], ['RETA_BLOCK(0)', r.RETA_BLOCK(0), 0x0EB00],
    ['FTQF(127)', r.FTQF(127), 0x0E7FC], ['L34T_IMIR(1)', r.L34T_IMIR(1), 0x0E804], ['ETQS(7)', r.ETQS(7), 0x0EC1C],
    ['ETQF(7)', r.ETQF(7), 0x05144],
  ];
  for (const [name, got, want] of table) t.is(hex(got), hex(want), name);
  t.is(r.fdirPerfectFilters(1), 2046, 'PBALLOC 64K gives 2046 perfect filters');
});

test('one 4 KiB page holds 64 queues: queue pair pages', (t) => {
  t.deepEqual(queuePairPages(0), [0x01000, 0x06000, 0x02000]);
  t.deepEqual(queuePairPages(32), [0x01000, 0x06000]);
  t.deepEqual(queuePairPages(63), [0x01000, 0x06000]);
  t.deepEqual(queuePairPages(64), [0x0D000, 0x07000]);
  t.deepEqual(queuePairPages(127), [0x0D000, 0x07000]);
});
