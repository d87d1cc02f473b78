/**
 * Watching a stream's queues, as DPDK's testpmd does with rx/tx callbacks: `set verbose` dumps
 * (dump.ts) and packet capture for dpkit-dumpcap (@dpkit/eal/pdump). Each stream's queues get
 * their wrappers once, on the forwarding lcore (`StreamObservers`), but the stream holds them
 * only while `set verbose` or a capture wants that queue: between chunks of the forwarding
 * loop `StreamObservers.update` reads the verbose word and the capture selector of each queue
 * and puts the wrapper in or takes it out. So while both are off the burst path has no layer
 * for them (each layer spends V8's inlining budget, bench/README.md). While a wrapper is in,
 * it reads the same two words per burst and does nothing else while both are off (so `set
 * verbose 0` stops the dumps at the next burst). Sent packets are dumped and captured before
 * the driver takes them, as DPDK's tx callbacks see them (a packet the driver then refuses was
 * still offered).
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
  /** set verbose or a capture wants this queue's bursts */
  wanted(): boolean {
    return this.verbose[VERBOSE_RX] !== 0 || this.tap.active();
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
  /** set verbose or a capture wants this queue's bursts */
  wanted(): boolean {
    return this.verbose[VERBOSE_TX] !== 0 || this.tap.active();
  }
  txBurst(pkts: Uint32Array, start: number, n: number): number {
    if (n !== 0) {
      if (this.verbose[VERBOSE_TX] !== 0) dumpBurst(this.port, this.queue, pkts, start, n, false);
      if (this.tap.active()) this.tap.capture(pkts, start, n);
    }
    return this.inner.txBurst(pkts, start, n);
  }
}

/** What StreamObservers needs of a stream (a FwdStream; structural, as engine.ts imports this module's types). */
export interface ObservedStream {
  readonly cfg: { observe?: ObserveConfig; rxPort: number; rxQueue: number; txPort: number; txQueue: number; lcore: number };
  rxq: RxQueue;
  txq: TxQueue;
}

/** One stream's queues without and with their wrappers. */
class Watched {
  readonly orx: ObservedRxQueue;
  readonly otx: ObservedTxQueue;
  readonly rx: RxQueue;
  readonly tx: TxQueue;
  constructor(readonly s: ObservedStream, o: ObserveConfig) {
    this.rx = s.rxq;
    this.tx = s.txq;
    this.orx = new ObservedRxQueue(s.rxq, o, s.cfg.rxPort, s.cfg.rxQueue, s.cfg.lcore);
    this.otx = new ObservedTxQueue(s.txq, o, s.cfg.txPort, s.cfg.txQueue, s.cfg.lcore);
  }
}

/**
 * The observers of one lcore's streams (those whose config has `observe`): builds each one's
 * wrappers and, on `update()`, gives each stream the wrapped queue where set verbose or a
 * capture wants it and the plain one elsewhere. Allocates nothing after construction; the
 * constructor updates once, so a level set before forwarding applies from the first burst.
 */
export class StreamObservers {
  private readonly watched: Watched[] = [];

  constructor(streams: readonly ObservedStream[]) {
    for (const s of streams) if (s.cfg.observe) this.watched.push(new Watched(s, s.cfg.observe));
    this.update();
  }

  update(): void {
    const all = this.watched;
    for (let k = 0; k < all.length; k++) {
      const w = all[k]!;
      const s = w.s;
      const rx = w.orx.wanted() ? w.orx : w.rx;
      if (s.rxq !== rx) s.rxq = rx;
      const tx = w.otx.wanted() ? w.otx : w.tx;
      if (s.txq !== tx) s.txq = tx;
    }
  }
}
