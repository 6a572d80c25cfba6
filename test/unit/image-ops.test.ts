// The batch encoding the applying thread reads (native/src/layer_apply.h):
// every header field at its offset, 64-bit times on both sides of the epoch
// and past 2^32, strings NUL-terminated, data passed by ring offset or
// copied, and each operation padded with zeros to 8 bytes.
import { describe, expect, it } from 'vitest';
import { OpBatch } from '../../src/image/unpack/ops';

const HEADER = 80;

function header(b: Buffer, at = 0) {
  return {
    kind: b.readUInt32LE(at),
    uid: b.readUInt32LE(at + 4),
    gid: b.readUInt32LE(at + 8),
    mode: b.readUInt32LE(at + 12),
    atime: b.readBigInt64LE(at + 16),
    mtime: b.readBigInt64LE(at + 24),
    atimeNs: b.readInt32LE(at + 32),
    mtimeNs: b.readInt32LE(at + 36),
    major: b.readUInt32LE(at + 40),
    minor: b.readUInt32LE(at + 44),
    pathLen: b.readUInt32LE(at + 48),
    targetLen: b.readUInt32LE(at + 52),
    nxattrs: b.readUInt32LE(at + 56),
    dataLen: b.readUInt32LE(at + 60),
    inRing: b.readUInt32LE(at + 64),
    ringOffset: b.readUInt32LE(at + 68),
    devType: b.readUInt32LE(at + 72),
    flags: b.readUInt32LE(at + 76),
  };
}

describe('OpBatch encoding', () => {
  it('writes 64-bit times exactly, before 1970 and after 2106, and -1 for a time left alone', () => {
    const ring = Buffer.alloc(1024);
    const cases = [0, 1700000000, -1, -86400 * 365 * 70, 2 ** 33 + 5, -(2 ** 40) - 3, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (const t of cases) {
      const batch = new OpBatch(ring);
      batch.times({ name: 'd' }, 'd', { atime: t, atimeNs: 7, mtime: -t, mtimeNs: 999_999_999 });
      const h = header(batch.bytes());
      expect(h.atime).toBe(BigInt(t));
      expect(h.mtime).toBe(BigInt(-t));
      expect(h.atimeNs).toBe(7);
      expect(h.mtimeNs).toBe(999_999_999);
      expect(h.flags).toBe(1);
    }
    const batch = new OpBatch(ring);
    batch.mkdir({ name: 'd/' }, 'd', { uid: 1000, gid: 2000, mode: 0o2755 });
    const h = header(batch.bytes());
    expect([h.atimeNs, h.mtimeNs]).toEqual([-1, -1]);
    expect([h.uid, h.gid, h.mode, h.kind]).toEqual([1000, 2000, 0o2755, 5]);
  });

  it('passes content in the ring by offset, copies other content, and pads every operation with zeros', () => {
    const ring = Buffer.alloc(4096, 0xaa);
    const batch = new OpBatch(ring, Buffer.alloc(16, 0xff));
    const inRing = ring.subarray(100, 300);
    batch.file({ name: 'a' }, 'a', { uid: 0, gid: 0, mode: 0o644 }, inRing);
    const first = batch.bytes().length;
    expect(first % 8).toBe(0);
    batch.file({ name: 'bé' }, 'bé', { uid: 0, gid: 0, mode: 0o600, xattrs: [['user.k', Buffer.from('v1')]] }, Buffer.from('outside'));
    batch.mknod({ name: 'dev/null' }, 'dev/null', 'c', 1, 3, { uid: 0, gid: 0, mode: 0o666 });
    const b = batch.bytes();
    expect(b.length % 8).toBe(0);
    expect(batch.count).toBe(3);

    const a = header(b, 0);
    expect([a.kind, a.dataLen, a.inRing, a.ringOffset, a.pathLen, a.targetLen]).toEqual([1, 200, 1, 100, 1, 0]);
    expect(b.subarray(HEADER, HEADER + 3)).toEqual(Buffer.from('a\0\0'));
    // the batch's memory came filled with 0xff: padding is written, not left over
    expect(b.subarray(HEADER + 3, first).every((x) => x === 0)).toBe(true);

    const c = header(b, first);
    expect([c.kind, c.dataLen, c.inRing, c.nxattrs, c.pathLen]).toEqual([1, 7, 0, 1, Buffer.byteLength('bé')]);
    let at = first + HEADER;
    expect(b.toString('utf8', at, at + c.pathLen)).toBe('bé');
    at += c.pathLen + 1 + c.targetLen + 1;
    expect([b.readUInt32LE(at), b.readUInt32LE(at + 4)]).toEqual([6, 2]);
    at += 8;
    expect(b.toString('latin1', at, at + 6 + 1 + 2)).toBe('user.k\0v1');
    at += 9;
    expect(b.toString('latin1', at, at + 7)).toBe('outside');

    const second = at + 7 + ((8 - ((at + 7) % 8)) % 8);
    const d = header(b, second);
    expect([d.kind, d.devType, d.major, d.minor, d.mode]).toEqual([8, 0o020000, 1, 3, 0o666]);
  });

  it('grows its memory and keeps what it had written', () => {
    const ring = Buffer.alloc(64);
    const batch = new OpBatch(ring, Buffer.alloc(HEADER));
    const long = 'x'.repeat(5000);
    batch.symlink({ name: 'l' }, 'l', long, { uid: 0, gid: 0, mode: 0o777, mtime: 5 });
    batch.hardlink({ name: 'h' }, 'h', 'l');
    const b = batch.bytes();
    const s = header(b);
    expect([s.kind, s.targetLen, s.mtime]).toEqual([6, 5000, 5n]);
    expect(b.toString('latin1', HEADER + 2, HEADER + 2 + 5000)).toBe(long);
    const h = header(b, b.length - HEADER - 8);
    expect([h.kind, h.pathLen, h.targetLen]).toEqual([7, 1, 1]);
  });
});
