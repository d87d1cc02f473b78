/** This package's features.ini says what net_ring does: each line checked on a real port. */
import test from 'ava';
import { registerFeatures } from '@dpkit/eal/testing';
import { driver } from '../index.js';

registerFeatures(test.serial, new URL('../../features.ini', import.meta.url), { drivers: [driver], vdev: 'net_ring0' });
