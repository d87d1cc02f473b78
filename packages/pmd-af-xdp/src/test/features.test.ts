/**
 * This package's features.ini says what net_af_xdp does: each line checked on a port on a veth
 * pair in a namespace of the checker's own (root only).
 */
import test from 'ava';
import { kernelTest, registerFeatures } from '@dpkit/eal/testing';

registerFeatures(kernelTest(test.serial), new URL('../../features.ini', import.meta.url), {
  module: new URL('../index.js', import.meta.url), vdev: (iface) => `net_af_xdp0,iface=${iface}`,
});
