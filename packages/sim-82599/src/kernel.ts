/**
 * The kernel side's part of bringing the NIC up, as ixgbe's open does (Linux
 * `ixgbe_setup_mrqc`, `ixgbe_configure_rx`): RSS over the kernel queues and receive and
 * transmit enabled. The key is fixed, Microsoft's RSS verification key (Linux draws a random
 * one), so that which kernel queue a flow lands on is the same in every run.
 */
import type { Sim82599 } from './device.js';
import {
  DMATXCTL, DMATXCTL_TE, MRQC, MRQC_RSSEN, MRQC_RSS_FIELD_IPV4, MRQC_RSS_FIELD_IPV4_TCP, MRQC_RSS_FIELD_IPV4_UDP,
  RETA, RETA_WORDS, RSSRK, RSSRK_WORDS, RXCSUM, RXCSUM_PCSD, RXCTRL, RXCTRL_RXEN,
} from '@dpkit/ixgbe-defs/regs';

export const RSS_KEY = [0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa];

/** RSS reaches RETA's 4-bit entries: at most 16 queues. */
export const rssQueues = (kernelQueues: number): number => Math.min(kernelQueues, 16);

export function kernelSideUp(nic: Sim82599, kernelQueues: number): void {
  const set = (offset: number, v: number) => { nic.regs[offset >> 2] = v >>> 0; };
  const n = rssQueues(kernelQueues);
  for (let i = 0; i < RSSRK_WORDS; i++) set(RSSRK(i), RSS_KEY[4 * i]! | (RSS_KEY[4 * i + 1]! << 8) | (RSS_KEY[4 * i + 2]! << 16) | (RSS_KEY[4 * i + 3]! << 24));
  // RETA entry j (byte j % 4 of word j / 4) -> kernel queue j mod n, round robin as Linux fills it
  for (let i = 0; i < RETA_WORDS; i++) set(RETA(i), [0, 1, 2, 3].reduce((w, k) => w | (((4 * i + k) % n) << (8 * k)), 0));
  set(MRQC, MRQC_RSSEN | MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4_UDP);
  set(RXCSUM, RXCSUM_PCSD);
  set(RXCTRL, RXCTRL_RXEN);
  set(DMATXCTL, DMATXCTL_TE);
}
