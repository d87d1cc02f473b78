// A user-space owner in its own process, for channel.test.ts:
//   node channel-child.js NAME hold QUEUE IOVA   split QUEUE, map the window and 1 MiB of DMA
//                                                memory, start rx queue QUEUE, print "ready", then
//                                                what the first frame's write-back says, wait
//   node channel-child.js NAME try QUEUE         print the reply to "split QUEUE 1" and exit
//   node channel-child.js NAME ask REQUEST...     print the reply to each request and exit
import { linux } from '@dpkit/eal/linux';
import { ChannelClient } from '../client.js';
import { BAR0_SIZE, RDH } from '@dpkit/ixgbe-defs/regs';
import { DMA_SIZE, driverOn } from './rig.js';

const [name, mode, queueArg, iovaArg] = process.argv.slice(2) as [string, string, string, string];
const queue = Number(queueArg);
const ch = ChannelClient.connect('', name);
const say = (s: string) => process.stdout.write(`${s}\n`);
if (mode === 'ask') {
  for (const request of process.argv.slice(4)) {
    const reply = ch.request(request);
    say(`${reply.ok ? 'ok' : 'error'} ${reply.text}`.trim());
  }
  process.exit(0);
}
const split = ch.request(`split ${queue} 1`);
say(`split: ${split.ok ? 'ok' : split.text}`);
if (mode === 'try' || !split.ok) process.exit(0);
const map = ch.request('map');
const regs = new Uint32Array(linux().mapFd(map.fds[0]!, BAR0_SIZE));
linux().close(map.fds[0]!);
const mem = linux().memfdMap('sim-82599-child-dma', DMA_SIZE);
const umem = ch.request(`map_umem ${iovaArg} ${DMA_SIZE}`, [mem.fd]);
say(`map: ${map.ok ? map.text : 'failed'}; map_umem: ${umem.ok ? 'ok' : umem.text}`);
const driver = driverOn(regs, mem.buffer, Number(iovaArg));
await driver.rxQueue(queue, 0, 0x10000);
say('ready');
// report the first frame received on the ring (DD in descriptor 0), then wait to be killed
const watch = setInterval(() => {
  const wb = driver.rxWriteBack(0, 0);
  if (wb.status & 1) {
    say(`received length=${wb.length} status=${wb.status} head=${driver.reg(RDH(queue))}`);
    clearInterval(watch);
    setInterval(() => {}, 1000);
  }
}, 5);
