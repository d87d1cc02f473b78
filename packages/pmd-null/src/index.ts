/**
 * net_null — DPDK's null PMD in TypeScript, and the smallest model of a driver
 * (new drivers start from `npm init @dpkit/pmd`, whose template has this shape).
 * The file follows DPDK's order: arguments, private state, control ops, ONE ops table, the
 * probe that creates the port, remove, and the descriptor last. The burst functions live in
 * `fastpath.ts`, because worker lcores load them from there.
 *
 * rx takes mbufs from the queue's pool and sets their length to `size`; tx frees what it is
 * given. With `copy=1` rx copies a dummy packet in and tx copies each packet out, to cost what
 * a real copy costs. With `no-rx=1` rx returns nothing.
 */
import { randomBytes } from 'node:crypto';
import type { EthLink } from '@dpkit/eal';
import { defineDriver, defineParams, removePorts, type DriverPort, type EthDevOps, type ParamValues } from '@dpkit/eal/driver';
import * as fastPath from './fastpath.js';
import type { NullQueueData } from './fastpath.js';

// Arguments
export const params = defineParams({
  size: { type: 'int', default: 64, min: 1, max: 65535, help: 'packet size in bytes' },
  copy: { type: 'bool', default: false, help: 'copy packet data on rx and tx' },
  'no-rx': { type: 'bool', default: false, help: 'rx returns no packets' },
});

// Private state
interface NullPrivate {
  args: ParamValues<typeof params>;
}

const MAX_QUEUES = 1024;
const LINK_UP: EthLink = { speed: 10000, duplex: 'full', autoneg: false, up: true };
const LINK_DOWN: EthLink = { ...LINK_UP, up: false };

// Control ops: typed by the private state and by what queue setup gives the fast path
const ops: EthDevOps<NullPrivate, NullQueueData, NullQueueData> = {
  infoGet: () => ({
    maxRxQueues: MAX_QUEUES,
    maxTxQueues: MAX_QUEUES,
    maxMacAddrs: 1,
    maxRxPktLen: 0xffffffff,
    minRxBufSize: 0,
  }),
  configure: () => undefined,
  start: () => undefined,
  stop: () => undefined, // the queues hold no mbufs between bursts
  close: () => undefined,
  reset: () => undefined,
  rxQueueSetup: queueData,
  txQueueSetup: queueData,
  linkUpdate: (port) => (port.started ? LINK_UP : LINK_DOWN),
  promiscuousEnable: () => undefined,
  promiscuousDisable: () => undefined,
  allmulticastEnable: () => undefined,
  allmulticastDisable: () => undefined,
  macAddrSet: () => undefined,
  mtuSet: () => undefined,
};

function queueData(port: DriverPort<NullPrivate>): NullQueueData {
  const a = port.priv.args;
  return { size: a.size, copy: a.copy, noRx: a['no-rx'] };
}

// Probe, remove, registration
export const driver = defineDriver({
  name: 'net_null',
  aliases: ['eth_null'],
  bus: 'vdev',
  drvFlags: 0,
  params,
  probe(device, ctx) {
    const mac = randomBytes(6);
    mac[0] = (mac[0]! & 0xfe) | 0x02; // locally administered unicast, as eth_random_addr
    ctx.ethdev.allocate({
      name: device.name,
      device,
      driver: 'net_null',
      ops,
      fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
      mac,
      priv: { args: ctx.params },
    });
    ctx.log.info(`created ${device.name}: size=${ctx.params.size} copy=${Number(ctx.params.copy)} no-rx=${Number(ctx.params['no-rx'])}`);
  },
  remove: removePorts,
});

export const drivers = [driver];
export default driver;
