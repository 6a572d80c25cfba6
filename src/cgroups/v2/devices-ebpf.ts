// Device rules → a BPF_PROG_TYPE_CGROUP_DEVICE program (an array of struct bpf_insn).
//
// Semantics (v1's devices.allow/deny as a rule list): the LAST rule that matches
// a request decides; with no match the request is allowed (a new v1 cgroup
// starts as "allow all" too). An allow rule matches when it grants every access
// the request wants; a deny rule matches when it forbids any of them. A type
// "a" rule matches char and block devices; major/minor -1 match any number.
// The program checks the rules from last to first and returns at the first
// match; a full wildcard rule ("a *:* rwm") ends the program, since nothing
// before it can matter.
//
// Context (struct bpf_cgroup_dev_ctx): u32 access_type = (access << 16) | type;
// u32 major; u32 minor.
import type { DeviceRule } from '../devices';

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

// opcode pieces (linux/bpf_common.h, linux/bpf.h)
const BPF_LDX = 0x01;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const BPF_W = 0x00;
const BPF_MEM = 0x60;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_AND = 0x50;
const BPF_RSH = 0x70;
const BPF_MOV = 0xb0;
const BPF_JEQ = 0x10;
const BPF_JNE = 0x50;
const BPF_EXIT = 0x90;

export const BPF_INSN_SIZE = 8;

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

const ldxw = (dst: number, src: number, off: number): BpfInsn => ({ code: BPF_LDX | BPF_MEM | BPF_W, dst, src, off, imm: 0 });
const alu32Imm = (op: number, dst: number, imm: number): BpfInsn => ({ code: BPF_ALU | op | BPF_K, dst, src: 0, off: 0, imm });
const mov32Reg = (dst: number, src: number): BpfInsn => ({ code: BPF_ALU | BPF_MOV | BPF_X, dst, src, off: 0, imm: 0 });
const jmp32Imm = (op: number, dst: number, imm: number, off: number): BpfInsn => ({ code: BPF_JMP32 | op | BPF_K, dst, src: 0, off, imm });
const jmp32Reg = (op: number, dst: number, src: number, off: number): BpfInsn => ({ code: BPF_JMP32 | op | BPF_X, dst, src, off, imm: 0 });
const exit = (): BpfInsn => ({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });

/** "rwm" → BPF_DEVCG_ACC_* bits */
function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  return bits;
}

const ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

/** The instructions of one rule's block; jumps marked with off = NaN go to the block's end. */
function ruleBlock(rule: DeviceRule): BpfInsn[] {
  const out: BpfInsn[] = [];
  if (rule.type !== 'a') out.push(jmp32Imm(BPF_JNE, R2, rule.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, NaN));
  const bits = accessBits(rule.access);
  if (bits !== ALL_ACCESS) {
    out.push(mov32Reg(R1, R3), alu32Imm(BPF_AND, R1, bits));
    // allow: every requested bit is granted; deny: some requested bit is forbidden
    out.push(rule.allow ? jmp32Reg(BPF_JNE, R1, R3, NaN) : jmp32Imm(BPF_JEQ, R1, 0, NaN));
  }
  if (rule.major >= 0) out.push(jmp32Imm(BPF_JNE, R4, rule.major, NaN));
  if (rule.minor >= 0) out.push(jmp32Imm(BPF_JNE, R5, rule.minor, NaN));
  out.push(alu32Imm(BPF_MOV, R0, rule.allow ? 1 : 0), exit());
  return out.map((insn, i) => (Number.isNaN(insn.off) ? { ...insn, off: out.length - (i + 1) } : insn));
}

function isUnconditional(rule: DeviceRule): boolean {
  return rule.type === 'a' && rule.major < 0 && rule.minor < 0 && accessBits(rule.access) === ALL_ACCESS;
}

/** The program as instructions (see the header for its semantics). */
export function deviceFilterInsns(rules: readonly DeviceRule[]): BpfInsn[] {
  const prog: BpfInsn[] = [
    ldxw(R2, R1, 0),
    alu32Imm(BPF_AND, R2, 0xffff), // r2 = device type
    ldxw(R3, R1, 0),
    alu32Imm(BPF_RSH, R3, 16), // r3 = requested access
    ldxw(R4, R1, 4), // r4 = major
    ldxw(R5, R1, 8), // r5 = minor
  ];
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    if (isUnconditional(rule)) {
      prog.push(alu32Imm(BPF_MOV, R0, rule.allow ? 1 : 0), exit());
      return prog;
    }
    prog.push(...ruleBlock(rule));
  }
  prog.push(alu32Imm(BPF_MOV, R0, 1), exit());
  return prog;
}

/** struct bpf_insn[] in host (little-endian) byte order, ready for BPF_PROG_LOAD. */
export function encodeInsns(insns: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(insns.length * BPF_INSN_SIZE);
  insns.forEach((insn, i) => {
    const o = i * BPF_INSN_SIZE;
    buf.writeUInt8(insn.code, o);
    buf.writeUInt8(((insn.src & 0xf) << 4) | (insn.dst & 0xf), o + 1);
    buf.writeInt16LE(insn.off, o + 2);
    buf.writeInt32LE(insn.imm | 0, o + 4);
  });
  return buf;
}

/** Rules → the loadable program. */
export function deviceFilterProgram(rules: readonly DeviceRule[]): Buffer {
  return encodeInsns(deviceFilterInsns(rules));
}

/** Buffer → instructions (tests, debugging). */
export function decodeInsns(buf: Buffer): BpfInsn[] {
  const out: BpfInsn[] = [];
  for (let o = 0; o + BPF_INSN_SIZE <= buf.length; o += BPF_INSN_SIZE) {
    const regs = buf.readUInt8(o + 1);
    out.push({ code: buf.readUInt8(o), dst: regs & 0xf, src: regs >> 4, off: buf.readInt16LE(o + 2), imm: buf.readInt32LE(o + 4) });
  }
  return out;
}
