/**
 * eBPF for XDP, without clang: a small assembler (instructions, registers, labels) and thin
 * wrappers over the bpf(2) calls of the addon (maps, program load with the verifier's log,
 * XDP links, BPF_PROG_TEST_RUN). Encodings from linux/bpf.h.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { DpkitError } from '../errors.js';
import { kernelError, linux } from './native.js';

// instruction classes, sizes, modes, ops
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07;
const W = 0x00, H = 0x08, B = 0x10, DW = 0x18;
const IMM = 0x00, MEM = 0x60, ATOMIC = 0xc0;
const K = 0x00, X = 0x08;
const END = 0xd0, TO_BE = 0x08;
export const AluOp = { add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 } as const;
export const JmpOp = { ja: 0x00, jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0 } as const;
const CALL = 0x80, EXIT = 0x90;
const PSEUDO_MAP_FD = 1;

export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
export const R0: Reg = 0, R1: Reg = 1, R2: Reg = 2, R3: Reg = 3, R4: Reg = 4, R5: Reg = 5;
export const R6: Reg = 6, R7: Reg = 7, R8: Reg = 8, R9: Reg = 9, FP: Reg = 10;
export type Size = 1 | 2 | 4 | 8;

/** Helper function ids (enum bpf_func_id). */
export const Helper = { mapLookupElem: 1, mapUpdateElem: 2, mapDeleteElem: 3, ktimeGetNs: 5, redirectMap: 51, xdpGetBuffLen: 188 } as const;
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
/** struct xdp_md field offsets */
export const XdpMd = { data: 0, dataEnd: 4, dataMeta: 8, ingressIfindex: 12, rxQueueIndex: 16 } as const;
export const MapType = { HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_HASH: 9, LRU_PERCPU_HASH: 10, XSKMAP: 17 } as const;
const PER_CPU_TYPES: ReadonlySet<number> = new Set([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);

let possible: number | undefined;
/** How many CPUs the kernel may bring up (/sys/devices/system/cpu/possible): a per-CPU map
 * holds one value for each. */
export function possibleCpuCount(): number {
  if (possible === undefined) {
    let n = 0;
    try {
      for (const part of readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')) {
        const [a, b] = part.split('-').map(Number);
        n = Math.max(n, (b ?? a!) + 1);
      }
    } catch {
      n = cpus().length;
    }
    possible = Math.max(n, 1);
  }
  return possible;
}
export const ProgType = { XDP: 6 } as const;
export const AttachType = { XDP: 37 } as const;
export const XdpFlags = { SKB_MODE: 1 << 1, DRV_MODE: 1 << 2 } as const;
export const MapUpdate = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

const SIZE: Record<Size, number> = { 1: B, 2: H, 4: W, 8: DW };

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** jump target label, resolved at assemble() */
  target?: string;
}

/** Builds an eBPF program instruction by instruction; jumps name labels. */
export class BpfAsm {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();

  private emit(code: number, dst: number, src: number, off: number, imm: number, target?: string): this {
    this.insns.push({ code, dst, src, off, imm: imm | 0, ...(target === undefined ? {} : { target }) });
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new DpkitError(`BPF assembler: label '${name}' defined twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  /** dst = imm (64-bit) */
  mov(dst: Reg, imm: number): this { return this.emit(ALU64 | AluOp.mov | K, dst, 0, 0, imm); }
  /** dst = src (64-bit) */
  movReg(dst: Reg, src: Reg): this { return this.emit(ALU64 | AluOp.mov | X, dst, src, 0, 0); }
  /** dst op= imm (64-bit) */
  alu(op: keyof typeof AluOp, dst: Reg, imm: number): this { return this.emit(ALU64 | AluOp[op] | K, dst, 0, 0, imm); }
  /** dst op= src (64-bit) */
  aluReg(op: keyof typeof AluOp, dst: Reg, src: Reg): this { return this.emit(ALU64 | AluOp[op] | X, dst, src, 0, 0); }
  /** dst op= imm (32-bit, zero-extends) */
  alu32(op: keyof typeof AluOp, dst: Reg, imm: number): this { return this.emit(ALU | AluOp[op] | K, dst, 0, 0, imm); }
  /** dst = big-endian conversion of its low `bits` bits (htons/htonl on this host) */
  toBe(dst: Reg, bits: 16 | 32 | 64): this { return this.emit(ALU | END | TO_BE, dst, 0, 0, bits); }
  /** dst = *(size *)(src + off) */
  load(size: Size, dst: Reg, src: Reg, off: number): this { return this.emit(LDX | MEM | SIZE[size], dst, src, off, 0); }
  /** *(size *)(dst + off) = src */
  store(size: Size, dst: Reg, off: number, src: Reg): this { return this.emit(STX | MEM | SIZE[size], dst, src, off, 0); }
  /** *(size *)(dst + off) = imm */
  storeImm(size: Size, dst: Reg, off: number, imm: number): this { return this.emit(ST | MEM | SIZE[size], dst, 0, off, imm); }
  /** lock *(u64 *)(dst + off) += src */
  atomicAdd64(dst: Reg, off: number, src: Reg): this { return this.emit(STX | ATOMIC | DW, dst, src, off, AluOp.add); }
  /** dst = map (ld_imm64 with BPF_PSEUDO_MAP_FD), two instruction slots */
  loadMap(dst: Reg, mapFd: number): this {
    this.emit(LD | DW | IMM, dst, PSEUDO_MAP_FD, 0, mapFd);
    return this.emit(0, 0, 0, 0, 0);
  }
  /** if (dst op imm) goto label (64-bit compare) */
  jmp(op: Exclude<keyof typeof JmpOp, 'ja'>, dst: Reg, imm: number, label: string): this { return this.emit(JMP | JmpOp[op] | K, dst, 0, 0, imm, label); }
  /** if (dst op src) goto label */
  jmpReg(op: Exclude<keyof typeof JmpOp, 'ja'>, dst: Reg, src: Reg, label: string): this { return this.emit(JMP | JmpOp[op] | X, dst, src, 0, 0, label); }
  /** if ((u32)dst op imm) goto label */
  jmp32(op: Exclude<keyof typeof JmpOp, 'ja'>, dst: Reg, imm: number, label: string): this { return this.emit(JMP32 | JmpOp[op] | K, dst, 0, 0, imm, label); }
  goto(label: string): this { return this.emit(JMP | JmpOp.ja, 0, 0, 0, 0, label); }
  call(helper: number): this { return this.emit(JMP | CALL, 0, 0, 0, helper); }
  exit(): this { return this.emit(JMP | EXIT, 0, 0, 0, 0); }

  get length(): number {
    return this.insns.length;
  }

  /** The program as struct bpf_insn[] bytes. */
  assemble(): Uint8Array {
    const out = new Uint8Array(this.insns.length * 8);
    const view = new DataView(out.buffer);
    this.insns.forEach((ins, i) => {
      let off = ins.off;
      if (ins.target !== undefined) {
        const at = this.labels.get(ins.target);
        if (at === undefined) throw new DpkitError(`BPF assembler: undefined label '${ins.target}'`);
        off = at - i - 1;
        if (off < -32768 || off > 32767) throw new DpkitError(`BPF assembler: jump to '${ins.target}' is too far`);
      }
      view.setUint8(i * 8, ins.code);
      view.setUint8(i * 8 + 1, (ins.src << 4) | ins.dst);
      view.setInt16(i * 8 + 2, off, true);
      view.setInt32(i * 8 + 4, ins.imm, true);
    });
    return out;
  }
}

/**
 * A BPF map owned by this process (closed with close()). In a per-CPU map each key holds one
 * value per possible CPU (each rounded up to 8 bytes): `valueBytes` is what lookup and update
 * move; `sum64` adds the CPUs' copies up.
 */
export class BpfMap {
  readonly fd: number;
  readonly perCpu: boolean;
  /** bytes of one key's value as user space reads and writes it */
  readonly valueBytes: number;

  constructor(
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly name: string,
    flags = 0,
  ) {
    this.perCpu = PER_CPU_TYPES.has(type);
    this.valueBytes = this.perCpu ? ((valueSize + 7) & ~7) * possibleCpuCount() : valueSize;
    try {
      this.fd = linux('BPF maps').bpfMapCreate(type, keySize, valueSize, maxEntries, flags, name);
    } catch (err) {
      throw kernelError(err, `cannot create BPF map '${name}'`);
    }
  }

  update(key: Uint8Array, value: Uint8Array, flags: number = MapUpdate.ANY): void {
    linux().bpfMapUpdate(this.fd, key, value, flags);
  }

  lookup(key: Uint8Array, out: Uint8Array = new Uint8Array(this.valueBytes)): Uint8Array | undefined {
    return linux().bpfMapLookup(this.fd, key, out) ? out : undefined;
  }

  /** The value's u64 words, each summed over the CPUs in a per-CPU map; undefined if absent. */
  sum64(key: Uint8Array): number[] | undefined {
    const v = this.lookup(key);
    if (!v) return undefined;
    const words = new BigUint64Array(v.buffer, v.byteOffset, v.byteLength / 8);
    const per = this.perCpu ? ((this.valueSize + 7) & ~7) / 8 : this.valueSize / 8;
    const out = new Array<number>(Math.floor(per)).fill(0);
    for (let i = 0; i < words.length; i++) out[i % per]! += Number(words[i]);
    return out;
  }

  delete(key: Uint8Array): boolean {
    return linux().bpfMapDelete(this.fd, key);
  }

  close(): void {
    linux().close(this.fd);
  }
}

/** Loads an XDP program; a rejection is one line with the verifier's last words. */
export function loadXdpProgram(asm: BpfAsm, name: string): number {
  try {
    return linux('XDP programs').bpfProgLoad(ProgType.XDP, asm.assemble(), 'GPL', name, AttachType.XDP);
  } catch (err) {
    const log = String((err as { log?: string }).log ?? '').trim().split('\n').filter(Boolean);
    const why = log.length ? ` (verifier: ${log.slice(-2).join(' / ')})` : '';
    throw kernelError(err, `the kernel refused XDP program '${name}'${why}`);
  }
}

/** Attaches an XDP program to a netdev through a BPF link: it detaches when the link's last
 * fd closes, so a process that dies gives the netdev's traffic back to the kernel. */
export function attachXdp(progFd: number, ifindex: number, mode: 'drv' | 'skb'): number {
  try {
    return linux('XDP').bpfLinkCreate(progFd, ifindex, AttachType.XDP, mode === 'skb' ? XdpFlags.SKB_MODE : XdpFlags.DRV_MODE);
  } catch (err) {
    const hint = (err as { code?: string }).code === 'EBUSY' ? 'another XDP program is attached to it; detach it first' : '';
    throw kernelError(err, `cannot attach XDP (${mode} mode) to ifindex ${ifindex}`, hint);
  }
}

/** BPF_PROG_TEST_RUN: runs a program on one packet; returns its verdict and ns per run. */
export function testRun(progFd: number, packet: Uint8Array, repeat = 1): { retval: number; nsPerRun: number } {
  const r = linux('BPF_PROG_TEST_RUN').bpfProgTestRun(progFd, packet, repeat, null);
  return { retval: r.retval, nsPerRun: r.duration };
}
