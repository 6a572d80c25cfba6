// tsrun pull from a real registry (Debian's docker-registry on 127.0.0.1),
// with images the test builds and pushes with skopeo.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRootfs, testTempDir } from '../helpers';
import { imageCli, layerDirs, type ImageCli } from './helpers/images';
import { buildImage, buildIndex, tarDir, tarEntries, writeLayout } from './helpers/oci-image';
import { ensureRegistryTools, push, startRegistry, type Registry } from './helpers/registry';
import { snapshot } from './helpers/tree';

let dir: string;
let reg: Registry;
let cli: ImageCli;
let base: Buffer;
let top: Buffer;

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-pull');
  reg = await startRegistry({ dir: path.join(dir, 'registry') });
  cli = imageCli(dir);
  cli.setConfig({ registries: { [reg.host]: { insecure: true } } });
  const rootfs = path.join(dir, 'rootfs');
  makeRootfs(rootfs);
  base = tarDir(rootfs);
  top = await tarEntries([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/motd', data: 'hello from a layer\n' },
    { name: 'bin/tool', data: '#!/bin/sh\necho tool\n', mode: 0o755 },
  ]);
});

afterAll(async () => {
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('pull', () => {
  it('pulls an OCI image over plain http from a registry configured insecure', async () => {
    const img = buildImage([base, top]);
    const layout = path.join(dir, 'layout-basic');
    writeLayout(layout, [{ tag: 'v1', descriptor: img.descriptor }], img.blobs);
    push(layout, 'v1', `${reg.host}/test/basic:v1`);
    const r = await cli.run(['pull', `${reg.host}/test/basic:v1`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Pull complete');
    const layers = await layerDirs(cli, `${reg.host}/test/basic:v1`);
    expect(layers).toHaveLength(2);
    expect(fs.readFileSync(path.join(layers[1] as string, 'etc/motd'), 'utf8')).toBe('hello from a layer\n');
    const tree = snapshot(layers[0] as string);
    expect(tree['bin/busybox']?.type).toBe('file');
  });
});
