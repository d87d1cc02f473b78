import test from 'ava';
import { ethdevConformance } from '@dpkit/eal/testing';
import { driver } from '../index.js';

for (const c of ethdevConformance({ drivers: [driver], vdev: 'net_ring0', loopback: true, queues: 4 })) {
  test.serial(c.name, async (t) => {
    await c.run();
    t.pass();
  });
}
