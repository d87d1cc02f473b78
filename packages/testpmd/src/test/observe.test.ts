/**
 * The observers' wrappers (set verbose, capture) are in a stream's queues only while wanted:
 * a stream forwards through its plain queues while the verbose level is 0 and no capture wants
 * them, through the wrappers from the update after a level is set, and through the plain ones
 * again after it is cleared. (test/src/testpmd-verbose.test.ts checks the dumps themselves on a
 * running dpkit-testpmd, and test/src/dumpcap.test.ts the captures.)
 */
import test from 'ava';
import type { RxQueue, TxQueue } from '@dpkit/eal';
import { ObservedRxQueue, ObservedTxQueue, StreamObservers, VERBOSE_RX, VERBOSE_TX, type ObservedStream } from '../fwd/observe.js';

function stream(verbose: SharedArrayBuffer | undefined): ObservedStream {
  const rxq: RxQueue = { rxBurst: () => 0 };
  const txq: TxQueue = { txBurst: (_p, _s, n) => n };
  const cfg = { rxPort: 0, rxQueue: 0, txPort: 1, txQueue: 0, lcore: 1, ...(verbose ? { observe: { verbose, pdump: undefined } } : {}) };
  return { cfg, rxq, txq };
}

test('a stream holds its plain queues while nothing observes them, the wrappers while set verbose wants them', (t) => {
  const verbose = new SharedArrayBuffer(8);
  const words = new Int32Array(verbose);
  const s = stream(verbose);
  const other = stream(undefined); // a stream without observers (no observe config) is left alone
  const rx = s.rxq;
  const tx = s.txq;
  const o = new StreamObservers([s, other]);
  t.is(s.rxq, rx, 'verbose 0, no capture: the plain rx queue');
  t.is(s.txq, tx, 'verbose 0, no capture: the plain tx queue');

  words[VERBOSE_RX] = 1;
  t.is(s.rxq, rx, 'nothing changes before the next update');
  o.update();
  t.true(s.rxq instanceof ObservedRxQueue, 'received packets dumped: the rx wrapper');
  t.is((s.rxq as ObservedRxQueue).inner, rx);
  t.is(s.txq, tx, 'sent packets not dumped: the plain tx queue');

  words[VERBOSE_TX] = 1;
  o.update();
  t.true(s.txq instanceof ObservedTxQueue);
  t.is((s.txq as ObservedTxQueue).inner, tx);
  const wrapped = s.rxq;
  o.update();
  t.is(s.rxq, wrapped, 'the same wrapper while it is wanted (nothing is built per update)');

  words[VERBOSE_RX] = 0;
  words[VERBOSE_TX] = 0;
  o.update();
  t.is(s.rxq, rx, 'verbose 0 again: the plain rx queue');
  t.is(s.txq, tx, 'verbose 0 again: the plain tx queue');
  t.false(other.rxq instanceof ObservedRxQueue);
  t.false(other.txq instanceof ObservedTxQueue);
});

test('a level set before forwarding starts applies from the first burst: the observers put the wrappers in when built', (t) => {
  const verbose = new SharedArrayBuffer(8);
  new Int32Array(verbose)[VERBOSE_TX] = 1;
  const s = stream(verbose);
  const rx = s.rxq;
  new StreamObservers([s]);
  t.is(s.rxq, rx);
  t.true(s.txq instanceof ObservedTxQueue);
});
