/** Types of the ethdev application API (rte_ethdev.h). */

export const MAX_ETHPORTS = 32;
export const ETHER_MTU = 1500;

export interface EthLink {
  /** Mbps (RTE_ETH_SPEED_NUM_*), 0 when unknown */
  speed: number;
  duplex: 'full' | 'half';
  autoneg: boolean;
  up: boolean;
}

export interface DescLimits {
  max: number;
  min: number;
  align: number;
}

export interface DevInfo {
  driverName: string;
  /** the kernel netdev name, for PMDs that sit on one */
  ifName: string | undefined;
  minMtu: number;
  maxMtu: number;
  maxRxPktLen: number;
  minRxBufSize: number;
  maxRxQueues: number;
  maxTxQueues: number;
  maxMacAddrs: number;
  rxOffloadCapa: number;
  txOffloadCapa: number;
  flowTypeRssOffloads: number;
  rxDescLimits: DescLimits;
  txDescLimits: DescLimits;
  speedCapa: number;
  devCapa: number;
  firmwareVersion: string | undefined;
  /** what the port's rx mempools must be like (AF_XDP registers them as UMEM), if anything */
  rxPoolNeeds: RxPoolNeeds | undefined;
}

/**
 * Constraints on the mempools a port receives into. ethdev checks them at rx queue setup;
 * applications that create pools for ports (testpmd) read them first.
 */
export interface RxPoolNeeds {
  /** memory kind the pool must be in */
  memory?: 'memfd';
  /** allowed buffer sizes (dataRoomSize, headroom included) */
  bufSizes?: readonly number[];
  /** why, for the error message */
  why: string;
}

/** Does `pool` meet `needs` (undefined needs: any pool does)? */
export function rxPoolFits(needs: RxPoolNeeds | undefined, pool: { region: { kind: string }; eltSize: number }): boolean {
  return !needs || ((!needs.memory || pool.region.kind === needs.memory) && (!needs.bufSizes || needs.bufSizes.includes(pool.eltSize)));
}

export interface RxMode {
  offloads?: number;
  mtu?: number;
}

export interface EthConf {
  rxmode?: RxMode;
  txmode?: { offloads?: number };
  rss?: { hashFunctions: number; key?: Uint8Array };
  /** ask for link-state-change events (needs a driver flagged INTR_LSC) */
  lsc?: boolean;
}

export interface RxConf {
  /** rx_free_thresh: descriptors to refill at a time */
  freeThresh?: number;
  offloads?: number;
  /** drop packets when no descriptors are free */
  drop?: boolean;
  /** do not start with the port: start with rxQueueStart */
  deferredStart?: boolean;
}

export interface TxConf {
  /** tx_free_thresh: free transmitted mbufs when fewer descriptors than this are free */
  freeThresh?: number;
  /** tx_rs_thresh: set the report-status bit every this many descriptors */
  rsThresh?: number;
  offloads?: number;
  deferredStart?: boolean;
}

export interface EthStats {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  /** dropped by the device for lack of room (RX-missed) */
  imissed: number;
  ierrors: number;
  oerrors: number;
  /** rx mbuf allocation failures (RX-nombuf) */
  rxNombuf: number;
  qIpackets: number[];
  qOpackets: number[];
  qIbytes: number[];
  qObytes: number[];
  qErrors: number[];
}

export interface Xstat {
  name: string;
  value: number;
}

export type QueueState = 'stopped' | 'started';

/** Typed ethdev events (control path only). */
export interface EthDevEvents {
  'link-state': [port: number, up: boolean];
}

export interface EthDevRegistryEvents {
  /** RTE_ETH_EVENT_NEW */
  new: [port: number];
  /** RTE_ETH_EVENT_DESTROY */
  destroy: [port: number];
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export function parseMac(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) return undefined;
  return Uint8Array.from(text.split(':').map((x) => parseInt(x, 16)));
}
