// net_ixgbe's rx and tx bursts with no emulator: the benchmark plays the device itself, in the
// same thread, on rings in memory it made, so the figure is the driver's (and the engine's)
// cost alone, with no device to wait for.
//
//   node [--cpu-prof] bench/ixgbe-burst.mjs [io|rxonly|txonly] [SECONDS=5] [RING=1024] [FASTPATH]
//
// (FASTPATH: another build of packages/pmd-ixgbe/dist/fastpath.js to load instead, to compare two trees.)
//
// What it builds: a memfd mempool of 8192 mbufs (2 KiB buffers) for rx, a memfd region as the
// descriptor-ring memory (as the PMD's start makes one) and a memfd as the register window,
// then net_ixgbe's rx and tx queues from QueueDescriptors made as its queue setup and start
// make them (fastpath.js's createRxQueue/createTxQueue: the code testpmd's lcores run), then a
// testpmd stream with the engine MODE on them (testpmd's own engines, through buildStreams).
// Between two calls of the engine the "device" does what the emulated 82599 does for a flow
// director match of a 64-byte UDP/IPv4 frame: from its head up to RDT it writes each rx
// descriptor back (pkt_info UDP/IPv4, the filter id 0, status DD|EOP|FLM stored last, length
// 64), and from its tx head up to TDT it writes DD into every descriptor with RS. It moves no
// bytes (the buffers are not touched), so the figure is an upper bound of what the PMD forwards
// on one core. Prints Mpps per second (wall time, device included), the device's share alone
// (the same stores timed without the PMD, once at the end), and the garbage collections seen
// after the first second.
import { Eal, MemoryManager } from '../packages/eal/dist/index.js';
import { linux } from '../packages/eal/dist/linux.js';
import { driver as nullDriver } from '../packages/pmd-null/dist/index.js';
import * as desc from '../packages/ixgbe-defs/dist/descriptors.js';
import { BAR0_SIZE, RDBAL, TDBAL } from '../packages/ixgbe-defs/dist/regs.js';
import { engineOn, perSecond } from './harness.mjs';

const mode = process.argv[2] ?? 'io';
const seconds = Number(process.argv[3] ?? 5);
const N = Number(process.argv[4] ?? 1024);
if (!['io', 'rxonly', 'txonly'].includes(mode) || !(seconds >= 2) || ![64, 128, 256, 512, 1024, 2048, 4096].includes(N)) {
  console.error('usage: node bench/ixgbe-burst.mjs [io|rxonly|txonly] [SECONDS (>= 2)] [RING (64-4096, a power of two)]');
  process.exit(2);
}
const eal = await Eal.init(['-l', '0', '--no-pci', '--vdev=net_null0', `--file-prefix=ixgbe-burst-${process.pid}`], { drivers: [nullDriver] });
const pool = eal.mempoolCreate('mb', { size: 8192, cacheSize: 250, memory: 'memfd' });
const RING_BYTES = 4096 * desc.DESC_SIZE;
const rings = new MemoryManager().reserve('rings', 2 * RING_BYTES, 0, 'memfd');
const window = linux().memfdMap('ixgbe-burst-regs', BAR0_SIZE);
const regs = new Uint32Array(window.buffer);
const words = new Uint32Array(rings.buffer);
const rxWord = 0, txWord = RING_BYTES >> 2;
const POOL_HI = 2; // the IOVA slot the PMD would give the pool (any non-zero value: "registered")
const rxBlock = RDBAL(32) >> 2, txBlock = TDBAL(32) >> 2;
const qstats = { buffer: new SharedArrayBuffer(2 * 8 * 8), index: 0 };
const module = process.argv[5] ? new URL(process.argv[5], `file://${process.cwd()}/`).href : new URL('../packages/pmd-ixgbe/dist/fastpath.js', import.meta.url).href;
const fp = await import(module);

// rx queue: as rxQueueSetup and enableRx leave it (every descriptor with an mbuf, RDT = N - 1)
const rxData = {
  nbDesc: N, freeThresh: 32, sw: new SharedArrayBuffer(4 * N), state: new SharedArrayBuffer(4 * fp.RX_SLOTS),
  regsFd: window.fd, block: rxBlock, ring: rings.descriptor(), ringWord: rxWord, poolHi: POOL_HI,
};
const rxSw = new Uint32Array(rxData.sw);
new Uint32Array(rxData.state).fill(fp.NONE, fp.RX_FIRST, fp.RX_SLOTS);
const held = new Uint32Array(N);
if (!pool.getBulk(held, 0, N)) throw new Error('pool too small');
for (let i = 0; i < N; i++) {
  rxSw[i] = held[i];
  words[rxWord + 4 * i] = pool.bufOffset(held[i]) + pool.headroom;
  words[rxWord + 4 * i + 1] = POOL_HI;
}
regs[rxBlock + fp.RDT_W] = N - 1;
// tx queue: as txQueueSetup and enableTx leave it
const dmaHi = new Uint32Array(new SharedArrayBuffer(4 * 256));
dmaHi[pool.id] = POOL_HI;
const txData = {
  nbDesc: N, rsThresh: 32, freeThresh: 32, sw: new SharedArrayBuffer(4 * N), rs: new SharedArrayBuffer(4 * N), state: new SharedArrayBuffer(4 * fp.TX_SLOTS),
  counters: new SharedArrayBuffer(8 * fp.TXC_SLOTS), regsFd: window.fd, block: txBlock, ring: rings.descriptor(), ringWord: txWord, dmaHi: dmaHi.buffer,
  bounce: pool.descriptor(),
};
new Uint32Array(txData.sw).fill(fp.NONE);
const txSt = new Uint32Array(txData.state);
txSt[fp.TX_FREE] = N - 1;
txSt[fp.TX_CLEAN] = N - 1;

const e = await engineOn(mode,
  { module, driver: 'net_ixgbe', port: 0, queue: 0, pool: pool.descriptor(), stats: qstats, data: rxData },
  { module, driver: 'net_ixgbe', port: 0, queue: 0, pool: undefined, stats: { ...qstats, index: 8 }, data: txData }, pool);

// the device: rx write-back up to RDT, tx DD on RS descriptors up to TDT
const INFO = desc.RXD_PKTTYPE_IPV4 | desc.RXD_PKTTYPE_UDP, STATUS = desc.RXD_STAT_DD | desc.RXD_STAT_EOP | desc.RXD_STAT_FLM;
const RS = desc.TXD_DCMD_RS, TX_DD = desc.TXD_STAT_DD;
const RDT = rxBlock + fp.RDT_W, TDT = txBlock + fp.TDT_W;
const RX = mode !== 'txonly', TX = mode !== 'rxonly';
let rxHead = 0, txHead = 0;
function device() {
  let moved = 0;
  if (RX) {
    // descriptors [head, tail) are the device's: it keeps one back, as the NIC does (head == tail: none)
    const tail = regs[RDT];
    while (rxHead !== tail) {
      const w = rxWord + (rxHead << 2);
      words[w] = INFO;
      words[w + 1] = 0;
      words[w + 3] = 64;
      words[w + 2] = STATUS; // plain stores: the PMD reads them in this thread
      rxHead = (rxHead + 1) & (N - 1);
      moved++;
    }
  }
  if (TX) {
    const tail = regs[TDT];
    while (txHead !== tail) {
      const w = txWord + (txHead << 2);
      if (words[w + 2] & RS) words[w + 3] |= TX_DD;
      txHead = (txHead + 1) & (N - 1);
      moved++;
    }
  }
  return moved;
}

const fwd = e.fwd;
console.log(`${mode} on net_ixgbe queues of ${N} descriptors, the device played by this thread`);
await perSecond(mode, seconds, 16384, () => { device(); fwd(); }, e.packets);
// the device's own cost: the same write-back stores over a full ring, without the PMD
{
  const reps = 2000;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) {
    Atomics.store(regs, RDT, (rxHead + N - 1) & (N - 1));
    Atomics.store(regs, TDT, (txHead + N - 1) & (N - 1));
    device();
  }
  const ns = ((performance.now() - t0) * 1e6) / (reps * (N - 1));
  console.log(`the benchmark's device alone: ${ns.toFixed(2)} ns per frame (${RX && TX ? 'rx write-back + tx completion' : RX ? 'rx write-back' : 'tx completion'}), included in the rates above`);
}
process.exit(0);
