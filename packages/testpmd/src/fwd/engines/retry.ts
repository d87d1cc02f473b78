/**
 * `set fwd MODE retry`: when the tx queue takes less than a burst, wait `--burst-tx-delay-time`
 * microseconds and offer it the rest again, up to `--burst-tx-retry-num` times (DPDK's engines
 * do this after their tx burst when fs->retry_enabled; BURST_TX_WAIT_US 1, BURST_TX_RETRIES 64).
 * dpkit puts it in a tx queue wrapper when the streams are built with retry on, so every engine
 * retries and a stream without retry has no branch for it. What is still refused after the
 * retries is the engine's to free and count as dropped, as without retry.
 */
import type { TxQueue } from '@dpkit/eal';

export class RetryTxQueue implements TxQueue {
  /** Atomics.wait's target: never notified, so each wait lasts its timeout (rte_delay_us; allocates nothing) */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  private readonly delayMs: number;

  constructor(readonly inner: TxQueue, private readonly retries: number, delayUs: number) {
    this.delayMs = delayUs / 1000;
  }

  txBurst(pkts: Uint32Array, start: number, n: number): number {
    const q = this.inner;
    let sent = q.txBurst(pkts, start, n);
    for (let r = 0; sent < n && r < this.retries; r++) {
      if (this.delayMs > 0) Atomics.wait(this.sleeper, 0, 0, this.delayMs);
      sent += q.txBurst(pkts, start + sent, n - sent);
    }
    return sent;
  }
}
