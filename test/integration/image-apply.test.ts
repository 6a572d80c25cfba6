// The applying thread of a layer unpack (native/src/layer_apply.c through
// src/image/unpack/apply.ts and ops.ts), driven directly: content taken from
// the ring by offset, operations carried out in order, and what a hostile or
// malformed batch gets: refused with the operation's entry and errno, nothing
// outside the layer root touched, and every later batch skipped.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { Applier } from '../../src/image/unpack/apply';
import { LayerEntryError } from '../../src/image/errors';
import { unpackLayer } from '../../src/image/unpack/layer';
import type { OpBatch } from '../../src/image/unpack/ops';
import { SLOT_SIZE, SLOTS } from '../../src/image/unpack/decode';
import { testTempDir } from '../helpers';
import { tarEntries } from './helpers/oci-image';

let dir: string;
let n = 0;
const meta = { uid: 0, gid: 0, mode: 0o644, mtime: 1_700_000_000, mtimeNs: 0, atime: 1_700_000_000, atimeNs: 0 };

beforeAll(() => {
  dir = testTempDir('img-apply');
  fs.mkdirSync(path.join(dir, 'canary'));
  fs.writeFileSync(path.join(dir, 'canary', 'keep'), 'canary');
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh layer root, and an applier on it over ring. */
function layer(ring: Buffer): { root: string; applier: Applier; close: () => void } {
  const root = path.join(dir, `layer-${++n}`);
  fs.mkdirSync(root);
  const fd = native().layerOpenRoot(root);
  return { root, applier: new Applier(native(), fd, ring), close: () => native().closeFd(fd) };
}

/** Submit the batches in order, end, and tell which were done (their onDone ran). */
async function run(applier: Applier, batches: OpBatch[]): Promise<number[]> {
  const done: number[] = [];
  batches.forEach((b, i) => applier.submit(b, () => done.push(i)));
  await applier.end();
  return done;
}

const canaryFiles = (): string[] => fs.readdirSync(path.join(dir, 'canary')).sort();

describe('layer applier', () => {
  it('writes content from the ring by offset and from the batch, in order, with metadata', async () => {
    const ring = Buffer.allocUnsafeSlow(64 * 1024);
    ring.fill('r');
    const { root, applier, close } = layer(ring);
    try {
      const b = applier.batch();
      b.mkdir({ name: 'd/' }, 'd', { ...meta, mode: 0o750 });
      b.file({ name: 'd/from-ring' }, 'd/from-ring', { ...meta, mode: 0o4755 }, ring.subarray(100, 4196));
      b.file({ name: 'd/inline' }, 'd/inline', meta, Buffer.from('not in the ring'));
      b.open({ name: 'big' }, 'big', 0o600);
      b.write({ name: 'big' }, ring.subarray(0, 10));
      const b2 = applier.batch();
      b2.write({ name: 'big' }, Buffer.from('-tail'));
      b2.close({ name: 'big' }, { ...meta, mode: 0o600 });
      b2.symlink({ name: 'l' }, 'l', 'd/inline', meta);
      b2.hardlink({ name: 'h' }, 'h', 'd/inline');
      b2.mknod({ name: 'fifo' }, 'fifo', 'p', 0, 0, meta);
      b2.times({ name: 'd/' }, 'd', { mtime: 1_600_000_000, mtimeNs: 5 });
      b2.times({ name: 'gone/' }, 'gone', { mtime: 1 });
      expect(await run(applier, [b, b2])).toEqual([0, 1]);
      expect(applier.failure).toBeUndefined();
      expect(fs.readFileSync(path.join(root, 'd', 'from-ring'), 'utf8')).toBe('r'.repeat(4096));
      expect(fs.statSync(path.join(root, 'd', 'from-ring')).mode & 0o7777).toBe(0o4755);
      expect(fs.readFileSync(path.join(root, 'd', 'inline'), 'utf8')).toBe('not in the ring');
      expect(fs.readFileSync(path.join(root, 'big'), 'utf8')).toBe(`${'r'.repeat(10)}-tail`);
      expect(fs.readlinkSync(path.join(root, 'l'))).toBe('d/inline');
      expect(fs.statSync(path.join(root, 'h')).ino).toBe(fs.statSync(path.join(root, 'd', 'inline')).ino);
      expect(fs.lstatSync(path.join(root, 'fifo')).isFIFO()).toBe(true);
      const d = fs.statSync(path.join(root, 'd'), { bigint: true });
      expect(d.mtimeNs).toBe(1_600_000_000_000_000_005n);
      expect(Number(d.mode & 0o7777n)).toBe(0o750);
      expect(fs.statSync(path.join(root, 'd', 'inline')).mtimeMs).toBe(1_700_000_000_000);
    } finally {
      close();
    }
  });

  for (const [what, op, code] of [
    ['a path through a symlink to outside', (b: OpBatch) => b.file({ name: 'esc/pwned' }, 'esc/pwned', meta, Buffer.from('x')), 'ELOOP'],
    ['a ".." path', (b: OpBatch) => b.file({ name: '../canary/pwned' }, '../canary/pwned', meta, Buffer.from('x')), 'EINVAL'],
    ['an absolute path', (b: OpBatch) => b.mkdir({ name: 'abs' }, `${dir}/canary/pwned`, meta), 'EINVAL'],
    ['a hard link to a file outside', (b: OpBatch) => b.hardlink({ name: 'h' }, 'h', '../canary/keep'), 'EINVAL'],
    ['a directory made through the symlink', (b: OpBatch) => b.mkdir({ name: 'esc/sub/' }, 'esc/sub', meta), 'ELOOP'],
  ] as const) {
    it(`refuses ${what} with its entry and errno, touches nothing outside, and skips the rest`, async () => {
      const ring = Buffer.allocUnsafeSlow(4096);
      const { root, applier, close } = layer(ring);
      fs.symlinkSync(path.join(dir, 'canary'), path.join(root, 'esc'));
      try {
        const b = applier.batch();
        b.mkdir({ name: 'before/' }, 'before', meta);
        op(b);
        b.mkdir({ name: 'after-in-batch/' }, 'after-in-batch', meta);
        const later = applier.batch();
        later.mkdir({ name: 'later/' }, 'later', meta);
        // a skipped batch is still handed back (its ring memory goes back to the decoder)
        expect(await run(applier, [b, later])).toEqual([0, 1]);
        expect(applier.failure?.error.code).toBe(code);
        expect(applier.failure?.entry.name).toBe(b.entries[1]?.name);
        expect(fs.readdirSync(root).sort()).toEqual(['before', 'esc']);
        expect(canaryFiles()).toEqual(['keep']);
      } finally {
        close();
      }
    });
  }

  it('refuses malformed batches without reading past them or the ring', async () => {
    const ring = Buffer.allocUnsafeSlow(4096);
    const bad: Array<[string, (b: Buffer) => void]> = [
      ['a path longer than the batch', (b) => b.writeUInt32LE(1 << 20, 48)],
      ['data past the end of the ring', (b) => b.writeUInt32LE(4000, 68)],
      ['an unknown kind', (b) => b.writeUInt32LE(99, 0)],
      ['a header cut short', () => {}],
    ];
    for (const [what, corrupt] of bad) {
      const { root, applier, close } = layer(ring);
      try {
        const b = applier.batch();
        b.file({ name: 'f' }, 'f', meta, ring.subarray(0, 200));
        const bytes = what === 'a header cut short' ? b.bytes().subarray(0, 40) : Buffer.from(b.bytes());
        corrupt(bytes);
        const batch = { entries: b.entries, bytes: () => bytes, memory: () => bytes } as unknown as OpBatch;
        expect(await run(applier, [batch]), what).toEqual([0]);
        expect(applier.failure?.error.code, what).toBe('EINVAL');
        expect(applier.failure?.error.syscall, what).toBe('layer operation');
        expect(fs.readdirSync(root), what).toEqual([]);
      } finally {
        close();
      }
    }
  });

  it('a cancelled applier skips what is queued and ends', async () => {
    const ring = Buffer.allocUnsafeSlow(4096);
    const { root, applier, close } = layer(ring);
    try {
      const batches = Array.from({ length: 50 }, (_, i) => {
        const b = applier.batch();
        b.mkdir({ name: `d${i}` }, `d${i}`, meta);
        return b;
      });
      const done: number[] = [];
      batches.forEach((b, i) => applier.submit(b, () => done.push(i)));
      await applier.cancel();
      expect(done).toEqual(batches.map((_, i) => i));
      // in order: whatever was done is a prefix
      const made = fs.readdirSync(root).map((d) => Number(d.slice(1))).sort((a, b) => a - b);
      expect(made).toEqual(made.map((_, i) => i));
    } finally {
      close();
    }
  });

  it('a hostile entry many chunks into a layer is refused by name, after files that span chunks, and nothing escapes', async () => {
    const big = Buffer.alloc(3 * SLOT_SIZE + 123, 'b');
    const small = Array.from({ length: 200 }, (_, i) => ({ name: `s/f${i}`, data: `small ${i}` }));
    const blob = path.join(dir, 'hostile.tar');
    fs.writeFileSync(
      blob,
      await tarEntries([
        { name: 'big1', data: big },
        ...small,
        { name: 'big2', data: big },
        { name: 'esc', type: 'symlink', linkname: path.join(dir, 'canary') },
        { name: 'big3', data: Buffer.alloc(2 * SLOTS * SLOT_SIZE, 'c') },
        { name: 'esc/pwned', data: 'x' },
        { name: 'after', data: 'never' },
      ]),
    );
    const dest = path.join(dir, `layer-${++n}`);
    fs.mkdirSync(dest);
    const e = await unpackLayer({ blobPath: blob, destDir: dest, layerName: 'hostile' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(LayerEntryError);
    expect((e as LayerEntryError).entry).toBe('esc/pwned');
    expect((e as Error).message).toMatch(/entry "esc\/pwned": its path goes through a symbolic link/);
    expect(canaryFiles()).toEqual(['keep']);
    expect(fs.existsSync(path.join(dest, 'after'))).toBe(false);
    expect(fs.readFileSync(path.join(dest, 'big2')).equals(big)).toBe(true);
    expect(fs.readFileSync(path.join(dest, 's', 'f199'), 'utf8')).toBe('small 199');
  });
});
