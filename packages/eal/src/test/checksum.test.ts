import test from 'ava';
import { fixPartialL4Checksum, l4ChecksumValid, sum16 } from '../net/checksum.js';

/** An Ethernet + IPv4 + UDP/TCP frame with a partial checksum, as a Linux sender with offload leaves it. */
function frame(proto: 6 | 17, payload: number[], vlan = false): Uint8Array {
  const l4h = proto === 17 ? 8 : 20;
  const l4len = l4h + payload.length;
  const eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...(vlan ? [0x81, 0, 0, 5] : []), 0x08, 0x00];
  const ip = [0x45, 0, 0, 20 + l4len, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 9, 0, 2, 10, 9, 0, 1];
  const l4 = proto === 17
    ? [0xa5, 0x3f, 0x1e, 0x61, 0, l4len, 0, 0]
    : [0xa5, 0x3f, 0x1e, 0x61, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
  const b = Uint8Array.from([...eth, ...ip, ...l4, ...payload]);
  const ipAt = eth.length;
  const pseudo = sum16(b, ipAt + 12, ipAt + 20) + proto + l4len;
  let s = pseudo;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const field = ipAt + 20 + (proto === 17 ? 6 : 16);
  b[field] = s >>> 8;
  b[field + 1] = s & 0xff;
  return b;
}

test('partial UDP and TCP checksums are completed; the result verifies', (t) => {
  for (const proto of [17, 6] as const) {
    for (const vlan of [false, true]) {
      const b = frame(proto, [0x70, 0x69, 0x6e, 0x67, 0x20, 0x30, 0x31], vlan);
      const ip = vlan ? 18 : 14;
      t.false(l4ChecksumValid(b, ip), 'partial before');
      t.true(fixPartialL4Checksum(b, 0, b.length));
      t.true(l4ChecksumValid(b, ip), `valid after (proto ${proto}, vlan ${vlan})`);
      t.false(fixPartialL4Checksum(b, 0, b.length), 'a complete checksum is left alone');
    }
  }
});

test('a frame captured on veth (10.9.0.2:44343 > 10.9.0.1:7777 "ping 0"): partial 0x1434 becomes 0x2124', (t) => {
  const b = frame(17, [...Buffer.from('ping 0')]);
  b[34] = 0xad; // source port 44343, as captured
  b[35] = 0x37;
  t.is((b[40]! << 8) | b[41]!, 0x1434);
  fixPartialL4Checksum(b, 0, b.length);
  t.is((b[40]! << 8) | b[41]!, 0x2124, 'what tcpdump computes for the same packet');
});

/**
 * `frame` at offset `at` of a larger buffer whose other bytes are 0xee, seen through a proxy
 * that records every index read or written: what the function touches outside
 * [at, at + len) is seen, whatever it would have done with it.
 */
function watched(frameBytes: Uint8Array, at: number, len: number) {
  const raw = new Uint8Array(at + frameBytes.length + 64).fill(0xee);
  raw.set(frameBytes, at);
  const outside: number[] = [];
  const touch = (k: string | symbol) => {
    if (typeof k === 'string' && /^\d+$/.test(k)) {
      const i = Number(k);
      if (i < at || i >= at + len) outside.push(i);
    }
  };
  const b = new Proxy(raw, {
    get(target, k) {
      touch(k);
      const v = Reflect.get(target, k, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    set(target, k, v) {
      touch(k);
      return Reflect.set(target, k, v, target);
    },
  });
  return { b, raw, outside };
}

test('malformed or other packets are left alone and nothing is read past the end', (t) => {
  for (const good of [frame(17, [1, 2, 3, 4]), frame(17, [1, 2, 3], true), frame(6, [5, 6, 7, 8, 9])]) for (const at of [0, 7]) {
    for (let cut = 0; cut < good.length; cut++) {
      const w = watched(good, at, cut);
      t.false(fixPartialL4Checksum(w.b, at, cut), `truncated to ${cut} at ${at}`);
      t.deepEqual(w.outside, [], `truncated to ${cut} at ${at}: nothing outside [${at}, ${at + cut}) is touched`);
      t.deepEqual(w.raw.subarray(at, at + good.length), good, 'the frame is unchanged');
    }
    // the whole frame: completed, and still nothing outside it touched
    const w = watched(good, at, good.length);
    t.true(fixPartialL4Checksum(w.b, at, good.length));
    t.deepEqual(w.outside, [], `whole frame at ${at}: nothing outside it is touched`);
  }
  const frag = frame(17, [1, 2, 3, 4]);
  frag[20] = 0x20; // MF
  t.false(fixPartialL4Checksum(frag, 0, frag.length), 'fragment');
  const noCsum = frame(17, [1, 2]);
  noCsum[40] = 0;
  noCsum[41] = 0;
  t.false(fixPartialL4Checksum(noCsum, 0, noCsum.length), 'UDP without checksum');
  const icmp = frame(17, [1, 2]);
  icmp[23] = 1;
  t.false(fixPartialL4Checksum(icmp, 0, icmp.length), 'not TCP/UDP');
  const arp = frame(17, [1, 2]);
  arp[12] = 0x08;
  arp[13] = 0x06;
  t.false(fixPartialL4Checksum(arp, 0, arp.length), 'not IP');
});
