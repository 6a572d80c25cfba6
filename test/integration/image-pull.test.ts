// tsrun pull from a real registry (Debian's docker-registry on 127.0.0.1,
// plain http, configured insecure), with images this test builds as OCI
// layouts and pushes with skopeo: manifest formats, platforms, compression,
// tampered content, progress output, and the local image commands.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRootfs, testTempDir } from '../helpers';
import { errorMessage, imageCli, layerDirs, type ImageCli } from './helpers/images';
import { buildImage, buildIndex, tarDir, tarEntries, writeLayout, type BuiltImage } from './helpers/oci-image';
import { ensureRegistryTools, push, startRegistry, type Registry } from './helpers/registry';
import { snapshot } from './helpers/tree';

let dir: string;
let reg: Registry;
let cli: ImageCli;
let base: Buffer;
let top: Buffer;
let img: BuiltImage;
let roots = 0;

/** A CLI with its own image root (same registries config). */
function freshCli(): ImageCli {
  const c = imageCli(path.join(dir, `cli-${++roots}`));
  c.setConfig({ registries: { [reg.host]: { insecure: true } } });
  return c;
}

function layout(name: string, refs: Array<{ tag: string; descriptor: BuiltImage['descriptor'] }>, blobs: BuiltImage['blobs']): string {
  const l = path.join(dir, `layout-${name}`);
  writeLayout(l, refs, blobs);
  return l;
}

/** Paths under the store that hold content (blobs, layers, ingests, temporary dirs). */
function storeContent(root: string): string[] {
  const out: string[] = [];
  for (const d of ['blobs', 'layers', 'ingest', 'tmp']) {
    const walk = (p: string, depth: number): void => {
      if (!fs.existsSync(p)) return;
      for (const n of fs.readdirSync(p)) {
        const q = path.join(p, n);
        if (depth > 0 && fs.lstatSync(q).isDirectory()) walk(q, depth - 1);
        else out.push(path.relative(root, q));
      }
    };
    walk(path.join(root, d), d === 'blobs' || d === 'layers' ? 1 : 0);
  }
  return out;
}

/** The registry's stored copy of a blob (to tamper with it). */
function registryBlob(digest: string): string {
  const hex = digest.slice(7);
  return path.join(dir, 'registry', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-pull');
  reg = await startRegistry({ dir: path.join(dir, 'registry') });
  cli = imageCli(path.join(dir, 'main'));
  cli.setConfig({ registries: { [reg.host]: { insecure: true } } });
  const rootfs = path.join(dir, 'rootfs');
  makeRootfs(rootfs);
  base = tarDir(rootfs);
  top = await tarEntries([
    { name: './', type: 'directory' },
    { name: 'bin/', type: 'directory' },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/motd', data: 'hello from a layer\n' },
    { name: 'bin/tool', data: '#!/bin/sh\necho tool\n', mode: 0o755 },
  ]);
  img = buildImage([base, top]);
  const idx = buildIndex([img]);
  const l = layout('formats', [{ tag: 'manifest', descriptor: img.descriptor }, { tag: 'index', descriptor: idx.descriptor }], idx.blobs);
  await push(l, 'manifest', `${reg.host}/fmt/oci-manifest:1`);
  await push(l, 'index', `${reg.host}/fmt/oci-index:1`, { all: true });
  await push(l, 'manifest', `${reg.host}/fmt/docker:1`, { format: 'v2s2' });
  await push(l, 'index', `${reg.host}/fmt/docker-list:1`, { all: true, format: 'v2s2' });
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('registry access', () => {
  it('pulls over plain http only from a registry configured insecure; otherwise the error names the setting', async () => {
    const strict = imageCli(path.join(dir, 'strict'));
    strict.setConfig({ registries: {} });
    const r = await strict.run(['pull', `${reg.host}/fmt/oci-manifest:1`]);
    expect(r.code).toBe(1);
    expect(errorMessage(r.stderr)).toContain(`does not speak TLS (it answered in plain http): to use it over http, set "insecure": true for "${reg.host}"`);
    expect(errorMessage(r.stderr)).toContain(strict.configFile);
    expect(storeContent(strict.root)).toEqual([]);

    const ok = await cli.run(['pull', `${reg.host}/fmt/oci-manifest:1`]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1: Pulling from');
    expect(ok.stdout).toContain('Pull complete');
    expect(ok.stdout).toContain(`Status: Downloaded newer image for ${reg.host}/fmt/oci-manifest:1`);
    const layers = await layerDirs(cli, `${reg.host}/fmt/oci-manifest:1`);
    expect(layers).toHaveLength(2);
    expect(fs.readFileSync(path.join(layers[1] as string, 'etc/motd'), 'utf8')).toBe('hello from a layer\n');
    // the same again: nothing to fetch
    const again = await cli.run(['pull', `${reg.host}/fmt/oci-manifest:1`]);
    expect(again.stdout).toContain('Already exists');
    expect(again.stdout).toContain('Status: Image is up to date');
  });

  it('refuses a malformed reference and an unknown image by name', async () => {
    const bad = await cli.run(['pull', `${reg.host}/UPPER/case:1`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid reference format');
    const missing = await cli.run(['pull', `${reg.host}/fmt/nope:1`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/MANIFEST_UNKNOWN|NAME_UNKNOWN/);
  });
});

describe('manifest formats', () => {
  it('unpacks the same image as OCI index, OCI manifest, Docker list and Docker v2s2 to identical trees', async () => {
    const trees: Array<Array<Record<string, unknown>>> = [];
    const types: string[] = [];
    for (const repo of ['oci-index', 'oci-manifest', 'docker-list', 'docker']) {
      const c = freshCli();
      const r = await c.run(['pull', '--progress', 'plain', `${reg.host}/fmt/${repo}:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const layers = await layerDirs(c, `${reg.host}/fmt/${repo}:1`);
      trees.push(layers.map((l) => snapshot(l)));
      const inspect = JSON.parse((await c.run(['image', 'inspect', `${reg.host}/fmt/${repo}:1`])).stdout) as Array<{ RootFS: { Layers: string[] } }>;
      expect(inspect[0]?.RootFS.Layers).toEqual(img.diffIds);
      const refs = JSON.parse(fs.readFileSync(path.join(c.root, 'refs.json'), 'utf8')) as { refs: Record<string, { targetMediaType: string }> };
      types.push(Object.values(refs.refs)[0]?.targetMediaType ?? '');
    }
    expect(types).toEqual([
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ]);
    for (const t of trees.slice(1)) expect(t).toEqual(trees[0]);
    expect(Object.keys(trees[0]?.[0] ?? {}).length).toBeGreaterThan(100);
  });

  it('chooses the platform from a multi-arch index (arm64 = arm64/v8, attestations skipped) and lists what exists', async () => {
    const archImage = async (architecture: string, variant?: string): Promise<BuiltImage> =>
      buildImage([await tarEntries([{ name: 'arch', data: `${architecture}${variant ? `/${variant}` : ''}\n` }])], { architecture, ...(variant ? { variant } : {}) });
    const images = [await archImage('amd64'), await archImage('arm64', 'v8'), await archImage('arm', 'v7')];
    const attestation = buildImage([await tarEntries([{ name: 'sbom.json', data: '{}' }])], { architecture: 'unknown', os: 'unknown' });
    const idx = buildIndex([...images, attestation]);
    await push(layout('multi', [{ tag: 'm', descriptor: idx.descriptor }], idx.blobs), 'm', `${reg.host}/multi/arch:1`, { all: true });
    const c = freshCli();
    const name = `${reg.host}/multi/arch:1`;
    const archOf = async (): Promise<string> => fs.readFileSync(path.join((await layerDirs(c, name))[0] as string, 'arch'), 'utf8').trim();

    expect((await c.run(['pull', '-q', name])).code).toBe(0);
    expect(await archOf()).toBe('amd64');
    expect((await c.run(['pull', '-q', '--platform', 'linux/arm64', name])).code).toBe(0);
    expect(await archOf()).toBe('arm64/v8');
    expect((await c.run(['pull', '-q', '--platform', 'linux/arm/v7', name])).code).toBe(0);
    expect(await archOf()).toBe('arm/v7');
    const none = await c.run(['pull', '--platform', 'linux/s390x', name]);
    expect(none.code).toBe(1);
    expect(errorMessage(none.stderr)).toContain('no image for platform linux/s390x; it has: linux/amd64, linux/arm64/v8, linux/arm/v7');
    expect(none.stderr).not.toContain('unknown');
  });

  it('unpacks a zstd image exactly like its gzip twin (same diff_ids)', async () => {
    const zimg = buildImage([base, top], { compression: 'zstd' });
    await push(layout('zstd', [{ tag: 'z', descriptor: zimg.descriptor }], zimg.blobs), 'z', `${reg.host}/fmt/zstd:1`);
    const zc = freshCli();
    const gc = freshCli();
    expect((await zc.run(['pull', '-q', `${reg.host}/fmt/zstd:1`])).code).toBe(0);
    expect((await gc.run(['pull', '-q', `${reg.host}/fmt/oci-manifest:1`])).code).toBe(0);
    const zl = await layerDirs(zc, `${reg.host}/fmt/zstd:1`);
    const gl = await layerDirs(gc, `${reg.host}/fmt/oci-manifest:1`);
    expect(zimg.layers[0]?.digest).not.toBe(img.layers[0]?.digest);
    expect(zl.map((l) => path.basename(path.dirname(l)))).toEqual(gl.map((l) => path.basename(path.dirname(l))));
    expect(zl.map((l) => snapshot(l))).toEqual(gl.map((l) => snapshot(l)));
  });
});

describe('tampered content stores nothing', () => {
  async function pushed(name: string, tars: Buffer[], opts: Parameters<typeof buildImage>[1] = {}): Promise<BuiltImage> {
    const i = buildImage(tars, opts);
    await push(layout(name, [{ tag: 't', descriptor: i.descriptor }], i.blobs), 't', `${reg.host}/tamper/${name}:1`);
    return i;
  }

  async function expectNothingStored(ref: string, pattern: RegExp): Promise<void> {
    const c = freshCli();
    const r = await c.run(['pull', ref]);
    expect(r.code).toBe(1);
    expect(errorMessage(r.stderr)).toMatch(pattern);
    expect(storeContent(c.root)).toEqual([]);
    const refs = fs.existsSync(path.join(c.root, 'refs.json')) ? fs.readFileSync(path.join(c.root, 'refs.json'), 'utf8') : '{"refs":{}}';
    expect(JSON.parse(refs)).toEqual({ refs: {} });
  }

  it('a flipped byte in a layer', async () => {
    const i = await pushed('flip', [base, await tarEntries([{ name: 'x', data: 'x'.repeat(5000) }])]);
    const f = registryBlob(i.layers[1]?.digest as string);
    const data = fs.readFileSync(f);
    data[Math.floor(data.length / 2)] ^= 0xff;
    fs.writeFileSync(f, data);
    await expectNothingStored(`${reg.host}/tamper/flip:1`, /does not match its digest/);
  });

  it('a blob longer than its size', async () => {
    const i = await pushed('long', [await tarEntries([{ name: 'y', data: 'y'.repeat(3000) }])]);
    fs.appendFileSync(registryBlob(i.layers[0]?.digest as string), Buffer.alloc(4096, 1));
    await expectNothingStored(`${reg.host}/tamper/long:1`, /more than its \d+ bytes/);
  });

  it('a diff_id that does not match the layer', async () => {
    const t = await tarEntries([{ name: 'z', data: 'z' }]);
    await pushed('diffid', [base, t], { diffIdOverride: { 1: `sha256:${'ab'.repeat(32)}` } });
    await expectNothingStored(`${reg.host}/tamper/diffid:1`, /diff_id is sha256:abab/);
  });

  it('a manifest that does not match the digest asked for', async () => {
    const i = await pushed('manifest', [await tarEntries([{ name: 'm', data: 'm' }])]);
    const f = registryBlob(i.manifest.digest);
    fs.writeFileSync(f, `${fs.readFileSync(f, 'utf8')} `);
    await expectNothingStored(`${reg.host}/tamper/manifest@${i.manifest.digest}`, /not the sha256:[a-f0-9]{64} asked for/);
  });
});

describe('progress', () => {
  it('draws a bar per layer on a terminal and plain lines without escape codes in a pipe', async () => {
    const c = freshCli();
    const entry = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'entry.js');
    const cmd = [process.execPath, entry, '--image-root', c.root, '--registries-config', c.configFile, 'pull', `${reg.host}/fmt/oci-manifest:1`]
      .map((a) => `'${a}'`)
      .join(' ');
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '', TERM: 'xterm', COLUMNS: '120' };
    const tty = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(tty).toContain('\x1b[2K');
    expect(tty).toMatch(/\x1b\[\d+A/);
    expect(tty).toMatch(/Extracting \[=*>? *\]/);
    expect(tty).toContain('Pull complete');

    const p = freshCli();
    const piped = await p.run(['pull', `${reg.host}/fmt/oci-manifest:1`]);
    expect(piped.stdout).not.toContain('\x1b');
    const lines = piped.stdout.trim().split('\n');
    expect(lines[0]).toBe('1: Pulling from ' + `${reg.host}/fmt/oci-manifest`);
    for (const l of img.layers) {
      const id = l.digest.slice(7, 19);
      expect(lines.filter((x) => x.startsWith(`${id}: `)).map((x) => x.slice(14))).toEqual([
        'Waiting',
        'Downloading',
        'Verifying Checksum',
        'Download complete',
        'Extracting',
        'Pull complete',
      ]);
    }
    expect(lines.slice(-3)).toEqual([
      `Digest: ${img.manifest.digest}`,
      `Status: Downloaded newer image for ${reg.host}/fmt/oci-manifest:1`,
      `${reg.host}/fmt/oci-manifest:1`,
    ]);

    const j = freshCli();
    const json = await j.run(['pull', '--progress', 'json', `${reg.host}/fmt/oci-manifest:1`]);
    const msgs = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; id?: string });
    expect(msgs.some((m) => m.status === 'Pull complete' && m.id === img.layers[0]?.digest.slice(7, 19))).toBe(true);
    const q = freshCli();
    expect((await q.run(['pull', '-q', `${reg.host}/fmt/oci-manifest:1`])).stdout).toBe(`${img.manifest.digest}\n`);
  });
});
