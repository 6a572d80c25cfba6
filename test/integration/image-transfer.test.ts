// Moving bytes: a connection cut half way through a blob resumes with Range;
// a stalled download is abandoned and resumed; `kill -9` of tsrun pull in the
// middle of a layer and a rerun transfer less than the whole layer; four
// concurrent pulls of one image download each blob once (the registry's log
// says so) and unpack each layer once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers';
import { imageCli } from './helpers/images';
import { buildImage, tarEntries, writeLayout, type BuiltImage } from './helpers/oci-image';
import { startProxy, type Proxy } from './helpers/proxy';
import { ensureRegistryTools, push, startRegistry, type Registry } from './helpers/registry';

let dir: string;
let reg: Registry;
let proxy: Proxy;
let big: BuiltImage;
let n = 0;
const BIG = 8 * 1024 * 1024;

function cli(extra: Record<string, unknown> = {}): ReturnType<typeof imageCli> {
  const c = imageCli(path.join(dir, `cli-${++n}`));
  c.setConfig({ registries: { [reg.host]: { insecure: true }, [proxy.host]: { insecure: true } }, ...extra });
  return c;
}

function bigLayer(): string {
  return (big.layers[0] as { digest: string }).digest;
}

function blobRequests(digest: string, from: number): Proxy['requests'] {
  return proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${digest}`));
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-transfer');
  reg = await startRegistry({ dir: path.join(dir, 'registry') });
  proxy = await startProxy(`http://${reg.host}`);
  // incompressible: the gzip blob is as big as the data
  big = buildImage([await tarEntries([{ name: 'random.bin', data: crypto.randomBytes(BIG) }]), await tarEntries([{ name: 'small', data: 'small' }])]);
  const layout = path.join(dir, 'layout');
  writeLayout(layout, [{ tag: 'big', descriptor: big.descriptor }], big.blobs);
  await push(layout, 'big', `${reg.host}/transfer/big:1`);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('resuming downloads', () => {
  it('resumes a connection cut at half a blob with a Range request', async () => {
    const c = cli();
    const size = big.layers[0]?.size as number;
    let cut = false;
    proxy.setRule((req) => {
      if (!cut && req.url?.endsWith(bigLayer())) {
        cut = true;
        return { kind: 'cut', afterBytes: Math.floor(size / 2) };
      }
      return { kind: 'forward' };
    });
    const start = proxy.requests.length;
    try {
      const r = await c.run(['pull', '-q', `${proxy.host}/transfer/big:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    const reqs = blobRequests(bigLayer(), start);
    expect(reqs).toHaveLength(2);
    expect(reqs[0]?.headers.range).toBeUndefined();
    expect(reqs[0]?.sent).toBe(Math.floor(size / 2));
    expect(reqs[1]?.headers.range).toBe(`bytes=${Math.floor(size / 2)}-`);
    expect(reqs[1]?.status).toBe(206);
    expect((reqs[0]?.sent ?? 0) + (reqs[1]?.sent ?? 0)).toBe(size);
  });

  it('abandons a stalled download after the stall timeout and resumes it', async () => {
    const c = cli({ stallTimeoutSeconds: 1 });
    let stalled = false;
    proxy.setRule((req) => {
      if (!stalled && req.url?.endsWith(bigLayer())) {
        stalled = true;
        // a first part, then silence on an open connection
        return { kind: 'stall', afterBytes: 1024 * 1024 };
      }
      return { kind: 'forward' };
    });
    const start = proxy.requests.length;
    try {
      const r = await c.run(['pull', '-q', `${proxy.host}/transfer/big:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    const reqs = blobRequests(bigLayer(), start);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]?.headers.range).toBe(`bytes=${1024 * 1024}-`);
  });

  it('retries 503 and 429 answers with backoff (Retry-After honoured)', async () => {
    const c = cli();
    let failures = 0;
    proxy.setRule((req) => {
      if (req.url?.endsWith(bigLayer()) && failures < 2) {
        failures++;
        return failures === 1 ? { kind: 'status', status: 503 } : { kind: 'status', status: 429, headers: { 'retry-after': '1' } };
      }
      return { kind: 'forward' };
    });
    const start = proxy.requests.length;
    try {
      const r = await c.run(['pull', '-q', `${proxy.host}/transfer/big:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    expect(blobRequests(bigLayer(), start).map((q) => q.status)).toEqual([503, 429, 200]);
  });

  it('after kill -9 in the middle of a layer, a rerun transfers less than the whole layer', async () => {
    const c = cli();
    const size = big.layers[0]?.size as number;
    proxy.setRule((req) => (req.url?.endsWith(bigLayer()) ? { kind: 'throttle', bytes: 256 * 1024, everyMs: 50 } : { kind: 'forward' }));
    const ingest = path.join(c.root, 'ingest', `sha256-${bigLayer().slice(7)}`);
    const p = c.spawn(['pull', '--progress', 'plain', `${proxy.host}/transfer/big:1`]);
    try {
      const deadline = Date.now() + 30_000;
      while (!(fs.existsSync(ingest) && fs.statSync(ingest).size > 2 * 1024 * 1024)) {
        if (Date.now() > deadline) throw new Error('the download did not start');
        await new Promise((r) => setTimeout(r, 20));
      }
      p.child.kill('SIGKILL');
      expect((await p.exited).signal).toBe('SIGKILL');
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    const kept = fs.statSync(ingest).size;
    expect(kept).toBeGreaterThan(2 * 1024 * 1024);
    expect(kept).toBeLessThan(size);
    const start = proxy.requests.length;
    const r = await c.run(['pull', '-q', `${proxy.host}/transfer/big:1`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const reqs = blobRequests(bigLayer(), start);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.headers.range).toBe(`bytes=${kept}-`);
    expect(reqs[0]?.sent).toBe(size - kept);
    expect(fs.existsSync(ingest)).toBe(false);
  });
});

describe('concurrent pulls', () => {
  it('four pulls of one image download each blob once and unpack each layer once', async () => {
    const img = buildImage([
      await tarEntries([{ name: 'one', data: crypto.randomBytes(1_500_000) }]),
      await tarEntries([{ name: 'two', data: crypto.randomBytes(1_000_000) }]),
      await tarEntries([{ name: 'three', data: 'three' }]),
    ]);
    const layout = path.join(dir, 'layout-conc');
    writeLayout(layout, [{ tag: 'c', descriptor: img.descriptor }], img.blobs);
    await push(layout, 'c', `${reg.host}/transfer/conc:1`);
    const c = cli();
    const before = new Map(img.blobs.map((b) => [b.digest, reg.blobGets(b.digest)]));
    const runs = await Promise.all([1, 2, 3, 4].map(() => c.spawn(['pull', '--progress', 'json', `${reg.host}/transfer/conc:1`]).done));
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    for (const b of [img.config, ...img.layers]) expect(reg.blobGets(b.digest) - (before.get(b.digest) ?? 0)).toBe(1);
    const events = runs.map((r) => r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; id?: string }));
    for (const l of img.layers) {
      const id = l.digest.slice(7, 19);
      const extracting = events.filter((ev) => ev.some((e) => e.id === id && e.status === 'Extracting'));
      const downloading = events.filter((ev) => ev.some((e) => e.id === id && e.status === 'Downloading'));
      expect(extracting).toHaveLength(1);
      expect(downloading).toHaveLength(1);
      for (const ev of events) expect(ev.some((e) => e.id === id && (e.status === 'Pull complete' || e.status === 'Already exists'))).toBe(true);
    }
    expect(fs.readdirSync(path.join(c.root, 'layers', 'sha256'))).toHaveLength(3);
    expect(fs.readdirSync(path.join(c.root, 'tmp'))).toEqual([]);
  });
});
