import test from 'ava';
import { complete } from '../commands.js';

test('tab completion offers the command words that fit where the cursor is; one that fits is completed with its space', (t) => {
  t.deepEqual(complete(''), [['clear', 'csum', 'flow', 'help', 'load', 'mac_addr', 'port', 'quit', 'set', 'show', 'start', 'stop'], '']);
  t.deepEqual(complete('sh'), [['show '], 'sh']);
  t.deepEqual(complete('show po'), [['port '], 'po']);
  t.deepEqual(complete('show port '), [['info', 'stats', 'summary', 'xstats'], '']);
  t.deepEqual(complete('show port 0 '), [['macs', 'rx_offload', 'tx_offload'], '']);
  t.deepEqual(complete('show port 0 rx_offload c'), [['capabilities', 'configuration'], 'c']);
  t.deepEqual(complete('show config '), [['cores', 'fwd', 'rxtx', 'txpkts'], '']);
  t.deepEqual(complete('set fwd i'), [['icmpecho', 'io'], 'i']);
  t.deepEqual(complete('set fwd csum r'), [['retry '], 'r']);
  t.deepEqual(complete('set fwd rxonly r'), [[], 'r']);
  t.deepEqual(complete('csum set '), [['ip', 'outer-ip', 'outer-udp', 'sctp', 'tcp', 'udp'], '']);
  t.deepEqual(complete('set core'), [['corelist', 'coremask'], 'core']);
  t.deepEqual(complete('set promisc 1 o'), [['off', 'on'], 'o']);
  t.deepEqual(complete('port 0 rxq 1 st'), [['start', 'stop'], 'st']);
  // a value is not completed; nothing after a complete command
  t.deepEqual(complete('port 0 rxq '), [[], '']);
  t.deepEqual(complete('stop '), [[], '']);
  t.deepEqual(complete('shw '), [[], '']);
});
