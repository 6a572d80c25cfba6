// The layer tar reader (src/image/unpack/tar.ts): archives written by GNU tar
// (gnu and posix formats) and by tar-stream read to the same entries and
// contents however the stream is cut into chunks, and malformed streams are
// refused with the reason.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import * as tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaxRecords } from '../../src/image/unpack/pax';
import { TarFormatError, TarReader, type TarHeader } from '../../src/image/unpack/tar';

interface Seen {
  name: string;
  type: string | null;
  size: number;
  linkname: string | null;
  mode: number;
  uid: number;
  mtime: number;
  pax: string[];
  /** sha256 of the content the sink got; how it got it */
  content?: string;
  via?: 'whole' | 'pieces';
}

/** Every entry of the archive, fed in chunks cut at `cuts` (offsets). */
function read(archive: Buffer, cuts: number[] = []): Seen[] {
  const seen: Seen[] = [];
  const reader = new TarReader((h: TarHeader, pax: PaxRecords | undefined) => {
    const e: Seen = { name: h.name, type: h.type, size: h.size, linkname: h.linkname, mode: h.mode, uid: h.uid, mtime: h.mtime, pax: [...(pax?.keys() ?? [])].sort() };
    seen.push(e);
    if (h.type !== 'file') return undefined;
    const hash = crypto.createHash('sha256');
    return {
      whole: (data) => {
        e.content = hash.update(data).digest('hex');
        e.via = 'whole';
      },
      write: (data) => {
        hash.update(data);
        e.via = 'pieces';
      },
      end: () => {
        e.content = hash.digest('hex');
      },
    };
  });
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < archive.length)].sort((a, b) => a - b).concat(archive.length)) {
    if (cut <= at) continue;
    // a copy, overwritten afterwards: the reader must not keep a reference to a chunk
    const chunk = Buffer.from(archive.subarray(at, cut));
    reader.push(chunk);
    chunk.fill(0x55);
    at = cut;
  }
  reader.end();
  return seen;
}

const sha = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');
const withoutVia = (s: Seen[]): Array<Omit<Seen, 'via'>> => s.map(({ via: _via, ...rest }) => rest);

let dir: string;
const LONG = `${'d'.repeat(60)}/${'n'.repeat(120)}.txt`;
const big = crypto.randomBytes(3000);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-tar-'));
  const src = path.join(dir, 'src');
  fs.mkdirSync(path.join(src, path.dirname(LONG)), { recursive: true });
  fs.writeFileSync(path.join(src, LONG), 'long name');
  fs.writeFileSync(path.join(src, 'big.bin'), big);
  fs.writeFileSync(path.join(src, 'empty'), '');
  fs.chmodSync(path.join(src, 'big.bin'), 0o4755);
  fs.symlinkSync(`../${'t'.repeat(150)}`, path.join(src, 'long-link'));
  fs.linkSync(path.join(src, 'big.bin'), path.join(src, 'hard'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function gnuTar(format: 'gnu' | 'posix'): Buffer {
  return execFileSync('tar', [`--format=${format}`, '--sort=name', '--numeric-owner', '--owner=7', '--group=8', '--mtime=@1700000000', '-C', path.join(dir, 'src'), '-cf', '-', '.']);
}

describe('tar reader', () => {
  for (const format of ['gnu', 'posix'] as const) {
    it(`reads GNU tar's ${format} format: long names and link targets, links, modes, ids, contents`, () => {
      const seen = read(gnuTar(format));
      const byName = new Map(seen.map((e) => [e.name, e]));
      expect(byName.get(`./${LONG}`)).toMatchObject({ type: 'file', size: 9, content: sha('long name'), uid: 7 });
      expect(byName.get('./big.bin')).toMatchObject({ type: 'file', size: 3000, content: sha(big), mode: 0o4755, mtime: 1700000000 });
      expect(byName.get('./empty')).toMatchObject({ type: 'file', size: 0, content: sha('') });
      expect(byName.get('./long-link')).toMatchObject({ type: 'symlink', linkname: `../${'t'.repeat(150)}` });
      expect(byName.get('./hard')).toMatchObject({ type: 'link', linkname: './big.bin' });
      expect(byName.get('./')).toMatchObject({ type: 'directory' });
      if (format === 'posix') expect(byName.get(`./${LONG}`)?.pax).toContain('path');
    });

    it(`reads the ${format} archive the same however it is cut into chunks`, () => {
      const archive = gnuTar(format);
      const whole = read(archive);
      expect(whole.find((e) => e.name === './big.bin')?.via).toBe('whole');
      // cut inside the 3000-byte file: its content arrives in pieces
      const start = archive.indexOf(big.subarray(0, 64));
      expect(read(archive, [start + 100]).find((e) => e.name === './big.bin')?.via).toBe('pieces');
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: archive.length - 1 }), { maxLength: 12 }), (cuts) => {
          expect(withoutVia(read(archive, cuts))).toEqual(withoutVia(whole));
        }),
        { numRuns: 150 },
      );
      // every byte its own chunk
      expect(withoutVia(read(archive, Array.from({ length: archive.length }, (_, i) => i)))).toEqual(withoutVia(whole));
    });
  }

  it('applies PAX records (path, linkpath, size) and global ones to the entries that follow', async () => {
    const pack = tarStream.pack();
    const out: Buffer[] = [];
    pack.on('data', (c) => out.push(c as Buffer));
    const ended = new Promise<void>((r) => pack.on('end', () => r()));
    pack.entry({ name: 'short', pax: { path: 'from/pax', 'SCHILY.xattr.user.x': 'v' } }, 'abc');
    pack.entry({ name: 'l', type: 'symlink', linkname: 'x', pax: { linkpath: 'pax-target' } });
    pack.finalize();
    await ended;
    const seen = read(Buffer.concat(out));
    expect(seen[0]).toMatchObject({ name: 'from/pax', size: 3, content: sha('abc') });
    expect(seen[0]?.pax).toEqual(['SCHILY.xattr.user.x', 'path']);
    expect(seen[1]).toMatchObject({ name: 'l', linkname: 'pax-target' });
  });

  it('skips empty blocks (also after the end-of-archive marker), as tar-stream did', () => {
    const archive = gnuTar('gnu');
    const again = Buffer.concat([archive, archive]);
    expect(read(again)).toHaveLength(2 * read(archive).length);
  });

  describe('refuses', () => {
    const one = (): Buffer => execFileSync('tar', ['--format=gnu', '-C', path.join(dir, 'src'), '-cf', '-', 'empty']);

    it('a header with a wrong checksum', () => {
      const a = one();
      a[0] = 0x41;
      expect(() => read(a)).toThrow(/checksum/);
    });

    it('a header of an unknown format (no ustar magic)', () => {
      const a = one();
      a.fill(0, 257, 265);
      // keep the checksum right: only the magic is wrong
      a.fill(0x20, 148, 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += a[i] as number;
      a.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      expect(() => read(a)).toThrow(/unknown tar header format/);
    });

    it('a stream that ends inside a header or an entry', () => {
      const a = gnuTar('gnu');
      const start = a.indexOf(big.subarray(0, 64));
      expect(() => read(a.subarray(0, start + 10))).toThrow(/unexpected end of data/);
      expect(() => read(a.subarray(0, 700))).toThrow(TarFormatError);
    });

    it('a PAX header over 1 MiB, from its header, naming it', async () => {
      const pack = tarStream.pack();
      const out: Buffer[] = [];
      pack.on('data', (c) => out.push(c as Buffer));
      const ended = new Promise<void>((r) => pack.on('end', () => r()));
      pack.entry({ name: 'f', pax: { comment: 'x'.repeat(1024 * 1024) } }, 'x');
      pack.finalize();
      await ended;
      const archive = Buffer.concat(out);
      // only the header is at hand: refused before the records arrive
      expect(() => read(archive.subarray(0, 512), [])).toThrow(/PAX header of 104\d{4} bytes exceeds the 1048576-byte limit/);
      let caught: unknown;
      try {
        read(archive);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TarFormatError);
      expect((caught as TarFormatError).entry).toBe('PaxHeader');
    });
  });
});
