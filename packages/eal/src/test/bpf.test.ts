import test from 'ava';
import { BpfAsm, BpfMap, MapType, R0, R1, R2, R3, XdpAction, XdpMd, loadXdpProgram, testRun } from '../linux/bpf.js';
import { linux } from '../linux/native.js';
import { DpkitError } from '../errors.js';
import { kernelTest } from '../testing.js';

const kernel = kernelTest(test.serial);

/** Ethernet + IPv4 + UDP to `dport`, `len` bytes. */
function udpPacket(dport: number, len = 64): Uint8Array {
  const p = new Uint8Array(len);
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  p[14] = 0x45;
  p[23] = 17;
  p[14 + 20 + 2] = dport >> 8;
  p[14 + 20 + 3] = dport & 0xff;
  return p;
}

/** drop UDP/IPv4 to port 9, pass the rest; bounds-checked as the verifier demands */
function dropUdp9(): BpfAsm {
  return new BpfAsm()
    .load(4, R2, R1, XdpMd.data)
    .load(4, R3, R1, XdpMd.dataEnd)
    .mov(R0, XdpAction.PASS)
    .movReg(R1, R2)
    .alu('add', R1, 38)
    .jmpReg('jgt', R1, R3, 'out') // too short: pass
    .load(2, R1, R2, 12)
    .jmp('jne', R1, 0x0008, 'out') // ethertype 0x0800, read little-endian
    .load(1, R1, R2, 23)
    .jmp('jne', R1, 17, 'out')
    .load(2, R1, R2, 36)
    .jmp('jne', R1, 0x0900, 'out') // port 9, big-endian in memory
    .mov(R0, XdpAction.DROP)
    .label('out')
    .exit();
}

kernel('an assembled XDP program loads and decides on crafted packets (BPF_PROG_TEST_RUN)', (t) => {
  const fd = loadXdpProgram(dropUdp9(), 'dpkit_test');
  try {
    t.is(testRun(fd, udpPacket(9)).retval, XdpAction.DROP);
    t.is(testRun(fd, udpPacket(53)).retval, XdpAction.PASS);
    t.is(testRun(fd, udpPacket(9).subarray(0, 30)).retval, XdpAction.PASS, 'truncated: pass');
    const arp = udpPacket(9);
    arp[12] = 0x08; arp[13] = 0x06;
    t.is(testRun(fd, arp).retval, XdpAction.PASS);
  } finally {
    linux().close(fd);
  }
});

kernel('a program the verifier rejects is one line with its reason', (t) => {
  const bad = new BpfAsm().load(4, R2, R1, XdpMd.data).load(1, R0, R2, 0).exit(); // unchecked packet read
  const e = t.throws(() => loadXdpProgram(bad, 'dpkit_bad'), { instanceOf: DpkitError });
  t.regex(e!.message, /the kernel refused XDP program 'dpkit_bad'.*verifier:/);
  t.false(e!.message.includes('\n'));
});

kernel('maps: update, lookup, delete', (t) => {
  const m = new BpfMap(MapType.HASH, 4, 8, 16, 'dpkit_t');
  try {
    const k = new Uint8Array([1, 2, 3, 4]);
    t.is(m.lookup(k), undefined);
    m.update(k, new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0]));
    t.is(m.lookup(k)![0], 9);
    t.true(m.delete(k));
    t.false(m.delete(k));
  } finally {
    m.close();
  }
});

test('assembler: labels resolve, unknown labels are errors', (t) => {
  const code = new BpfAsm().mov(R0, 2).goto('x').mov(R0, 1).label('x').exit().assemble();
  t.is(code.length, 32);
  t.is(new DataView(code.buffer).getInt16(8 + 2, true), 1, 'jump over one instruction');
  t.throws(() => new BpfAsm().goto('nowhere').assemble(), { message: /undefined label 'nowhere'/ });
});
