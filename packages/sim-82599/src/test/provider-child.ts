// A process of provider.test.ts, run in the device's namespace (ip netns exec):
//   node provider-child.js IF own      Eal.init with the sim-82599 provider, net_af_xdp and the
//                                      82599 test driver; prints the probe as JSON ("probe {...}"),
//                                      then per stdin line: "start" (split, map), "frame HEX" (rx and
//                                      tx queue set up through the mapped page, the frame sent in
//                                      loopback, what the rx ring got printed), "stop" (return),
//                                      "rule NTUPLE" (flow create), "list" (flow list), "unrule ID", "unmapumem", "exit",
//                                      "frameplain HEX" (frame, with rings and buffers in a plain memfd
//                                      region registered with mapUmem, not a mempool), "unmapplain"
//   node provider-child.js IF second   the same EAL; start; prints the error line and exits
//   node provider-child.js IF afxdp    Eal.init with net_af_xdp only: prints the error line
//   node provider-child.js IF twice    two handles in one process split queue 32: prints the error line
//   node provider-child.js IF claims NETDEV...  prints "claims NAME PROVIDER" for each netdev
//   (the vdev is the RFC's iface=IF,qpairs=1: qoff comes from the provider, 32; a last
//   argument qoff=N adds qoff=N)
import { createInterface } from 'node:readline';
import { DpkitError, Eal, Mempool, MemoryManager, describeRule, parseNtuple, type MemoryRegion } from '@dpkit/eal';
import { bifurc, bifurcAttachment, readNetdevId } from '@dpkit/bifurc';
import { drivers as afXdp } from '@dpkit/pmd-af-xdp';
import { sim82599Provider } from '../index.js';
import * as d from '@dpkit/ixgbe-defs/descriptors';
import * as r from '@dpkit/ixgbe-defs/regs';
import { nic82599TestDriver, probed, start, stop } from './fixtures/nic-82599-driver.js';

const [iface, mode, ...rest] = process.argv.slice(2) as [string, string, ...string[]];
const qoff = /^qoff=(\d+)$/.exec(rest[rest.length - 1] ?? '')?.[1];
const say = (s: string) => process.stdout.write(`${s}\n`);
const fail = (err: unknown) => say(`error ${(err as DpkitError).code ?? ''} ${(err as Error).message}`);
const b = bifurc({ providers: [sim82599Provider] });
if (mode === 'twice') {
  // two handles of one process on bx0: the second is refused naming the first's owner
  const id = readNetdevId(iface, 'test');
  const one = await sim82599Provider.open(id), two = await sim82599Provider.open(id);
  await one.splitQueuePairs(1, 32, 'port A');
  try {
    await two.splitQueuePairs(1, 32, 'port B');
  } catch (err) {
    fail(err);
  }
  await one.close();
  say(`after close: ${(await two.splitQueuePairs(1, 32, 'port B')).join(',')}`);
  await two.close();
  process.exit(0);
}
if (mode === 'claims') {
  for (const name of rest) say(`claims ${name} ${b.bus.providerFor(readNetdevId(name, 'test')).name}`);
  process.exit(0);
}
const drivers = mode === 'afxdp' ? [...b.drivers, ...afXdp] : [...b.drivers, ...afXdp, nic82599TestDriver];
let eal: Eal;
try {
  eal = (await Eal.init(['-l', '0', '--no-pci', '--log-level=5', `--file-prefix=sim-prov-${process.pid}`, `--vdev=net_bifurc0,iface=${iface},qpairs=1${qoff === undefined ? '' : `,qoff=${qoff}`}`], { drivers, buses: [b.bus] }))!;
} catch (err) {
  fail(err);
  process.exit(0);
}
const p = probed[0]!;
const at = bifurcAttachment(p.device)!;
say(`probe ${JSON.stringify({
  device: p.device.name, pci: p.device.pci, driver: p.device.driver?.name, kind: at.kind, provider: at.provider,
  claimed: b.bus.providerFor({ name: iface, ifindex: at.ifinfo.ifindex, driver: 'tun' }).name, rxQueues: at.ifinfo.rxQueues, steering: at.steering === undefined ? 'none' : at.steering.isolated ? 'isolated' : 'not isolated',
})}`);
if (mode === 'second') {
  try {
    await start(p);
    say('started');
  } catch (err) {
    fail(err);
  }
  await eal.cleanup();
  process.exit(0);
}

const IOVA = 0x1_0000_0000;
const RING = 32;
const memory = new MemoryManager();
const pool = Mempool.create(memory, 'simdma', { size: 64, cacheSize: 0, memory: 'memfd' });
/** DMA memory as a test uses it: a pool's region (from its data area) or a plain memfd region at another IOVA */
interface Dma { memory: Mempool | MemoryRegion; iova: number; words: Uint32Array; bytes: Uint8Array; base: number }
const inPool: Dma = { memory: pool, iova: IOVA, words: pool.words, bytes: pool.bytes, base: pool.dataOffset };
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
let held: Awaited<ReturnType<typeof start>> | undefined;

async function frame(hex: string, m: Dma) {
  const { regs, rx, tx, queue: q } = held!.regs;
  // DMA layout in the memory (bus address = IOVA + region offset): rings, then buffers
  const rxRing = m.base, txRing = rxRing + 0x1000, rxBufs = rxRing + 0x2000, txBuf = rxBufs + RING * 2048;
  const lo = (o: number) => (m.iova + o) % 2 ** 32, hi = (o: number) => Math.floor((m.iova + o) / 2 ** 32);
  // the queue's registers as offsets from its rx/tx block (what map() gave), not absolute BAR offsets
  const rxw = (reg: number) => rx + ((reg - r.RDBAL(q)) >> 2), txw = (reg: number) => tx + ((reg - r.TDBAL(q)) >> 2);
  if (at.kind !== 'nic') throw new Error('not a nic attachment');
  await at.rings.mapUmem(m.memory, m.iova);
  const w = m.words;
  regs[rxw(r.SRRCTL_BLOCK(q))] = r.SRRCTL_DESCTYPE_ADV_ONEBUF | r.SRRCTL_DROP_EN | (2048 >> r.SRRCTL_BSIZEPKT_SHIFT);
  regs[rxw(r.RDBAL(q))] = lo(rxRing); regs[rxw(r.RDBAH(q))] = hi(rxRing); regs[rxw(r.RDLEN(q))] = RING * d.DESC_SIZE;
  regs[rxw(r.RDH(q))] = 0; regs[rxw(r.RDT(q))] = 0;
  for (let i = 0; i < RING; i++) {
    const x = (rxRing >> 2) + i * d.DESC_DWORDS;
    w[x] = lo(rxBufs + i * 2048); w[x + 1] = hi(rxBufs + i * 2048); w[x + 2] = 0; w[x + 3] = 0;
  }
  regs[rxw(r.RXDCTL(q))] |= r.RXDCTL_ENABLE;
  regs[txw(r.TDBAL(q))] = lo(txRing); regs[txw(r.TDBAH(q))] = hi(txRing); regs[txw(r.TDLEN(q))] = RING * d.DESC_SIZE;
  regs[txw(r.TDH(q))] = 0; regs[txw(r.TDT(q))] = 0;
  regs[txw(r.TXDCTL(q))] |= r.TXDCTL_ENABLE;
  regs[rxw(r.RDT(q))] = RING - 1; // the rx doorbell
  const bytes = Buffer.from(hex, 'hex');
  m.bytes.set(bytes, txBuf);
  const t = (txRing >> 2);
  w[t] = lo(txBuf); w[t + 1] = hi(txBuf);
  w[t + 2] = (d.TXD_DTYP_DATA | d.TXD_DCMD_DEXT | d.TXD_DCMD_IFCS | d.TXD_DCMD_EOP | d.TXD_DCMD_RS | bytes.length) >>> 0;
  w[t + 3] = bytes.length << d.TXD_PAYLEN_SHIFT;
  regs[txw(r.TDT(q))] = 1; // the tx doorbell
  for (let i = 0; i < 400 && !(w[(rxRing >> 2) + 2]! & 1); i++) await sleep(5);
  const status = w[(rxRing >> 2) + 2]!, length = w[(rxRing >> 2) + 3]! & 0xFFFF;
  say(`received dd=${status & 1} length=${length} bytes=${Buffer.from(m.bytes.subarray(rxBufs, rxBufs + length)).toString('hex')}`);
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...args] = line.trim().split(' ');
  const arg = args.join(' ');
  try {
    if (cmd === 'start') {
      held = await start(p);
      say(`split ${held.queues.join(',')} page rx=0x${(held.regs.rx * 4).toString(16)} tx=0x${(held.regs.tx * 4).toString(16)} words=${held.regs.regs.length}`);
    } else if (cmd === 'frame') {
      await frame(arg!, inPool);
    } else if (cmd === 'frameplain') {
      // a plain memfd region, not a mempool, as DMA memory (rings and buffers) at IOVA 0x2_0000_0000
      const region = memory.reserve('simdma-plain', 1 << 20, 0, 'memfd');
      await frame(arg!, { memory: region, iova: 0x2_0000_0000, words: new Uint32Array(region.buffer), bytes: new Uint8Array(region.buffer), base: 0 });
    } else if (cmd === 'unmapplain') {
      if (at.kind === 'nic') await at.rings.unmapUmem({ pool: memory.lookup('simdma-plain')!, iova: 0x2_0000_0000, length: 1 << 20 });
      say('unmapped');
    } else if (cmd === 'stop') {
      await stop(p, held!.queues);
      say('returned');
    } else if (cmd === 'rule') {
      say(`rule ${at.steering!.create(parseNtuple(arg))}`);
    } else if (cmd === 'list') {
      say(`list ${at.steering!.list().map((x) => `${x.id}: ${describeRule(x.rule)}`).join('; ')}`);
    } else if (cmd === 'unmapumem') {
      if (at.kind === 'nic') await at.rings.unmapUmem({ pool, iova: IOVA, length: pool.region.size });
      say('unmapped');
    } else if (cmd === 'unrule') {
      at.steering!.destroy(Number(arg));
      say('unruled');
    } else if (cmd === 'exit') {
      break;
    }
  } catch (err) {
    fail(err);
  }
}
await eal.cleanup();
say('closed');
