// Layers on disk: a 3-layer image exercising overlay semantics (deletions,
// an opaque directory, a file and a directory swapped, hard links, setuid,
// a FIFO, uid 1000, a security.capability xattr, a long name) must be exactly
// what overlayfs needs (checked by mounting the layers) and match umoci's
// unpack of the same image; hostile layers are refused naming the entry and
// leave a canary directory outside untouched.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers';
import { errorMessage, imageCli, layerDirs, type ImageCli } from './helpers/images';
import { buildImage, tarDir, tarEntries, writeLayout, type TarEntry } from './helpers/oci-image';
import { ensureRegistryTools, push, startRegistry, type Registry } from './helpers/registry';
import { snapshot, type TreeEntry } from './helpers/tree';

let dir: string;
let reg: Registry;
let cli: ImageCli;
let n = 0;

const LONG = `long-${'n'.repeat(120)}`;

async function pushImage(tars: Buffer[], name: string): Promise<{ ref: string; layout: string }> {
  const img = buildImage(tars);
  const layout = path.join(dir, `layout-${name}`);
  writeLayout(layout, [{ tag: 'x', descriptor: img.descriptor }], img.blobs);
  await push(layout, 'x', `${reg.host}/layers/${name}:1`);
  return { ref: `${reg.host}/layers/${name}:1`, layout };
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-layers');
  reg = await startRegistry({ dir: path.join(dir, 'registry') });
  cli = imageCli(path.join(dir, 'cli'));
  cli.setConfig({ registries: { [reg.host]: { insecure: true } } });
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('overlay semantics', () => {
  it('lays out whiteouts, opaque dirs and every file kind as overlayfs needs, matching umoci unpack', async () => {
    const src = path.join(dir, 'l1');
    const mk = (p: string, data = p): void => {
      fs.mkdirSync(path.dirname(path.join(src, p)), { recursive: true });
      fs.writeFileSync(path.join(src, p), data);
    };
    mk('dir-del/f');
    mk('file-del');
    mk('opq/old1');
    mk('opq/sub/old2');
    mk('swap-f');
    mk('swap-d/child');
    mk('hl-a', 'linked');
    fs.linkSync(path.join(src, 'hl-a'), path.join(src, 'hl-b'));
    mk('suid', '#!/bin/sh\n');
    fs.chmodSync(path.join(src, 'suid'), 0o4755);
    execFileSync('mkfifo', [path.join(src, 'fifo')]);
    mk('owned/file');
    execFileSync('chown', ['-R', '1000:1000', path.join(src, 'owned')]);
    mk('cap', 'capable');
    execFileSync('setcap', ['cap_net_raw+ep', path.join(src, 'cap')]);
    mk(`deep/${LONG}`, 'long name');
    fs.symlinkSync('../hl-a', path.join(src, 'deep/rel-link'));
    const l1 = tarDir(src);
    const l2 = await tarEntries([
      { name: '.wh.dir-del', data: '' },
      { name: '.wh.file-del', data: '' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/.wh..wh..opq', data: '' },
      { name: 'opq/new', data: 'new' },
      // overlayfs's own xattrs from a layer are dropped (they could hide or redirect other layers)
      { name: 'forged/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.kept': 'v' } },
    ]);
    const l3 = await tarEntries([
      { name: 'swap-f/', type: 'directory' },
      { name: 'swap-f/child', data: 'now a dir' },
      { name: '.wh.swap-d', data: '' },
      { name: 'swap-d', data: 'now a file' },
    ]);
    const { ref, layout } = await pushImage([l1, l2, l3], 'overlay');
    const r = await cli.run(['pull', '-q', ref]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const layers = await layerDirs(cli, ref);

    // layer 2: whiteouts are 0/0 character devices, the opaque dir carries the xattr
    const t2 = snapshot(layers[1] as string);
    expect(t2['dir-del']).toMatchObject({ type: 'char', rdev: [0, 0] });
    expect(t2['file-del']).toMatchObject({ type: 'char', rdev: [0, 0] });
    expect(t2.opq?.xattrs['trusted.overlay.opaque']).toBe('0x79');
    expect(Object.keys(t2).filter((k) => k.includes('.wh.'))).toEqual([]);
    expect(t2.forged?.xattrs).toEqual({ 'user.kept': '0x76' });
    const t1 = snapshot(layers[0] as string);
    expect(t1['hl-b']?.linkOf).toBe('hl-a');
    expect(t1.suid?.mode).toBe(0o4755);
    expect(t1.fifo?.type).toBe('fifo');
    expect(t1['owned/file']).toMatchObject({ uid: 1000, gid: 1000 });
    expect(t1.cap?.xattrs['security.capability']).toMatch(/^0x/);
    expect(t1[`deep/${LONG}`]?.type).toBe('file');

    // mounted the way a container will be
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...layers].reverse().join(':')}`, mnt]);
    let merged: Record<string, TreeEntry>;
    try {
      merged = snapshot(mnt);
    } finally {
      execFileSync('umount', [mnt]);
    }
    expect(merged['dir-del']).toBeUndefined();
    expect(merged['file-del']).toBeUndefined();
    expect(Object.keys(merged).filter((k) => k.startsWith('opq/'))).toEqual(['opq/new']);
    expect(merged['swap-f']?.type).toBe('dir');
    expect(merged['swap-f/child']?.type).toBe('file');
    expect(merged['swap-d']?.type).toBe('file');
    expect(merged.fifo?.type).toBe('fifo');
    expect(merged.suid?.mode).toBe(0o4755);
    expect(merged.cap?.xattrs['security.capability']).toBe(t1.cap?.xattrs['security.capability']);

    // umoci's unpack of the same image is the same tree (it applies layers in place, so
    // directory times it touched while applying whiteouts differ: compared without those)
    const bundle = path.join(dir, 'umoci-bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:x`, bundle], { stdio: 'ignore' });
    const reference = snapshot(path.join(bundle, 'rootfs'));
    const withoutDirTimes = (t: Record<string, TreeEntry>): Record<string, TreeEntry> =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.type === 'dir' ? { ...v, mtime: 0, xattrs: {} } : { ...v, linkOf: v.linkOf ? 'link' : undefined }]));
    expect(withoutDirTimes(merged)).toEqual(withoutDirTimes(reference));
    const mtimes = (t: Record<string, TreeEntry>): Record<string, number> =>
      Object.fromEntries(Object.entries(t).filter(([k, v]) => v.type !== 'dir' && k !== '.').map(([k, v]) => [k, v.mtime]));
    expect(mtimes(merged)).toEqual(mtimes(reference));
  });
});

describe('hostile layers', () => {
  const canary = (): string => path.join(dir, 'canary');
  const cases: Array<[string, () => Promise<TarEntry[]>, RegExp]> = [
    ['a ".." name', async () => [{ name: '../../../canary/pwned', data: 'x' }], /entry "\.\.\/\.\.\/\.\.\/canary\/pwned": "\.\." in its name would leave the layer/],
    ['an absolute name', async () => [{ name: `${canary()}/abs`, data: 'x' }], /entry "\/.*canary\/abs": absolute name/],
    [
      'a symlink to / followed by entries under it',
      async () => [
        { name: 'root-link', type: 'symlink', linkname: '/' },
        { name: `root-link${canary()}/through-link`, data: 'x' },
      ],
      /entry "root-link\/.*through-link": its path goes through a symbolic link/,
    ],
    ['a hard link to ../../etc/passwd', async () => [{ name: 'passwd', type: 'link', linkname: '../../etc/passwd' }], /entry "passwd": hard link target "\.\.\/\.\.\/etc\/passwd"/],
    ['a whiteout of ".."', async () => [{ name: 'a/.wh...', data: '' }], /entry "a\/\.wh\.\.\.": whiteout of the invalid name "\.\."/],
    ['a whiteout name used as a directory', async () => [{ name: '.wh.x/y', data: '' }], /entry "\.wh\.x\/y": whiteout name ".wh.x" used as a directory/],
    ['a NUL in a PAX path', async () => [{ name: 'innocent', data: 'x', pax: { path: `ok\u0000../../canary/pwned` } }], /entry "ok\\u0000\.\.\/\.\.\/canary\/pwned": NUL byte in its name/],
    ['an oversized PAX header', async () => [{ name: 'big', data: 'x', pax: { comment: 'x'.repeat(2 * 1024 * 1024) } }], /PAX header of \d+ bytes exceeds the 1048576-byte limit/],
    // refused from the size in its header, before any of it is buffered
    ['a 5 MiB PAX header', async () => [{ name: 'huge', data: 'x', pax: { comment: 'x'.repeat(5 * 1024 * 1024) } }], /entry "PaxHeader": PAX header of 5242\d{3} bytes exceeds the 1048576-byte limit/],
  ];

  beforeAll(() => {
    fs.mkdirSync(canary(), { recursive: true });
    fs.writeFileSync(path.join(canary(), 'keep'), 'canary');
  });

  for (const [what, entries, message] of cases) {
    it(`refuses ${what}, naming the entry, and touches nothing outside`, async () => {
      const before = snapshot(canary());
      const { ref } = await pushImage([await tarEntries(await entries())], `hostile-${++n}`);
      const c = imageCli(path.join(dir, `hostile-cli-${n}`));
      c.setConfig({ registries: { [reg.host]: { insecure: true } } });
      const r = await c.run(['pull', '-q', ref]);
      expect(r.code).toBe(1);
      expect(errorMessage(r.stderr)).toMatch(message);
      expect(snapshot(canary())).toEqual(before);
      const layersDir = path.join(c.root, 'layers', 'sha256');
      expect(fs.existsSync(layersDir) ? fs.readdirSync(layersDir) : []).toEqual([]);
      expect(fs.readdirSync(path.join(c.root, 'tmp'))).toEqual([]);
      expect(fs.existsSync('/etc/passwd')).toBe(true);
    });
  }
});
