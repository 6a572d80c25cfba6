// The layer decoder (native/src/layer_decode.c through src/image/unpack/decode.ts):
// the bytes and the diff_id of plain, gzip and zstd blobs larger than its
// ring (so it waits for the consumer), gzip members and zstd frames one after
// another, truncated and corrupt blobs refused with the reason, and a decoder
// abandoned half-way that lets its process exit.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLayer, SLOT_SIZE, SLOTS } from '../../src/image/unpack/decode';
import { PROJECT_ROOT, testTempDir } from '../helpers';

let dir: string;
/** tens of MB that compress well, more than ten times the ring */
let payload: Buffer;

beforeAll(() => {
  dir = testTempDir('img-decode');
  const block = crypto.randomBytes(64 * 1024);
  // two 64 KiB blocks and a 1 KiB one make 43 KiB a block on average
  const blocks = Math.ceil((12 * SLOTS * SLOT_SIZE) / (43 * 1024));
  payload = Buffer.concat(Array.from({ length: blocks }, (_, i) => (i % 3 === 0 ? crypto.randomBytes(1024) : block)));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function blobFile(name: string, data: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Everything the decoder hands over, its diff_id, and the largest compressed offset it reported. */
async function decodeAll(file: string): Promise<{ data: Buffer; diffId: string; read: number; compression: string }> {
  let read = 0;
  const d = decodeLayer(file, (n) => (read = Math.max(read, n)));
  const parts: Buffer[] = [];
  for await (const c of d.chunks) {
    expect(c.length).toBeLessThanOrEqual(SLOT_SIZE);
    // copied: the chunk's memory is reused once it is given back
    parts.push(Buffer.from(c));
    d.release();
  }
  return { data: Buffer.concat(parts), diffId: await d.diffId(), read, compression: d.compression };
}

async function decodeError(file: string): Promise<string> {
  const d = decodeLayer(file);
  try {
    for await (const _ of d.chunks) d.release();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('decoded without an error');
}

describe('layer decoder', () => {
  for (const [compression, pack] of [
    ['none', (b: Buffer) => b],
    ['gzip', (b: Buffer) => zlib.gzipSync(b)],
    ['zstd', (b: Buffer) => zstdCompress(b)],
  ] as const) {
    it(`hands over every byte of a ${compression} blob larger than its ring, with the sha256 of them all`, async () => {
      expect(payload.length).toBeGreaterThan(10 * SLOTS * SLOT_SIZE);
      const blob = pack(payload);
      const r = await decodeAll(blobFile(`p.${compression}`, blob));
      expect(r.compression).toBe(compression);
      expect(r.data.equals(payload)).toBe(true);
      expect(r.diffId).toBe(sha(payload));
      expect(r.read).toBe(blob.length);
    });
  }

  it('reads gzip members one after another, and zero padding after them', async () => {
    const a = crypto.randomBytes(100_000);
    const b = Buffer.from('second member');
    const r = await decodeAll(blobFile('two.gz', Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b), Buffer.alloc(1000)])));
    expect(r.data.equals(Buffer.concat([a, b]))).toBe(true);
    expect(r.diffId).toBe(sha(Buffer.concat([a, b])));
  });

  it('reads zstd frames one after another', async () => {
    const a = crypto.randomBytes(100_000);
    const b = Buffer.from('second frame');
    const r = await decodeAll(blobFile('two.zst', Buffer.concat([zstdCompress(a), zstdCompress(b)])));
    expect(r.data.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('an empty plain blob is an empty stream', async () => {
    const r = await decodeAll(blobFile('empty', Buffer.alloc(0)));
    expect(r.data.length).toBe(0);
    expect(r.diffId).toBe(sha(Buffer.alloc(0)));
  });

  it('refuses truncated and corrupt blobs, saying why', async () => {
    const gz = zlib.gzipSync(payload);
    expect(await decodeError(blobFile('cut.gz', gz.subarray(0, gz.length / 2)))).toMatch(/^gzip: unexpected end of file/);
    const bad = Buffer.from(gz);
    bad[gz.length >> 1] = (bad[gz.length >> 1] as number) ^ 0xff;
    bad[(gz.length >> 1) + 1] = (bad[(gz.length >> 1) + 1] as number) ^ 0xff;
    expect(await decodeError(blobFile('bad.gz', bad))).toMatch(/^gzip: /);
    expect(await decodeError(blobFile('junk.gz', Buffer.concat([gz, Buffer.from('trailing junk')])))).toMatch(/^gzip: incorrect header check/);
    const zst = zstdCompress(payload);
    expect(await decodeError(blobFile('cut.zst', zst.subarray(0, zst.length / 2)))).toMatch(/^zstd: the stream ends in the middle of a frame/);
    expect(await decodeError(blobFile('junk.zst', Buffer.concat([zst, Buffer.from('trailing junk')])))).toMatch(/^zstd: /);
  });

  it('a decoder abandoned after one chunk stops, and lets its process exit', () => {
    const file = blobFile('abandon.zst', zstdCompress(payload));
    const script = `
      const { decodeLayer } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'src', 'image', 'unpack', 'decode.js'))});
      (async () => {
        const d = decodeLayer(${JSON.stringify(file)});
        for await (const c of d.chunks) { console.log('first', c.length); break; }
      })();
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe(`first ${SLOT_SIZE}\n`);
    expect(r.status).toBe(0);
  });
});
