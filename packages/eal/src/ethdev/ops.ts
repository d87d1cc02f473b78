/**
 * The control-path ops table a PMD implements (eth_dev_ops in ethdev_driver.h), typed over
 * the driver's own types: `Priv` (the port's private state, `port.priv`), `RxData` and
 * `TxData` (what rx and tx queue setup return, which the fast-path module's createRxQueue and
 * createTxQueue receive as the descriptor's `data`). `ctx.ethdev.allocate` takes the ops, the
 * private state and the fast-path module together, so the compiler checks that they agree.
 *
 * Every op is called with the port as the driver sees it (DriverPort), on the main thread,
 * after ethdev has checked the arguments and the port's state as each op says ("Checked"):
 * an op does only the device's part. An op reports failure by throwing (or rejecting with) a
 * DpkitError whose message is one line naming the port, what is wrong and how to fix it, and
 * whose code is the errno name listed ("Errors"); ethdev passes it to the application as is,
 * and leaves the port's recorded state as it was before the call unless the op says
 * otherwise. An optional op that is absent makes the matching API call fail with ENOTSUP
 * before anything is called.
 *
 * The errors listed are the ones a driver may raise; `linux().*` calls raise the kernel's
 * own codes (EPERM, ENOMEM, EBUSY, ENODEV...), which `kernelError` words with a fix.
 */
import type { Mempool } from '../mbuf/mempool.js';
import type { DevInfo, EthLink, RxConf, TxConf, Xstat } from './types.js';
import type { DriverPort } from '../driver/port.js';
import type { FlowOps } from '../flow/flow.js';

type Done = void | Promise<void>;

export interface EthDevOps<Priv = unknown, RxData = unknown, TxData = unknown> {
  /**
   * rte_eth_dev_info_get: the device's limits and capabilities; ethdev fills in defaults for
   * what is left out. Called before every check that needs them (configure, queue setup, MTU).
   * Checked: the port is allocated (also on a closed port). Errors: none — it must not throw.
   */
  infoGet: (port: DriverPort<Priv>) => Partial<DevInfo>;
  /**
   * rte_eth_dev_configure: apply `port.conf` and the queue counts (`port.nbRxQueues`,
   * `port.nbTxQueues`). Checked: the port is open and stopped; the queue counts are within
   * infoGet's maxRxQueues/maxTxQueues and not both 0; the offloads and RSS hash functions are
   * within its capabilities; `lsc` only with a driver that raises link events; the MTU within
   * minMtu..maxMtu. Queues set up before are released first. Errors: EINVAL (a combination the
   * device refuses: net_af_xdp needs as many rx as tx queues), ENOTSUP. On failure the port is
   * left unconfigured.
   */
  configure: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_dev_start: start the device (open sockets, attach programs). Checked: the port is
   * open, configured and not started; every queue is set up. Errors: EINVAL (the device as it
   * is cannot run: an MTU the rx buffers cannot hold), EBUSY (the device is taken by another
   * user), EPERM (privileges), ENOMEM, ENODEV (the netdev went away), or the kernel's code. On
   * failure the op undoes what it did: the port stays stopped and can be started again.
   * After it ethdev builds the queues' burst functions (the fast-path module's createRxQueue
   * and createTxQueue) and asks for the link; if building one throws, ethdev releases those
   * built, calls `stop` and passes the error on: the port stays stopped.
   */
  start: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_dev_stop: stop the device and give back every mbuf it still holds (the
   * conformance suite checks the pools are full afterwards). Checked: the port is open and
   * started (or its start op succeeded and building the queues' burst functions failed);
   * every lcore has released its queue objects (RxQueue/TxQueue.release) before.
   * Errors: none expected; a throw is passed on and the port is still recorded as started.
   */
  stop: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_dev_close: free what the port holds (memory regions, kernel objects). Checked:
   * the port is open and stopped; its queues are released first. Errors: none expected.
   */
  close: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_dev_reset: back to the state after probe; the application configures again.
   * Checked: the port is open; ethdev stops it and releases its queues first. Errors: EIO
   * (the device did not come back). Absent: ENOTSUP.
   */
  reset?: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_rx_queue_setup: set up rx queue `queue`; returns the descriptor's `data`, which
   * the fast-path module's createRxQueue receives (structured-cloneable: SharedArrayBuffers,
   * numbers, strings). Checked: the port is open, configured and stopped; `queue` is below
   * nbRxQueues; `nbDesc` is within infoGet's rxDescLimits (min, max, align); the pool meets
   * infoGet's rxPoolNeeds; a queue set up before is released first. Errors: EINVAL (a
   * descriptor count or pool the device cannot use: too small for the MTU, too large to
   * register), ENOMEM.
   */
  rxQueueSetup: (port: DriverPort<Priv>, queue: number, nbDesc: number, socket: number, conf: RxConf, pool: Mempool) => RxData | Promise<RxData>;
  /**
   * rte_eth_tx_queue_setup: as rxQueueSetup, for tx queue `queue`; `nbDesc` within
   * txDescLimits, and ethdev refuses tx_rs_thresh above tx_free_thresh. Errors: EINVAL, ENOMEM.
   */
  txQueueSetup: (port: DriverPort<Priv>, queue: number, nbDesc: number, socket: number, conf: TxConf) => TxData | Promise<TxData>;
  /** rte_eth_rx_queue_release: forget rx queue `queue` (the port is stopped). Errors: none. */
  rxQueueRelease?: (port: DriverPort<Priv>, queue: number) => void;
  /** rte_eth_tx_queue_release, as rxQueueRelease. */
  txQueueRelease?: (port: DriverPort<Priv>, queue: number) => void;
  /**
   * rte_eth_dev_rx_queue_start: start one rx queue of a started port. Checked: the port is
   * open and started; `queue` is below nbRxQueues and stopped. ethdev builds its burst
   * function after the op (if that throws, ethdev calls rxQueueStop and the queue stays
   * stopped). Errors: EIO. Absent: ENOTSUP (all four queue ops go together).
   */
  rxQueueStart?: (port: DriverPort<Priv>, queue: number) => void;
  /** rte_eth_dev_rx_queue_stop: checked as rxQueueStart (the queue started), after its queue object was released. */
  rxQueueStop?: (port: DriverPort<Priv>, queue: number) => void;
  /** rte_eth_dev_tx_queue_start, as rxQueueStart. */
  txQueueStart?: (port: DriverPort<Priv>, queue: number) => void;
  /** rte_eth_dev_tx_queue_stop, as rxQueueStop. */
  txQueueStop?: (port: DriverPort<Priv>, queue: number) => void;
  /**
   * rte_eth_link_get (link_update): the link as it is now; ethdev records it and raises the
   * 'link-state' event when `up` changed. Called at start and stop too. Checked: the port is
   * open. Errors: none — a device it cannot read is a link that is down.
   */
  linkUpdate: (port: DriverPort<Priv>, waitToComplete: boolean) => EthLink | Promise<EthLink>;
  /**
   * Counters the device keeps beyond the per-queue ones (imissed...), added to the stats.
   * Checked: the port is open. Errors: none.
   */
  extraStats?: (port: DriverPort<Priv>) => { imissed?: number; ierrors?: number; oerrors?: number };
  /** rte_eth_stats_reset: zero the device's own counters (ethdev resets the queues'). Errors: none. */
  statsReset?: (port: DriverPort<Priv>) => void;
  /** Driver-specific extended statistics, after the standard ones. Checked: open. Errors: none. */
  xstatsGet?: (port: DriverPort<Priv>) => Xstat[];
  /** Zero them; absent, ethdev remembers the values at reset and subtracts them. Errors: none. */
  xstatsReset?: (port: DriverPort<Priv>) => void;
  /**
   * rte_eth_promiscuous_enable; ethdev sets `port.promiscuous` after it. Checked: the port is
   * open. Errors: EPERM, ENODEV (netdev flags), or the kernel's code. Absent (with its
   * disable): ENOTSUP.
   */
  promiscuousEnable?: (port: DriverPort<Priv>) => Done;
  /** rte_eth_promiscuous_disable, as promiscuousEnable. */
  promiscuousDisable?: (port: DriverPort<Priv>) => Done;
  /** rte_eth_allmulticast_enable, as promiscuousEnable; ethdev sets `port.allMulticast`. */
  allmulticastEnable?: (port: DriverPort<Priv>) => Done;
  /** rte_eth_allmulticast_disable, as promiscuousEnable. */
  allmulticastDisable?: (port: DriverPort<Priv>) => Done;
  /**
   * rte_eth_dev_default_mac_addr_set; ethdev sets `port.mac` after it. Checked: the port is
   * open; `mac` has 6 bytes, is unicast and not all zero. Errors: EPERM, EINVAL (the device
   * refuses the address). Absent: ENOTSUP.
   */
  macAddrSet?: (port: DriverPort<Priv>, mac: Uint8Array) => Done;
  /**
   * rte_eth_dev_set_mtu; ethdev sets `port.mtu` after it. Checked: the port is open; `mtu` is
   * within infoGet's minMtu..maxMtu. Errors: EINVAL (an MTU the queues set up cannot take),
   * EPERM, EBUSY (the device cannot change it while started). Absent: ENOTSUP.
   */
  mtuSet?: (port: DriverPort<Priv>, mtu: number) => Done;
  /**
   * Rx interrupts: the fds that poll readable when rx queue `queue` has packets (a started
   * port's kernel sockets). Checked: the port is open and started; `queue` is below
   * nbRxQueues. Errors: none. Absent: the port has no interrupt mode (ENOTSUP).
   */
  rxQueueIntrFds?: (port: DriverPort<Priv>, queue: number) => number[];
  /** Extra lines for `show port info` (a kernel netdev, split queues...). Errors: none. */
  describe?: (port: DriverPort<Priv>) => string[];
  /** The port's flow rules (rte_flow_ops), if it takes any; absent or undefined: ENOTSUP. */
  flowOps?: (port: DriverPort<Priv>) => FlowOps | undefined;
  /**
   * true: txQueueSetup checks the tx thresholds itself, with its own messages (net_ixgbe:
   * DPDK's ixgbe lines), so ethdev leaves `rsThresh > freeThresh` to it. Absent: ethdev
   * refuses that before the driver is called.
   */
  checksTxThresholds?: true;
}

/** The optional ops (absent: the API call fails with ENOTSUP). */
export type OptionalOp = {
  [K in keyof EthDevOps]-?: undefined extends EthDevOps[K] ? K : never;
}[keyof EthDevOps];
