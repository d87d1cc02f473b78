/** mac: sets the source MAC to the tx port's and the destination to its peer's (macfwd.c). */
import type { ForwardEngine, FwdStream } from '../engine.js';
import { rewriteAndForward } from './common.js';

function rewrite(s: FwdStream, b: Uint8Array, off: number, len: number): boolean {
  if (len < 14) return true;
  const peer = s.peerMac;
  const mac = s.txMac;
  for (let i = 0; i < 6; i++) {
    b[off + i] = peer[i]!;
    b[off + 6 + i] = mac[i]!;
  }
  return true;
}

export const engine: ForwardEngine = {
  name: 'mac',
  packetFwd: (s) => rewriteAndForward(s, rewrite),
};
