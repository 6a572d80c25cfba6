// The local image commands: images, image inspect, rmi, image prune (never
// a layer a container holds), image save (an OCI layout tar that skopeo reads)
// and image load (that tar, and a docker save archive), on images pulled
// from a loopback registry.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers';
import { holdLayers, releaseLayers, ImageStore } from '../../src/image';
import { errorMessage, imageCli, layerDirs, type ImageCli } from './helpers/images';
import { blob, buildImage, tarEntries, writeLayout, type BuiltImage } from './helpers/oci-image';
import { ensureRegistryTools, push, startRegistry, type Registry } from './helpers/registry';
import { snapshot } from './helpers/tree';

let dir: string;
let reg: Registry;
let one: BuiltImage;
let two: BuiltImage;
let n = 0;

function cli(): ImageCli {
  const c = imageCli(path.join(dir, `cli-${++n}`));
  c.setConfig({ registries: { [reg.host]: { insecure: true } } });
  return c;
}

function layerCount(c: ImageCli): number {
  const d = path.join(c.root, 'layers', 'sha256');
  return fs.existsSync(d) ? fs.readdirSync(d).length : 0;
}

function blobCount(c: ImageCli): number {
  const d = path.join(c.root, 'blobs', 'sha256');
  return fs.existsSync(d) ? fs.readdirSync(d).length : 0;
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-store');
  reg = await startRegistry({ dir: path.join(dir, 'registry') });
  const shared = await tarEntries([{ name: 'shared', data: 'in both images' }]);
  one = buildImage([shared, await tarEntries([{ name: 'one', data: '1' }])], { created: '2024-01-01T00:00:00Z' });
  two = buildImage([shared, await tarEntries([{ name: 'two', data: '2' }])], { created: '2024-02-01T00:00:00Z' });
  const layout = path.join(dir, 'layout');
  writeLayout(layout, [{ tag: 'one', descriptor: one.descriptor }, { tag: 'two', descriptor: two.descriptor }], [...one.blobs, ...two.blobs]);
  await push(layout, 'one', `${reg.host}/store/one:1`);
  await push(layout, 'two', `${reg.host}/store/two:1`);
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('images, inspect, rmi, prune', () => {
  it('lists, inspects and removes images; shared layers stay while another image uses them', async () => {
    const c = cli();
    expect((await c.run(['pull', '-q', `${reg.host}/store/one:1`])).code).toBe(0);
    expect((await c.run(['pull', '-q', `${reg.host}/store/two:1`])).code).toBe(0);
    expect(layerCount(c)).toBe(3);
    const table = (await c.run(['images'])).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    expect(table.slice(1).map((l) => l.split(/ {2,}/).slice(0, 3))).toEqual([
      [`${reg.host}/store/two`, '1', two.config.digest.slice(7, 19)],
      [`${reg.host}/store/one`, '1', one.config.digest.slice(7, 19)],
    ]);
    expect((await c.run(['image', 'ls', '-q'])).stdout).toBe(`${two.config.digest.slice(7, 19)}\n${one.config.digest.slice(7, 19)}\n`);
    const json = (await c.run(['images', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(json[1]).toMatchObject({ Repository: `${reg.host}/store/one`, Tag: '1', ID: one.config.digest, Digest: one.manifest.digest, CreatedAt: '2024-01-01T00:00:00Z' });

    const inspect = JSON.parse((await c.run(['image', 'inspect', one.config.digest.slice(7, 15)])).stdout) as Array<Record<string, unknown>>;
    expect(inspect[0]).toMatchObject({ Id: one.config.digest, RepoTags: [`${reg.host}/store/one:1`], Architecture: 'amd64', Os: 'linux' });
    const missing = await c.run(['image', 'inspect', 'nothere']);
    expect(missing.code).toBe(1);
    expect(errorMessage(missing.stderr)).toBe('No such image: nothere');

    const rm = await c.run(['rmi', `${reg.host}/store/one:1`]);
    expect(rm.stdout).toBe(`Untagged: ${reg.host}/store/one:1\nDeleted: ${one.config.digest}\n`);
    // the shared bottom layer stays for image two
    expect(layerCount(c)).toBe(2);
    expect(fs.readFileSync(path.join((await layerDirs(c, `${reg.host}/store/two:1`))[0] as string, 'shared'), 'utf8')).toBe('in both images');
    expect((await c.run(['image', 'rm', `${reg.host}/store/two:1`])).code).toBe(0);
    expect(layerCount(c)).toBe(0);
    expect(blobCount(c)).toBe(0);
    expect((await c.run(['images', '-q'])).stdout).toBe('');
  });

  it('prune removes what nothing references (interrupted downloads too), never a layer a container holds', async () => {
    const c = cli();
    expect((await c.run(['pull', '-q', `${reg.host}/store/one:1`])).code).toBe(0);
    const store = ImageStore.open(c.root);
    const chainIds = (JSON.parse((await c.run(['image', 'inspect', `${reg.host}/store/one:1`])).stdout) as Array<{ Tsrun: { Layers: Array<{ ChainID: string }> } }>)[0]?.Tsrun.Layers.map((l) => l.ChainID) as string[];
    await holdLayers(store, { holder: 'tsrun-test-container', image: one.config.digest, layers: chainIds });
    fs.writeFileSync(path.join(c.root, 'ingest', `sha256-${'0'.repeat(64)}`), 'partial');

    // a container uses the image: rmi refuses without -f, and -f keeps the layers
    const refused = await c.run(['rmi', `${reg.host}/store/one:1`]);
    expect(refused.code).toBe(1);
    expect(errorMessage(refused.stderr)).toContain('container tsrun-test-container is using its referenced image');
    expect((await c.run(['rmi', '-f', `${reg.host}/store/one:1`])).code).toBe(0);
    expect(layerCount(c)).toBe(2);
    const pruned = await c.run(['image', 'prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/Total reclaimed space: /);
    expect(layerCount(c)).toBe(2);
    expect(fs.readdirSync(path.join(c.root, 'ingest'))).toEqual([]);
    expect(blobCount(c)).toBe(0);

    releaseLayers(store, 'tsrun-test-container');
    expect((await c.run(['image', 'prune'])).stdout).toContain('Deleted layer: ');
    expect(layerCount(c)).toBe(0);
  });
});

describe('save and load', () => {
  it('saves an OCI layout tar that skopeo reads, and loads it into another store unchanged', async () => {
    const a = cli();
    expect((await a.run(['pull', '-q', `${reg.host}/store/one:1`])).code).toBe(0);
    const archive = path.join(dir, 'one.tar');
    const saved = await a.run(['image', 'save', '-o', archive, `${reg.host}/store/one:1`]);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n');
    expect(listed).toEqual(expect.arrayContaining(['oci-layout', 'index.json', 'manifest.json', `blobs/sha256/${one.manifest.digest.slice(7)}`]));
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}`], { encoding: 'utf8' });
    expect(JSON.parse(raw)).toMatchObject({ config: { digest: one.config.digest } });

    const b = cli();
    const loaded = await b.run(['image', 'load', '-i', archive]);
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toContain(`Loaded image: ${reg.host}/store/one:1`);
    const la = await layerDirs(a, `${reg.host}/store/one:1`);
    const lb = await layerDirs(b, `${reg.host}/store/one:1`);
    // (these layers have no entry for their root: its time is when it was unpacked)
    const tree = (l: string): ReturnType<typeof snapshot> => {
      const t = snapshot(l);
      if (t['.']) t['.'].mtime = 0;
      return t;
    };
    expect(lb.map(tree)).toEqual(la.map(tree));
  });

  it('loads a docker save archive (legacy layout: <id>/layer.tar, manifest.json with RepoTags)', async () => {
    const tar1 = await tarEntries([{ name: 'legacy', data: 'from docker save' }]);
    const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [blob(tar1).digest] } })));
    const src = path.join(dir, 'docker-save');
    fs.mkdirSync(path.join(src, 'abc123'), { recursive: true });
    fs.writeFileSync(path.join(src, 'abc123', 'layer.tar'), tar1);
    fs.writeFileSync(path.join(src, `${config.digest.slice(7)}.json`), config.data);
    fs.writeFileSync(path.join(src, 'manifest.json'), JSON.stringify([{ Config: `${config.digest.slice(7)}.json`, RepoTags: ['legacy/app:2'], Layers: ['abc123/layer.tar'] }]));
    const archive = path.join(dir, 'docker-save.tar');
    execFileSync('tar', ['-C', src, '-cf', archive, '.']);
    const c = cli();
    const r = await c.run(['image', 'load', '-i', archive]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Loaded image: legacy/app:2');
    const layers = await layerDirs(c, 'legacy/app:2');
    expect(fs.readFileSync(path.join(layers[0] as string, 'legacy'), 'utf8')).toBe('from docker save');
  });

  it('refuses an archive whose blob does not match its name, keeping nothing', async () => {
    const layout = path.join(dir, 'bad-layout');
    const img = buildImage([await tarEntries([{ name: 'x', data: 'x' }])]);
    writeLayout(layout, [{ tag: 'x', descriptor: img.descriptor }], img.blobs);
    fs.appendFileSync(path.join(layout, 'blobs', 'sha256', img.layers[0]?.digest.slice(7) as string), 'junk');
    const archive = path.join(dir, 'bad.tar');
    execFileSync('tar', ['-C', layout, '-cf', archive, '.']);
    const c = cli();
    const r = await c.run(['image', 'load', '-i', archive]);
    expect(r.code).toBe(1);
    expect(errorMessage(r.stderr)).toMatch(/does not match its name/);
    expect(blobCount(c)).toBe(0);
    expect(layerCount(c)).toBe(0);
  });
});
