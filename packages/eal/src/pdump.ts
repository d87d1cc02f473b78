/**
 * @dpkit/eal/pdump — packet capture (DPDK's rte_pdump): `Pdump` on the application side (the
 * capture region and its socket), `PdumpTap` for the queue wrappers on forwarding lcores, and
 * `PdumpClient`/`PdumpReader` for a capturing process such as dpkit-dumpcap. Needs the Linux
 * addon (the region is a memfd).
 */
export { Pdump, PDUMP_SOCKET, type PdumpEnable, type PdumpOptions, type PdumpPortInfo } from './pdump/server.js';
export { PdumpTap } from './pdump/tap.js';
export { PdumpClient, PdumpReader, type PdumpRecord, type PdumpSession } from './pdump/client.js';
export { DEFAULT_RECORDS, DEFAULT_RING_BYTES, DEFAULT_SNAPLEN, DIR_IN, DIR_OUT, type PdumpDescriptor } from './pdump/layout.js';
