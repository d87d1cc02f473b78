/**
 * {{driver}} — a vdev PMD whose device is a ring per queue pair: what tx queue q sends comes
 * back on rx queue q. Made by @dpkit/create-pmd: replace the ring with your device, keep the
 * shape. DPDK's order: arguments, private state, control ops in ONE table, probe/remove, the
 * descriptor. The bursts are in fastpath.ts, which worker lcores load by URL.
 */
import { randomBytes } from 'node:crypto';
import { Ring, RING_F_SC_DEQ, RING_F_SP_ENQ, type EthLink } from '@dpkit/eal';
import { defineDriver, defineParams, mbufFreeBulk, removePorts, type DriverPort, type EthDevOps, type ParamValues } from '@dpkit/eal/driver';
import * as fastPath from './fastpath.js';

// Arguments: --vdev={{driver}}0,ring_size=1024
export const params = defineParams({
  ring_size: { type: 'int', default: 1024, min: 2, max: 65536, help: 'packets a queue holds (rounded up to a power of two)' },
});

// Private state: the device. Ring q serves rx and tx queue q; it is made at queue setup.
interface Private {
  args: ParamValues<typeof params>;
  rings: Ring[];
}
type Port = DriverPort<Private>;

const MAX_QUEUES = 16;
const LINK_UP: EthLink = { speed: 10000, duplex: 'full', autoneg: false, up: true };

/** Queue setup: the queue's ring, made once, as the descriptor data its fast path receives. */
function queueData(dev: Port, queue: number): fastPath.QueueData {
  const ring = (dev.priv.rings[queue] ??= Ring.create(`${dev.name}_q${queue}`, dev.priv.args.ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ));
  return { ring: ring.descriptor() };
}

/** Frees what the rings still hold: after stop every mbuf is back in its pool. */
function drain(dev: Port): void {
  const pkts = new Uint32Array(64);
  for (const ring of dev.priv.rings) {
    for (let n = ring.dequeueBurst(pkts, 0, 64); n > 0; n = ring.dequeueBurst(pkts, 0, 64)) mbufFreeBulk(pkts, 0, n);
  }
}

// Control ops; one you leave out makes its API call fail with ENOTSUP
const ops: EthDevOps<Private, fastPath.QueueData, fastPath.QueueData> = {
  infoGet: () => ({ maxRxQueues: MAX_QUEUES, maxTxQueues: MAX_QUEUES, maxMacAddrs: 1, maxRxPktLen: 0xffffffff, minRxBufSize: 0 }),
  configure: () => undefined,
  start: () => undefined,
  stop: drain,
  close: (dev) => {
    drain(dev);
    dev.priv.rings = [];
  },
  rxQueueSetup: queueData,
  txQueueSetup: queueData,
  linkUpdate: (dev) => ({ ...LINK_UP, up: dev.started }),
};

// Probe, remove, registration
export const driver = defineDriver({
  name: '{{driver}}',
  bus: 'vdev',
  drvFlags: 0,
  params,
  probe(device, ctx) {
    const mac = randomBytes(6);
    mac[0] = (mac[0]! & 0xfe) | 0x02; // locally administered unicast
    ctx.ethdev.allocate({
      name: device.name,
      device,
      driver: '{{driver}}',
      ops,
      fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
      mac,
      priv: { args: ctx.params, rings: [] },
    });
    ctx.log.info(`created ${device.name}: ring_size=${ctx.params.ring_size}`);
  },
  remove: removePorts,
});

export const drivers = [driver];
export default driver;
