/**
 * @dpkit/dumpcap — dpkit-dumpcap as a library: the argument parser, the capture and the
 * pcapng block writers.
 */
export { dumpcapUsage, parseDumpcapArgs, type DumpcapOptions } from './args.js';
export { dumpcap, type Print } from './dumpcap.js';
export { INBOUND, OUTBOUND, enhancedPacket, interfaceDescription, interfaceStatistics, sectionHeader, type InterfaceDescription } from './pcapng.js';
