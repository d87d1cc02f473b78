import test from 'ava';
import { ethdevConformance, registerConformance } from '@dpkit/eal/testing';
import { driver } from '../index.js';

registerConformance(test.serial, ethdevConformance({ drivers: [driver], vdev: 'net_ring0', loopback: true, queues: 4 }));
