/**
 * The port as its driver sees it: rte_eth_dev and rte_eth_dev_data of DPDK's
 * ethdev_driver.h ("user applications shouldn't use them"). Every op of the driver's
 * EthDevOps is called with this object; `ctx.ethdev.allocate(spec)` returns it.
 *
 * The application's `EthDev` owns it and shows none of it: an application reads a port's
 * state through EthDev's read-only accessors and changes it through EthDev's checked calls,
 * which then call the driver's ops with this view.
 */
import type { Devargs } from '../devargs/kvargs.js';
import type { Mempool } from '../mbuf/mempool.js';
import type { EthConf, EthLink } from '../ethdev/types.js';

/**
 * The device of a port, as its driver reads it (rte_device's name, NUMA node and devargs). The
 * full `Device` (bus, driver, ports) is the driver's probe argument; this is what the port
 * carries, so that the port contract does not depend on the bus contract.
 */
export interface PortDevice {
  readonly name: string;
  readonly numaNode: number;
  readonly devargs: Devargs | undefined;
}

/**
 * A port as its driver sees it. `Priv` is the driver's own control-path state, given as
 * `priv` at allocation.
 *
 * The driver reads what ethdev has applied (`conf`, queue counts, rx pools, `started`) and may
 * set what the device decides: its MAC address and MTU (at probe, or when the device reports
 * a change), the promiscuous and all-multicast state the device is in (at probe: the netdev's
 * flags; always on, for a ring), and the link (`setLink`, which raises the link-state event).
 * ethdev sets `mac`, `mtu`, `promiscuous` and `allMulticast` itself after the matching op
 * succeeded; an op does not need to.
 */
export interface DriverPort<Priv = unknown> {
  /** the port id (rte_eth_dev_data.port_id) */
  readonly portId: number;
  /** the port's name (the device name, for most drivers) */
  readonly name: string;
  /** the driver name given at allocation (rte_eth_dev_data.drv_name) */
  readonly driverName: string;
  readonly device: PortDevice;
  /** the driver's private state (rte_eth_dev_data.dev_private) */
  priv: Priv;
  /** the configuration the last `configure` applied; `configure` reads it */
  readonly conf: Readonly<EthConf>;
  /** queue counts the last `configure` applied */
  readonly nbRxQueues: number;
  readonly nbTxQueues: number;
  /** the mempool of each rx queue that is set up (undefined: not set up) */
  readonly rxPools: readonly (Mempool | undefined)[];
  /** true between a successful `start` op and the next `stop` */
  readonly started: boolean;
  /** the port's MAC address */
  mac: Uint8Array;
  mtu: number;
  promiscuous: boolean;
  allMulticast: boolean;
  /** the link as last reported (by `linkUpdate` or `setLink`) */
  readonly link: Readonly<EthLink>;
  /**
   * The link changed (rte_eth_linkstatus_set on a link-state interrupt): records it and, when
   * `up` flipped, raises the application's 'link-state' event. Control path only.
   */
  setLink(link: EthLink): void;
}
