/**
 * Address decoding of the per-queue registers: which queue, which register, for any BAR0 byte
 * offset, including the 82598-compatible addresses (SRRCTL and DCA_RXCTRL of queues 0-15 at
 * 0x02100/0x02200) that Linux, DPDK and ixy use. The emulated device decodes a driver's
 * stores with it; the PMD and the tests use it to check their own address arithmetic.
 */
import { ALIASED_RX_QUEUES, DCA_RXCTRL_ALIAS_BASE, PAGE_SIZE, QUEUE_BLOCK, SRRCTL_ALIAS_BASE, rxQueueBlock, txQueueBlock } from './regs.js';

export type RxQueueRegister = 'RDBAL' | 'RDBAH' | 'RDLEN' | 'DCA_RXCTRL' | 'RDH' | 'SRRCTL' | 'RDT' | 'RXDCTL' | 'RSCCTL';
export type TxQueueRegister = 'TDBAL' | 'TDBAH' | 'TDLEN' | 'DCA_TXCTRL' | 'TDH' | 'TDT' | 'TXDCTL' | 'TDWBAL' | 'TDWBAH';

/** A decoded per-queue register address. */
export type QueueRegister =
  | { direction: 'rx'; queue: number; register: RxQueueRegister; compat: boolean }
  | { direction: 'tx'; queue: number; register: TxQueueRegister; compat: false };

/** rx block slots by (offset within the block) / 4; +0x30..+0x38 hold statistics, not queue registers */
const RX_SLOTS: (RxQueueRegister | undefined)[] = [
  'RDBAL', 'RDBAH', 'RDLEN', 'DCA_RXCTRL', 'RDH', 'SRRCTL', 'RDT', undefined,
  undefined, undefined, 'RXDCTL', 'RSCCTL', undefined, undefined, undefined, undefined,
];
/** tx block slots; +0x30 is QPTC(i) for i < 16 (a statistic) */
const TX_SLOTS: (TxQueueRegister | undefined)[] = [
  'TDBAL', 'TDBAH', 'TDLEN', 'DCA_TXCTRL', 'TDH', undefined, 'TDT', undefined,
  undefined, undefined, 'TXDCTL', undefined, undefined, undefined, 'TDWBAL', 'TDWBAH',
];

/**
 * The queue register at BAR0 byte `offset`, or undefined when the word there is not a
 * per-queue register (a global register, a statistic, a reserved word, an unaligned offset).
 */
export function decodeQueueRegister(offset: number): QueueRegister | undefined {
  if (!Number.isInteger(offset) || (offset & 3) !== 0) return undefined;
  const inBlock = (offset & (QUEUE_BLOCK - 1)) >> 2;
  if (offset >= 0x01000 && offset < 0x02000) {
    const register = RX_SLOTS[inBlock];
    return register && { direction: 'rx', queue: (offset - 0x01000) >> 6, register, compat: false };
  }
  if (offset >= 0x0D000 && offset < 0x0E000) {
    const register = RX_SLOTS[inBlock];
    return register && { direction: 'rx', queue: 64 + ((offset - 0x0D000) >> 6), register, compat: false };
  }
  if (offset >= 0x06000 && offset < 0x08000) {
    const register = TX_SLOTS[inBlock];
    return register && { direction: 'tx', queue: (offset - 0x06000) >> 6, register, compat: false };
  }
  if (offset >= SRRCTL_ALIAS_BASE && offset < SRRCTL_ALIAS_BASE + 4 * ALIASED_RX_QUEUES) {
    return { direction: 'rx', queue: (offset - SRRCTL_ALIAS_BASE) >> 2, register: 'SRRCTL', compat: true };
  }
  if (offset >= DCA_RXCTRL_ALIAS_BASE && offset < DCA_RXCTRL_ALIAS_BASE + 4 * ALIASED_RX_QUEUES) {
    return { direction: 'rx', queue: (offset - DCA_RXCTRL_ALIAS_BASE) >> 2, register: 'DCA_RXCTRL', compat: true };
  }
  return undefined;
}

/**
 * The 4 KiB BAR0 pages that hold queue pair n's registers: its rx block's page, its tx block's
 * page, and for n < 16 the page of the 82598-compatible SRRCTL/DCA_RXCTRL words. Each of these
 * pages also holds 63 other queues' registers (so the silicon cannot isolate one queue by
 * mapping pages; see the README, "Per-owner register windows").
 */
export function queuePairPages(n: number): number[] {
  const page = (offset: number): number => offset - (offset % PAGE_SIZE);
  const pages = [page(rxQueueBlock(n)), page(txQueueBlock(n))];
  if (n < ALIASED_RX_QUEUES) pages.push(page(SRRCTL_ALIAS_BASE));
  return pages;
}
