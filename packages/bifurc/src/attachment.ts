/**
 * What a bifurc device hands its driver (one type, read with bifurcAttachment() in bus.ts),
 * and the one check that a netdev has one AF_XDP user among this process's vdevs.
 */
import { DpkitError } from '@dpkit/eal';
import type { Device } from '@dpkit/eal/driver';
import type { IfInfo, NicFlowSteering, NicRings, XdpFlowSteering, XskRings } from './dra.js';

interface AttachmentBase {
  /** the netdev */
  iface: string;
  /** its identity when the device was created */
  ifinfo: IfInfo;
  /** user-space queue pairs and the netdev queue of user queue 0 */
  qpairs: number;
  qoff: number;
  /** the direct-ring-access provider that opened the netdev */
  provider: string;
}

/** A netdev served through AF_XDP sockets (the Linux provider). */
export interface XskAttachment extends AttachmentBase {
  kind: 'xsk';
  rings: XskRings;
  /** port queue q reads netdev queues queueMap[q] (see queueMapFor) */
  queueMap: number[][];
  mode: 'drv' | 'skb';
  /** the provider's flow classifier: the XDP program and the port's FlowOps */
  steering: XdpFlowSteering;
}

/** A NIC with descriptor rings and doorbells (the emulated 82599 of issue 10; no real one yet). */
export interface NicAttachment extends AttachmentBase {
  kind: 'nic';
  rings: NicRings;
  /** the NIC's flow director, if it has one */
  steering: NicFlowSteering | undefined;
}

export type BifurcAttachment = XskAttachment | NicAttachment;

/** vdev drivers that put an AF_XDP user on their `iface` (names and aliases) */
const AF_XDP_USERS = /^(net_af_xdp|eth_af_xdp|net_bifurc|rte_bifurc)\d*$/;
const BIFURC = /^(net_bifurc|rte_bifurc)\d*$/;
const ifaceOf = (args: string | undefined) => /(?:^|,)iface=([^,]+)/.exec(args ?? '')?.[1];

/**
 * Refuses, in one line (EBUSY), a bifurc vdev and another AF_XDP user (net_af_xdp, eth_af_xdp,
 * net_bifurc, rte_bifurc) on one netdev among this process's vdevs, whichever is probed first:
 * each attaches its own XDP program to the whole netdev; the line says to detach the rival or
 * use another netdev. (Two net_af_xdp ports on one netdev
 * are refused when the second starts, as one may run while the other is stopped.)
 */
export function refuseNetdevRival(device: Device, iface: string): void {
  const rival = device.bus.devices().find((d) => d !== device && AF_XDP_USERS.test(d.name) && (BIFURC.test(d.name) || BIFURC.test(device.name))
    && ifaceOf(d.devargs?.args) === iface);
  if (rival) {
    throw new DpkitError(`${device.name}: netdev '${iface}' is used by ${rival.name} as well: a netdev's queues go to one AF_XDP user, a bifurc vdev or net_af_xdp, not both; detach ${rival.name} first (port detach, or drop its --vdev), or use another netdev`, 'EBUSY');
  }
}
