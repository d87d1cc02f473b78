/** The ethdev contract, checked on a port of this driver (@dpkit/eal/testing). */
import test from 'ava';
import { ethdevConformance, registerConformance } from '@dpkit/eal/testing';
import { driver } from '../index.js';

registerConformance(test.serial, ethdevConformance({ drivers: [driver], vdev: '{{driver}}0', loopback: true }));
