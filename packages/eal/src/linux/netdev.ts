/**
 * What every PMD that sits on a Linux netdev (net_af_xdp, net_af_packet) does the same way:
 * find the netdev, and keep the port's link, promiscuous and all-multicast modes and MTU on
 * the netdev itself (interface ioctls through the addon, speed from sysfs).
 *
 * Promiscuous and all-multicast are the port's while it is started: `netdevModesApply` (at
 * start) puts the port's modes on the netdev, a change while started goes to the netdev at
 * once, and `netdevModesRestore` (at stop) gives the netdev back the IFF_PROMISC/IFF_ALLMULTI
 * it had when the port was probed. A change while stopped is kept for the next start. A
 * process killed while the port runs cannot restore them (the kernel keeps the flags).
 */
import { DpkitError } from '../errors.js';
import type { DriverPort } from '../driver/port.js';
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

type NetdevPortOps<Priv> = Pick<EthDevOps<Priv>, 'linkUpdate' | 'promiscuousEnable' | 'promiscuousDisable' | 'allmulticastEnable' | 'allmulticastDisable' | 'mtuSet'>;

const MODE_FLAGS = IFF_PROMISC | IFF_ALLMULTI;
/** which of IFF_PROMISC/IFF_ALLMULTI each started port turned on and off on its netdev */
const changedFlags = new WeakMap<DriverPort, { on: number; off: number }>();

/**
 * Sets or clears `flag` on the netdev while the port is started, and notes the change for
 * netdevModesRestore; stopped, the port only keeps it.
 */
function modeOp<Priv>(ifaceOf: (dev: DriverPort<Priv>) => string, flag: number, on: boolean): (dev: DriverPort<Priv>) => void {
  return (dev) => {
    if (!dev.started) return;
    linux().setIfFlags(ifaceOf(dev), on ? flag : 0, on ? 0 : flag);
    const c = changedFlags.get(dev);
    if (!c) return;
    const [undo, record] = on ? ['off', 'on'] as const : ['on', 'off'] as const;
    if (c[undo] & flag) c[undo] &= ~flag; // back to what the netdev had
    else c[record] |= flag;
  };
}

/**
 * Port ops backed by the netdev that `ifaceOf(dev)` names: link up while the port is started
 * and the netdev runs (speed from sysfs), IFF_PROMISC/IFF_ALLMULTI set on it while the port is
 * started (see above), the MTU set on it.
 */
export function netdevPortOps<Priv>(ifaceOf: (dev: DriverPort<Priv>) => string): NetdevPortOps<Priv> {
  return {
    linkUpdate(dev): EthLink {
      const iface = ifaceOf(dev);
      return { speed: netdevSpeed(iface), duplex: 'full', autoneg: true, up: dev.started && netdevRunning(iface) };
    },
    promiscuousEnable: modeOp(ifaceOf, IFF_PROMISC, true),
    promiscuousDisable: modeOp(ifaceOf, IFF_PROMISC, false),
    allmulticastEnable: modeOp(ifaceOf, IFF_ALLMULTI, true),
    allmulticastDisable: modeOp(ifaceOf, IFF_ALLMULTI, false),
    mtuSet: (dev, mtu) => linux().setMtu(ifaceOf(dev), mtu),
  };
}

/** Sets a new port's promiscuous and all-multicast state from the netdev's flags. */
export function netdevModes(dev: DriverPort, id: NetdevIdentity): void {
  dev.promiscuous = (id.flags & IFF_PROMISC) !== 0;
  dev.allMulticast = (id.flags & IFF_ALLMULTI) !== 0;
}

/**
 * At start: puts the port's promiscuous and all-multicast modes on the netdev, and keeps which
 * of the two flags it changed, so that stop undoes exactly those.
 */
export function netdevModesApply(dev: DriverPort, iface: string): void {
  const want = (dev.promiscuous ? IFF_PROMISC : 0) | (dev.allMulticast ? IFF_ALLMULTI : 0);
  const had = linux().ifInfo(iface).flags & MODE_FLAGS;
  linux().setIfFlags(iface, want, MODE_FLAGS & ~want);
  changedFlags.set(dev, { on: want & ~had, off: had & ~want });
}

/**
 * At stop: undoes what netdevModesApply changed on the netdev (a flag the port turned on goes
 * off, one it turned off comes back), so a flag someone else set on the netdev while the port
 * ran (another program, `ip link set promisc on`) stays. The port's own modes stay as they
 * are, for the next start. A netdev that has gone is left alone.
 */
export function netdevModesRestore(dev: DriverPort, iface: string): void {
  const c = changedFlags.get(dev);
  if (c === undefined) return;
  changedFlags.delete(dev);
  try {
    linux().setIfFlags(iface, c.off, c.on);
  } catch {
    // the netdev was removed while the port ran: nothing to restore
  }
}
