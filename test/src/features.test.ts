/**
 * Each PMD's features.ini must say what the driver does, checked with the published checker
 * (@dpkit/eal/testing: registerFeatures): every line is compared with what a port was seen to
 * do (modes and MTU set and read back — from the kernel for drivers on a netdev —, packets
 * sent and counted per port, per queue and in xstats, link up after start and down after
 * stop, queues stopped and started), and a feature the driver lacks the op for is N. A line
 * nothing observes fails, and so does a feature observed but left out. The drivers on netdevs
 * are observed on a veth pair in a namespace of the checker's own (root only). Each PMD
 * package runs the same check in its own suite; this one keeps the whole matrix in one place.
 */
import test from 'ava';
import { kernelTest, registerFeatures } from '@dpkit/eal/testing';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { driver as ringDriver } from '@dpkit/pmd-ring';

const ini = (pkg: string) => new URL(`../../packages/${pkg}/features.ini`, import.meta.url);

registerFeatures(test.serial, ini('pmd-null'), { drivers: [nullDriver], vdev: 'net_null0' });
registerFeatures(test.serial, ini('pmd-ring'), { drivers: [ringDriver], vdev: 'net_ring0' });
registerFeatures(kernelTest(test.serial), ini('pmd-af-xdp'), { module: import.meta.resolve('@dpkit/pmd-af-xdp'), vdev: (iface) => `net_af_xdp0,iface=${iface}` });
registerFeatures(kernelTest(test.serial), ini('pmd-af-packet'), { module: import.meta.resolve('@dpkit/pmd-af-packet'), vdev: (iface) => `net_af_packet0,iface=${iface}` });
