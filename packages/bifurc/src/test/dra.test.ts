/**
 * The direct-ring-access API's Linux provider against the kernel, in a namespace of the
 * test's own: what the bifurc bus uses (identity, devargs, split/return) and what a PMD would
 * (map_umem, bind, map/unmap, unbind), with frames through the rings it maps.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const fixture = fileURLToPath(new URL('./fixtures/dra-netns.js', import.meta.url));
const real = kernelTest(test.serial);

real('direct ring access on Linux: identity, devargs, split/return, map_umem, bind/map carry frames', async (t) => {
  await withVethPair((p) => {
    const out = JSON.parse(p.exec(process.execPath, [fixture, p.a, p.b], 30_000)) as Record<string, any>;
    t.is(out.info.name, 'va');
    t.true(out.info.virtual, 'veth has no PCI device: the documented virtual identity');
    t.is(out.info.vendor, 0);
    t.is(out.info.device, 1);
    t.regex(out.info.address, /^ffff:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
    t.is(out.info.driver, 'veth');
    t.is(out.devargs, 'iface=va,qpairs=1');
    t.deepEqual(out.split, [0]);
    t.is(out.splitAgain, 'EBUSY', 'a queue is split once');
    t.is(out.splitAgainLine, 'dra-c: va queue 0 is split off by dra-a of this process (one user per queue): stop that port, or split other queues (start_queue=/qoff=)');
    t.is(out.bindUnsplit, 'dra-a: va queue 1 is not split off (splitQueuePairs first)', 'bind takes only a queue split by this process');
    t.is(out.splitAbsent, 'EINVAL', 'a queue the netdev lacks');
    t.not(out.umemHeap, 'ok', 'heap memory cannot be UMEM');
    t.is(out.received, 100, 'every frame through the bound, mapped rings');
    t.is(out.splitAfterReturn, 'ok', 'returned queues can be split again');
  });
});
