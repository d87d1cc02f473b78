import test from 'ava';
import { ethdevConformance, registerConformance } from '@dpkit/eal/testing';
import { driver } from '../index.js';

registerConformance(test.serial, ethdevConformance({ drivers: [driver], vdev: 'net_null0', rxGenerates: true }));
registerConformance(test.serial, ethdevConformance({ drivers: [driver], vdev: 'net_null1,copy=1,size=128', rxGenerates: true, queues: 1 }));
