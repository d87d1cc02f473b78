/** features.ini says what {{driver}} does: each line checked on a real port. */
import test from 'ava';
import { registerFeatures } from '@dpkit/eal/testing';
import { driver } from '../index.js';

registerFeatures(test.serial, new URL('../../features.ini', import.meta.url), { drivers: [driver], vdev: '{{driver}}0' });
