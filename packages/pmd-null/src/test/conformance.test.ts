import test from 'ava';
import { ethdevConformance } from '@dpkit/eal/testing';
import { driver } from '../index.js';

for (const c of ethdevConformance({ drivers: [driver], vdev: 'net_null0', rxGenerates: true })) {
  test.serial(c.name, async (t) => {
    await c.run();
    t.pass();
  });
}

for (const c of ethdevConformance({ drivers: [driver], vdev: 'net_null1,copy=1,size=128', rxGenerates: true, queues: 1 })) {
  test.serial(c.name, async (t) => {
    await c.run();
    t.pass();
  });
}
