/**
 * net_ring — DPDK's ring PMD: a port whose queues are in-memory rings. Queue i of a port has
 * one ring, `ETH_RXTX<i>_<name>`, used by both its rx and its tx, so a port loops back what it
 * sends. `nodeaction=NAME:NODE:ATTACH` makes a port use the rings another port created with
 * `nodeaction=NAME:NODE:CREATE`, so what one sends the other can receive: two ports joined by
 * rings, for loopback tests in one process.
 *
 * Unlike DPDK's, stopping a port frees the mbufs left in its rings (when no other started
 * port shares them), so every mbuf is back in its pool after stop.
 */
import { DpkitError, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ, mbufFreeBulk, type EthLink } from '@dpkit/eal';
import { defineDriver, defineParams, removePorts, type EthDevOps } from '@dpkit/eal/driver';
import * as fastPath from './fastpath.js';
import type { RingQueueData } from './fastpath.js';

// Arguments
export const params = defineParams({
  nodeaction: { type: 'string', syntax: '<name>:<node>:CREATE|ATTACH', help: 'create or attach to the named rings' },
});

/** RTE_PMD_RING_MAX_RX_RINGS / _TX_RINGS */
export const MAX_QUEUES = 16;
const RING_SIZE = 1024;

// Rings shared between the ports of this process, by name (rte_ring_lookup)
interface SharedRing {
  ring: Ring;
  users: number;
  started: number;
}
const rings = new Map<string, SharedRing>();

// Private state
interface RingPrivate {
  ringsName: string;
  rings: SharedRing[];
}

const LINK_UP: EthLink = { speed: 10000, duplex: 'full', autoneg: true, up: true };

function parseNodeAction(text: string): { name: string; node: number; action: 'CREATE' | 'ATTACH' } {
  const m = /^([^:]+):(\d+):(CREATE|ATTACH)$/.exec(text);
  if (!m) throw new DpkitError(`net_ring: devarg nodeaction='${text}' is not valid: expected <name>:<node>:CREATE|ATTACH`);
  return { name: m[1]!, node: Number(m[2]), action: m[3] === 'CREATE' ? 'CREATE' : 'ATTACH' };
}

function drain(r: SharedRing): void {
  if (r.started > 0) return;
  const buf = new Uint32Array(64);
  for (let n = r.ring.dequeueBurst(buf, 0, 64); n > 0; n = r.ring.dequeueBurst(buf, 0, 64)) mbufFreeBulk(buf, 0, n);
}

// Control ops
const ops: EthDevOps<RingPrivate, RingQueueData, RingQueueData> = {
  infoGet: () => ({ maxRxQueues: MAX_QUEUES, maxTxQueues: MAX_QUEUES, maxMacAddrs: 1, maxRxPktLen: 0xffffffff, minRxBufSize: 0 }),
  configure: () => undefined,
  start(port) {
    for (const r of port.priv.rings) r.started++;
  },
  stop(port) {
    for (const r of port.priv.rings) {
      r.started--;
      drain(r);
    }
  },
  close(port) {
    const priv = port.priv;
    for (const [i, r] of priv.rings.entries()) {
      drain(r);
      if (--r.users === 0) rings.delete(ringName(priv.ringsName, i));
    }
    priv.rings = [];
  },
  rxQueueSetup: (port, q) => ({ ring: port.priv.rings[q]!.ring.descriptor() }),
  txQueueSetup: (port, q) => ({ ring: port.priv.rings[q]!.ring.descriptor() }),
  linkUpdate: (port) => ({ ...LINK_UP, up: port.started }),
};

function ringName(base: string, q: number): string {
  return `ETH_RXTX${q}_${base}`;
}

// Probe, remove, registration
export const driver = defineDriver({
  name: 'net_ring',
  aliases: ['eth_ring'],
  bus: 'vdev',
  drvFlags: 0,
  params,
  probe(device, ctx) {
    const na = ctx.params.nodeaction ? parseNodeAction(ctx.params.nodeaction) : undefined;
    const base = na?.name ?? device.name;
    const attach = na?.action === 'ATTACH';
    // a port's rings are created and looked up together: ring 0 stands for the set
    const exists = rings.has(ringName(base, 0));
    if (attach && !exists) {
      throw new DpkitError(`net_ring: nodeaction ${ctx.params.nodeaction}: no rings named '${base}' exist; create them first with ${base}:${na!.node}:CREATE on an earlier --vdev`, 'ENOENT');
    }
    // CREATE asks for new rings (rte_ring_create fails with EEXIST); without nodeaction a port
    // creates its rings or, as DPDK's probe falls back to, attaches to existing ones
    if (na?.action === 'CREATE' && exists) {
      throw new DpkitError(`net_ring: nodeaction ${ctx.params.nodeaction}: rings named '${base}' already exist (another port created them); use ${base}:${na.node}:ATTACH to share them, or another name`, 'EEXIST');
    }
    const list: SharedRing[] = [];
    for (let q = 0; q < MAX_QUEUES; q++) {
      const name = ringName(base, q);
      let r = rings.get(name);
      if (!r) {
        r = { ring: Ring.create(name, RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ), users: 0, started: 0 };
        rings.set(name, r);
      }
      r.users++;
      list.push(r);
    }
    const port = ctx.ethdev.allocate({
      name: device.name,
      device,
      driver: 'net_ring',
      ops,
      fastPath: { module: new URL('./fastpath.js', import.meta.url).href, impl: fastPath },
      priv: { ringsName: base, rings: list },
    });
    // like DPDK's ring PMD: promiscuous and all-multicast are always on
    port.promiscuous = true;
    port.allMulticast = true;
    if (device.numaNode !== (na?.node ?? device.numaNode)) device.numaNode = na!.node;
    ctx.log.info(`created ${device.name} on rings '${base}' (${attach ? 'attached' : 'created'})`);
  },
  remove: removePorts,
});

export const drivers = [driver];
export default driver;
