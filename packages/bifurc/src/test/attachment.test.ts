/**
 * One AF_XDP user per netdev among this process's vdevs: the refusal is one line that names
 * the rival and the fix. Plain device records on a stand-in bus (no kernel).
 */
import test from 'ava';
import { DpkitError } from '@dpkit/eal';
import type { Bus, Device } from '@dpkit/eal/driver';
import { refuseNetdevRival } from '../attachment.js';

function vdevs(...specs: [string, string][]): Device[] {
  const list: Device[] = [];
  const bus = { name: 'vdev', devices: () => list } as Pick<Bus, 'name' | 'devices'>;
  for (const [name, args] of specs) {
    list.push({ name, bus: bus as Bus, devargs: { bus: undefined, name, args, text: `${name},${args}` }, numaNode: 0, driver: undefined, ports: [] });
  }
  return list;
}

test('a bifurc vdev on the netdev of net_af_xdp (or its alias) is refused in one line naming the rival and what to do', (t) => {
  const [afxdp, bifurc] = vdevs(['eth_af_xdp0', 'iface=va'], ['net_bifurc1', 'iface=va']);
  const e = t.throws(() => refuseNetdevRival(bifurc!, 'va'), { instanceOf: DpkitError });
  t.is(`${e.code} ${e.message}`, "EBUSY net_bifurc1: netdev 'va' is used by eth_af_xdp0 as well: a netdev's queues go to one AF_XDP user, a bifurc vdev or net_af_xdp, not both; detach eth_af_xdp0 first (port detach, or drop its --vdev), or use another netdev");
  t.notThrows(() => refuseNetdevRival(afxdp!, 'vb'), 'another netdev: no rival');
});
