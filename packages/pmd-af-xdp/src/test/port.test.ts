/**
 * net_af_xdp against the kernel, each case in a namespace of its own (fixtures/port-netns.ts):
 * the netdev's promiscuous and all-multicast flags are given back at stop; a netdev MTU the rx
 * buffers cannot take is refused at start (and one they can take delivers its frames intact);
 * XDP attach refusals and oversized pools get their cause and fix in one line.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { withVethPair } from '@dpkit/eal/linux';
import { kernelTest } from '@dpkit/eal/testing';

const fixture = fileURLToPath(new URL('./fixtures/port-netns.js', import.meta.url));
const real = kernelTest(test.serial);

const run = (scenario: string, mode: string) =>
  withVethPair((p) => JSON.parse(p.exec(process.execPath, [fixture, scenario, p.a, p.b, mode], 60_000)));

const PROMISC = 0x100;
const ALLMULTI = 0x200;

real('promiscuous and all-multicast go on the netdev while the port is started and back off at stop and close', async (t) => {
  const r = await run('promisc', 'drv');
  t.is(r.before, 0, 'the netdev starts with neither');
  t.is(r.started, PROMISC | ALLMULTI, 'the started port put both on the netdev');
  t.is(r.stopped, 0, 'stop gave the netdev its flags back');
  t.deepEqual(r.portAfterStop, { promiscuous: true, allMulticast: true }, 'the port keeps its own modes for the next start');
  t.is(r.switchedOff, ALLMULTI, 'promiscuous off while started goes to the netdev at once');
  t.is(r.othersKept, ALLMULTI, 'all-multicast set by someone else while the port ran stays after stop');
  t.is(r.closed, 0, 'after the runs and close: off again');
});

for (const mode of ['drv', 'skb']) {
  real(`MTU 3000 (XDP ${mode} mode): 2048-byte buffers are refused at start in one line; 4096-byte buffers receive 2000-byte frames intact`, async (t) => {
    const r = await run('mtu', mode);
    t.is(r.refused.maxMtu, 1774, 'max MTU from a 2048-byte pool');
    t.is(r.refused.error, "net_af_xdp0: va has MTU 3000, but rx pool 'small' (2048-byte buffers) takes frames up to 1792 bytes, MTU 1774 at most: lower it (ip link set va mtu 1774) or use an rx pool of 4096-byte buffers");
    t.false(r.refused.started);
    t.deepEqual(r.received, { maxMtu: 3822, accepted: 24, received: 24, intact: 24, rxDropped: 0, copies: 16 },
      'every frame back, byte for byte (8 from the UMEM pool, 16 copied from another pool, 8 of them chains)');
  });
}

for (const mode of ['drv', 'skb']) {
  real(`fix_csum (XDP ${mode} mode): the rx variant is chosen at queue creation; =1 completes partial UDP checksums, =0 leaves frames as they came`, async (t) => {
    const r = await run('csum', mode);
    t.deepEqual(r['fix_csum=0'], { variant: 'XdpRx', received: 16, unchanged: 16, valid: 0 });
    t.deepEqual(r['fix_csum=1'], { variant: 'XdpRxFixCsum', received: 16, unchanged: 0, valid: 16 });
  });
}

real('tx of another pool\'s mbufs (copied into the UMEM, one native copy per burst) collects no garbage', async (t) => {
  const r = await run('copy-gc', 'drv');
  const { youngBytes, ...rest } = r;
  t.deepEqual(rest, { sent: 200_000, gcs: 0, copiedAll: true });
  // 6250 bursts: an object per burst is over 100 kB, per packet megabytes; the loop's own
  // Date.now() calls and V8's accounting come to about a kilobyte
  t.true(youngBytes < 16_384, `${youngBytes} bytes allocated in the young generation during the measured loop`);
});

real('a second port of the process on a split netdev is refused at start in one line, and starts once the first stops', async (t) => {
  const r = await run('two-ports', 'drv');
  t.deepEqual(r, {
    error: 'net_af_xdp1: va is already split off the kernel by port net_af_xdp0 of this process (one XDP program per netdev): stop that port, or use one port with more queues',
    secondStarted: true,
  });
});

real('an MTU raised on the netdev under a started port: link queries warn once, naming the limit and the counter', async (t) => {
  const r = await run('mtu-raised', 'drv');
  t.is(r.before, 0, 'no warning at MTU 1500');
  t.deepEqual(r.lines, [
    "AF_XDP: net_af_xdp0: va now has MTU 3000, but rx pool 'p' (2048-byte buffers) takes frames up to 1792 bytes, MTU 1774 at most: lower it (ip link set va mtu 1774) or use an rx pool of 4096-byte buffers; until then every longer frame steered to it is dropped, counted in rx_q0_xsk_rx_dropped",
  ]);
});

real('iface=lo in drv mode: one line with the cause and mode=skb', async (t) => {
  const r = await run('lo-drv', 'drv');
  t.is(r.error, 'net_af_xdp0: lo has no native XDP (its driver does not run XDP programs); use mode=skb');
  t.is(r.code, 'EOPNOTSUPP');
});

real("a veth peer's MTU too large for native XDP: one line with the cause and the fixes", async (t) => {
  const r = await run('peer-mtu', 'drv');
  t.is(r.error, "net_af_xdp0: va's driver refuses native XDP at this MTU (its own, or its veth peer's, is too large for XDP without multi-buffer): lower the MTU or use mode=skb");
  t.is(r.code, 'ERANGE');
});

real('an rx pool with more than 4 GiB of buffers is refused at rx queue setup; exactly 4 GiB is taken', async (t) => {
  const r = await run('umem', 'drv');
  t.is(r.over, "net_af_xdp0: rx pool 'pool1048577' has 1048577 mbufs of 4096 bytes, 4294971392 bytes of UMEM; net_af_xdp addresses at most 4 GiB (4294967296 bytes): create the pool with at most 1048576 mbufs");
  t.is(r.exact, null);
});
