// The device filter generator, checked by decoding the bytes and by running
// the decoded program on a tiny interpreter of the opcodes it may use.
import { describe, expect, it } from 'vitest';
import { normalizeDeviceRules, withDefaultAllows, type DeviceRule } from '../../src/cgroups/devices';
import {
  BPF_DEVCG_ACC_MKNOD as M,
  BPF_DEVCG_ACC_READ as R,
  BPF_DEVCG_ACC_WRITE as W,
  BPF_DEVCG_DEV_BLOCK,
  BPF_DEVCG_DEV_CHAR,
  BPF_INSN_SIZE,
  decodeInsns,
  deviceFilterInsns,
  deviceFilterProgram,
  encodeInsns,
  type BpfInsn,
} from '../../src/cgroups/v2/devices-ebpf';

/** Runs a program using LDX W, ALU32 AND/RSH/MOV (K and X), JMP32 JEQ/JNE (K and X) and EXIT. */
function run(insns: BpfInsn[], ctx: { type: number; access: number; major: number; minor: number }): number {
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(((ctx.access << 16) | ctx.type) >>> 0, 0);
  mem.writeUInt32LE(ctx.major >>> 0, 4);
  mem.writeUInt32LE(ctx.minor >>> 0, 8);
  const reg = new Array<number>(11).fill(0);
  reg[1] = -1; // the ctx pointer: only valid as a load base
  for (let pc = 0, steps = 0; pc < insns.length; pc++, steps++) {
    if (steps > 10000) throw new Error('loop');
    const i = insns[pc]!;
    const src = (i.code & 0x08) !== 0 ? reg[i.src]! >>> 0 : i.imm >>> 0;
    switch (i.code) {
      case 0x61: // ldxw dst, [src+off]
        if (reg[i.src] !== -1) throw new Error(`load through non-ctx register r${i.src} at ${pc}`);
        reg[i.dst] = mem.readUInt32LE(i.off);
        break;
      case 0x54: case 0x5c: reg[i.dst] = (reg[i.dst]! & src) >>> 0; break; // and32
      case 0x74: case 0x7c: reg[i.dst] = reg[i.dst]! >>> src; break; // rsh32
      case 0xb4: case 0xbc: reg[i.dst] = src; break; // mov32
      case 0x16: case 0x1e: if (reg[i.dst]! >>> 0 === src) pc += i.off; break; // jeq32
      case 0x56: case 0x5e: if (reg[i.dst]! >>> 0 !== src) pc += i.off; break; // jne32
      case 0x95: return reg[0]!;
      default: throw new Error(`unexpected opcode 0x${i.code.toString(16)} at ${pc}`);
    }
    if (pc + 1 > insns.length) throw new Error('jump out of program');
  }
  throw new Error('fell off the end');
}

const char = (major: number, minor: number, access = R | W) => ({ type: BPF_DEVCG_DEV_CHAR, access, major, minor });
const block = (major: number, minor: number, access = R | W) => ({ type: BPF_DEVCG_DEV_BLOCK, access, major, minor });
const prog = (rules: DeviceRule[]) => decodeInsns(deviceFilterProgram(rules));

describe('bpf_insn encoding', () => {
  it('packs code, dst/src nibbles, off and imm little-endian, 8 bytes each', () => {
    const insns: BpfInsn[] = [
      { code: 0x61, dst: 2, src: 1, off: 4, imm: 0 },
      { code: 0x56, dst: 4, src: 0, off: -3, imm: 0x7fffffff },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
    ];
    const buf = encodeInsns(insns);
    expect(buf.length).toBe(3 * BPF_INSN_SIZE);
    expect([...buf.subarray(0, 8)]).toEqual([0x61, 0x12, 4, 0, 0, 0, 0, 0]);
    expect([...buf.subarray(8, 16)]).toEqual([0x56, 0x04, 0xfd, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(decodeInsns(buf)).toEqual(insns);
  });
});

describe('device filter program', () => {
  it('starts by loading type, access, major and minor from the context', () => {
    const insns = deviceFilterInsns([]);
    expect(insns.slice(0, 6)).toEqual([
      { code: 0x61, dst: 2, src: 1, off: 0, imm: 0 },
      { code: 0x54, dst: 2, src: 0, off: 0, imm: 0xffff },
      { code: 0x61, dst: 3, src: 1, off: 0, imm: 0 },
      { code: 0x74, dst: 3, src: 0, off: 0, imm: 16 },
      { code: 0x61, dst: 4, src: 1, off: 4, imm: 0 },
      { code: 0x61, dst: 5, src: 1, off: 8, imm: 0 },
    ]);
  });

  it('with no rules allows everything (like a fresh v1 device cgroup)', () => {
    const p = prog([]);
    expect(p).toHaveLength(8);
    expect(run(p, char(1, 3))).toBe(1);
    expect(run(p, block(8, 0))).toBe(1);
  });

  it('one rule compiles to type, access, major, minor tests and a return, jumps landing on the next block', () => {
    const p = prog(normalizeDeviceRules([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]));
    const block1 = p.slice(6);
    expect(block1.map((i) => i.code)).toEqual([0x56, 0xbc, 0x54, 0x5e, 0x56, 0x56, 0xb4, 0x95, 0xb4, 0x95]);
    expect(block1[0]).toMatchObject({ dst: 2, imm: BPF_DEVCG_DEV_CHAR, off: 7 });
    expect(block1[2]).toMatchObject({ dst: 1, imm: R | W });
    expect(block1[3]).toMatchObject({ dst: 1, src: 3, off: 4 });
    expect(block1[4]).toMatchObject({ dst: 4, imm: 1, off: 3 });
    expect(block1[5]).toMatchObject({ dst: 5, imm: 3, off: 2 });
    expect(block1[6]).toMatchObject({ dst: 0, imm: 1 });
  });

  it('deny-all plus runc defaults: /dev/null ok, /dev/kmsg and block devices denied, mknod allowed', () => {
    const p = prog(withDefaultAllows(normalizeDeviceRules([{ allow: false, access: 'rwm' }])));
    expect(run(p, char(1, 3))).toBe(1);
    expect(run(p, char(1, 5, R))).toBe(1);
    expect(run(p, char(136, 7))).toBe(1);
    expect(run(p, char(5, 2))).toBe(1);
    expect(run(p, char(10, 200))).toBe(1);
    expect(run(p, char(1, 11, R))).toBe(0);
    expect(run(p, block(8, 0, R))).toBe(0);
    expect(run(p, block(8, 0, M))).toBe(1);
    expect(run(p, char(4, 1, M))).toBe(1);
    expect(run(p, char(4, 1, M | R))).toBe(0);
  });

  it('the last matching rule wins', () => {
    const rules = normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, access: 'rwm' },
      { allow: false, type: 'c', major: 1, minor: 5, access: 'rwm' },
    ]);
    const p = prog(rules);
    expect(run(p, char(1, 3))).toBe(1);
    expect(run(p, char(1, 5))).toBe(0);
    expect(run(p, char(2, 0))).toBe(0);
  });

  it('an allow rule must grant every requested access; a deny rule denies any overlap', () => {
    const p = prog(normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
      { allow: false, type: 'c', major: 1, minor: 9, access: 'w' },
    ]));
    expect(run(p, char(1, 3, R))).toBe(1);
    expect(run(p, char(1, 3, R | W))).toBe(0);
    expect(run(p, char(1, 9, R))).toBe(1);
    expect(run(p, char(1, 9, R | W))).toBe(0);
    expect(run(p, char(1, 9, W))).toBe(0);
  });

  it('a full wildcard rule ends the program: rules before it are not emitted', () => {
    const rules = normalizeDeviceRules([
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: false, access: 'rwm' },
      { allow: true, type: 'b', major: 7, access: 'rw' },
    ]);
    const p = prog(rules);
    expect(run(p, char(1, 3))).toBe(0);
    expect(run(p, block(7, 1))).toBe(1);
    expect(p.filter((i) => i.code === 0x56 && i.dst === 5)).toHaveLength(0); // no minor tests survive
    expect(p.filter((i) => i.code === 0x95)).toHaveLength(2);
  });

  it('type "a" with numbers matches char and block devices', () => {
    const p = prog(normalizeDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'a', major: 7, access: 'rwm' }]));
    expect(run(p, char(7, 0))).toBe(1);
    expect(run(p, block(7, 3))).toBe(1);
    expect(run(p, block(8, 0))).toBe(0);
  });

  it('blocks are exhaustively consistent with a reference evaluation', () => {
    const rules = withDefaultAllows(normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'b', major: 8, access: 'r' },
      { allow: false, type: 'b', major: 8, minor: 1, access: 'r' },
      { allow: true, type: 'c', minor: 2, access: 'rw' },
    ]));
    const bits = (a: string) => (a.includes('r') ? R : 0) | (a.includes('w') ? W : 0) | (a.includes('m') ? M : 0);
    const reference = (c: { type: number; access: number; major: number; minor: number }) => {
      for (let i = rules.length - 1; i >= 0; i--) {
        const r = rules[i]!;
        const t = r.type === 'a' || (r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK) === c.type;
        const n = (r.major < 0 || r.major === c.major) && (r.minor < 0 || r.minor === c.minor);
        const acc = r.allow ? (c.access & bits(r.access)) === c.access : (c.access & bits(r.access)) !== 0;
        if (t && n && acc) return r.allow ? 1 : 0;
      }
      return 1;
    };
    const p = prog(rules);
    for (const type of [BPF_DEVCG_DEV_CHAR, BPF_DEVCG_DEV_BLOCK])
      for (const major of [1, 5, 8, 136, 4000])
        for (const minor of [0, 1, 2, 3, 5])
          for (let access = 1; access <= 7; access++) {
            const ctx = { type, access, major, minor };
            expect(run(p, ctx), JSON.stringify(ctx)).toBe(reference(ctx));
          }
  });
});
