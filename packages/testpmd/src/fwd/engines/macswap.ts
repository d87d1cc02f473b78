/** macswap: swaps the source and destination MAC addresses (macswap.c). */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { rewriteAndForward, swapBytes } from './common.js';

function rewrite(_s: FwdStream, b: Uint8Array, off: number, len: number): boolean {
  if (len >= 14) swapBytes(b, off, off + 6, 6);
  return true;
}

export const engine: ForwardEngine = {
  name: 'macswap',
  packetFwd: (s) => rewriteAndForward(s, rewrite),
};
