/**
 * The control-path ops table a PMD implements (eth_dev_ops in ethdev_driver.h). The ethdev
 * layer checks arguments and port state before calling an op, so ops only do the device's
 * part. Optional ops that are absent make the matching API call fail with ENOTSUP.
 */
import type { Mempool } from '../mbuf/mempool.js';
import type { DevInfo, EthLink, RxConf, TxConf, Xstat } from './types.js';
import type { EthDev } from './ethdev.js';
import type { FlowOps } from '../flow/flow.js';

export interface EthDevOps {
  /** Device limits and capabilities; ethdev fills in defaults for what is left out. */
  infoGet(dev: EthDev): Partial<DevInfo>;
  /** Apply `dev.conf` and the queue counts (dev.nbRxQueues, dev.nbTxQueues). */
  configure(dev: EthDev): void | Promise<void>;
  start(dev: EthDev): void | Promise<void>;
  stop(dev: EthDev): void | Promise<void>;
  close(dev: EthDev): void | Promise<void>;
  /** Back to the state after probe; the app configures again. */
  reset?(dev: EthDev): void | Promise<void>;
  /** Sets up rx queue `queue`; returns the driver's part of its QueueDescriptor (`data`). */
  rxQueueSetup(dev: EthDev, queue: number, nbDesc: number, socket: number, conf: RxConf, pool: Mempool): unknown;
  txQueueSetup(dev: EthDev, queue: number, nbDesc: number, socket: number, conf: TxConf): unknown;
  rxQueueRelease?(dev: EthDev, queue: number): void;
  txQueueRelease?(dev: EthDev, queue: number): void;
  rxQueueStart?(dev: EthDev, queue: number): void;
  rxQueueStop?(dev: EthDev, queue: number): void;
  txQueueStart?(dev: EthDev, queue: number): void;
  txQueueStop?(dev: EthDev, queue: number): void;
  /** The link as it is now. */
  linkUpdate(dev: EthDev, waitToComplete: boolean): EthLink | Promise<EthLink>;
  /** Counters the device keeps beyond the per-queue ones (imissed...), added to the stats. */
  extraStats?(dev: EthDev): { imissed?: number; ierrors?: number; oerrors?: number };
  statsReset?(dev: EthDev): void;
  /** Driver-specific extended statistics, after the standard ones. */
  xstatsGet?(dev: EthDev): Xstat[];
  xstatsReset?(dev: EthDev): void;
  promiscuousEnable?(dev: EthDev): void | Promise<void>;
  promiscuousDisable?(dev: EthDev): void | Promise<void>;
  allmulticastEnable?(dev: EthDev): void | Promise<void>;
  allmulticastDisable?(dev: EthDev): void | Promise<void>;
  macAddrSet?(dev: EthDev, mac: Uint8Array): void | Promise<void>;
  mtuSet?(dev: EthDev, mtu: number): void | Promise<void>;
  /**
   * Rx interrupts: the fds that poll readable when rx queue `queue` has packets (a started
   * port's kernel sockets). Without this op the port has no interrupt mode.
   */
  rxQueueIntrFds?(dev: EthDev, queue: number): number[];
  /** Extra lines for `show port info` (a kernel netdev, split queues...). */
  describe?(dev: EthDev): string[];
  /** The port's flow rules (rte_flow_ops), if it takes any. */
  flowOps?(dev: EthDev): FlowOps | undefined;
}
