/**
 * Watching a stream's queues, as DPDK's testpmd does with rx/tx callbacks: `set verbose` dumps
 * (dump.ts) and packet capture for dpkit-dumpcap (@dpkit/eal/pdump). Every stream's queues
 * are wrapped once, at stream build; per burst the wrapper reads the verbose word and the
 * capture selector of its queue (two loads from shared memory) and does nothing else while
 * both are off. Sent packets are dumped and captured before the driver takes them, as DPDK's
 * tx callbacks see them (a packet the driver then refuses was still offered).
 */
import type { RxQueue, TxQueue } from '@dpkit/eal';
import { PdumpTap, type PdumpDescriptor } from '@dpkit/eal/pdump';
import { dumpBurst } from './dump.js';

/** What the main lcore gives each stream: where verbose lives, and the capture region. */
export interface ObserveConfig {
  /** Int32Array: [0] != 0 dumps received packets, [1] != 0 sent ones */
  verbose: SharedArrayBuffer;
  pdump: PdumpDescriptor | undefined;
}

export const VERBOSE_RX = 0;
export const VERBOSE_TX = 1;

/** DPDK's configure_rxtx_dump_callbacks: rx dumps at levels 1 and above 2, tx dumps from 2. */
export function verboseWords(level: number): [number, number] {
  return [level === 1 || level > 2 ? 1 : 0, level >= 2 ? 1 : 0];
}

/** What both wrappers hold: the verbose words and the queue's capture tap. */
abstract class Observed<Q> {
  protected readonly verbose: Int32Array;
  protected readonly tap: PdumpTap;
  constructor(readonly inner: Q, o: ObserveConfig, protected readonly port: number, protected readonly queue: number, lcore: number, dir: 'rx' | 'tx') {
    this.verbose = new Int32Array(o.verbose);
    this.tap = new PdumpTap(o.pdump, lcore, port, queue, dir);
  }
}

export class ObservedRxQueue extends Observed<RxQueue> implements RxQueue {
  constructor(inner: RxQueue, o: ObserveConfig, port: number, queue: number, lcore: number) {
    super(inner, o, port, queue, lcore, 'rx');
  }
  rxBurst(pkts: Uint32Array, start: number, n: number): number {
    const nb = this.inner.rxBurst(pkts, start, n);
    if (nb !== 0) {
      if (this.verbose[VERBOSE_RX] !== 0) dumpBurst(this.port, this.queue, pkts, start, nb, true);
      if (this.tap.active()) this.tap.capture(pkts, start, nb);
    }
    return nb;
  }
}

export class ObservedTxQueue extends Observed<TxQueue> implements TxQueue {
  constructor(inner: TxQueue, o: ObserveConfig, port: number, queue: number, lcore: number) {
    super(inner, o, port, queue, lcore, 'tx');
  }
  txBurst(pkts: Uint32Array, start: number, n: number): number {
    if (n !== 0) {
      if (this.verbose[VERBOSE_TX] !== 0) dumpBurst(this.port, this.queue, pkts, start, n, false);
      if (this.tap.active()) this.tap.capture(pkts, start, n);
    }
    return this.inner.txBurst(pkts, start, n);
  }
}
