/**
 * What every PMD that sits on a Linux netdev (net_af_xdp, net_af_packet) does the same way:
 * find the netdev, and keep the port's link, promiscuous and all-multicast modes and MTU on
 * the netdev itself (interface ioctls through the addon, speed from sysfs).
 */
import { DpkitError } from '../errors.js';
import type { EthDev } from '../ethdev/ethdev.js';
import type { EthDevOps } from '../ethdev/ops.js';
import type { EthLink } from '../ethdev/types.js';
import { linux } from './native.js';
import { netdevSpeed } from './sysfs.js';

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_PROMISC = 0x100;
export const IFF_ALLMULTI = 0x200;

export interface NetdevIdentity {
  ifindex: number;
  mac: number[];
  mtu: number;
  flags: number;
}

/** The netdev `iface` of this network namespace, or one line saying it is not there. */
export function netdevOpen(iface: string, label: string): NetdevIdentity {
  const l = linux(`${label} on netdev ${iface}`);
  try {
    return l.ifInfo(iface);
  } catch {
    throw new DpkitError(`${label}: no netdev '${iface}' in this network namespace; see 'ip link' for the names`, 'ENODEV');
  }
}

/** Is the netdev up with carrier? (false when it has gone) */
export function netdevRunning(iface: string): boolean {
  try {
    return (linux().ifInfo(iface).flags & (IFF_UP | IFF_RUNNING)) === (IFF_UP | IFF_RUNNING);
  } catch {
    return false;
  }
}

type NetdevPortOps = Pick<EthDevOps, 'linkUpdate' | 'promiscuousEnable' | 'promiscuousDisable' | 'allmulticastEnable' | 'allmulticastDisable' | 'mtuSet'>;

/**
 * Port ops backed by the netdev that `ifaceOf(dev)` names: link up while the port is started
 * and the netdev runs (speed from sysfs), IFF_PROMISC/IFF_ALLMULTI and the MTU set on it.
 */
export function netdevPortOps(ifaceOf: (dev: EthDev) => string): NetdevPortOps {
  return {
    linkUpdate(dev): EthLink {
      const iface = ifaceOf(dev);
      return { speed: netdevSpeed(iface), duplex: 'full', autoneg: true, up: dev.started && netdevRunning(iface) };
    },
    promiscuousEnable: (dev) => linux().setIfFlags(ifaceOf(dev), IFF_PROMISC, 0),
    promiscuousDisable: (dev) => linux().setIfFlags(ifaceOf(dev), 0, IFF_PROMISC),
    allmulticastEnable: (dev) => linux().setIfFlags(ifaceOf(dev), IFF_ALLMULTI, 0),
    allmulticastDisable: (dev) => linux().setIfFlags(ifaceOf(dev), 0, IFF_ALLMULTI),
    mtuSet: (dev, mtu) => linux().setMtu(ifaceOf(dev), mtu),
  };
}

/** Sets a new port's promiscuous and all-multicast state from the netdev's flags. */
export function netdevModes(dev: EthDev, id: NetdevIdentity): void {
  dev.promiscuous = (id.flags & IFF_PROMISC) !== 0;
  dev.allMulticast = (id.flags & IFF_ALLMULTI) !== 0;
}
