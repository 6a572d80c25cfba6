// OCI images built by the tests: layer tarballs (GNU tar of a directory, or
// tar-stream entries for hostile ones), compressed with gzip or zstd, with
// their config and manifest, written as an OCI image layout that skopeo can
// push to a registry.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { compress as zstdCompress } from 'zstd-napi';

type Compression = 'gzip' | 'zstd' | 'none';

export interface Blob {
  digest: string;
  size: number;
  data: Buffer;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export function blob(data: Buffer): Blob {
  return { digest: `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`, size: data.length, data };
}

function compress(t: Buffer, c: Compression): Buffer {
  if (c === 'gzip') return zlib.gzipSync(t);
  if (c === 'zstd') return zstdCompress(t);
  return t;
}

const LAYER_TYPES: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** GNU tar of a directory's contents: numeric owners, xattrs (security.capability too), sorted names. */
export function tarDir(dir: string): Buffer {
  return execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--sort=name', '--format=posix', '--pax-option=delete=atime,delete=ctime', '-C', dir, '-cf', '-', '.'], {
    maxBuffer: 1 << 30,
  });
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device';
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** extra PAX records (string values) */
  pax?: Record<string, string>;
}

/** A tar built entry by entry (names are taken as given: hostile ones too). */
export async function tarEntries(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: e.name,
          type: e.type ?? 'file',
          mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: new Date(1_700_000_000_000),
          ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
          ...(e.pax ? { pax: e.pax } : {}),
          ...(data ? { size: data.length } : {}),
        },
        data ?? '',
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  /** every blob (manifest, config, layers) */
  blobs: Blob[];
  descriptor: Descriptor;
  diffIds: string[];
}

export interface ImageOptions {
  compression?: Compression;
  architecture?: string;
  variant?: string;
  os?: string;
  /** Docker v2 schema 2 media types instead of OCI (gzip layers only) */
  docker?: boolean;
  created?: string;
  /** override a layer's diff_id in the config (to make a lying image) */
  diffIdOverride?: Record<number, string>;
  /** the config's `config` (Entrypoint, Cmd, Env, User, WorkingDir, Volumes, StopSignal…); default Env PATH and Cmd ["sh"] */
  runConfig?: Record<string, unknown>;
}

export function buildImage(layerTars: Buffer[], o: ImageOptions = {}): BuiltImage {
  const c = o.compression ?? 'gzip';
  const layers = layerTars.map((t) => blob(compress(t, c)));
  const diffIds = layerTars.map((t, i) => o.diffIdOverride?.[i] ?? blob(t).digest);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        created: o.created ?? '2024-01-02T03:04:05Z',
        architecture: o.architecture ?? 'amd64',
        ...(o.variant ? { variant: o.variant } : {}),
        os: o.os ?? 'linux',
        config: o.runConfig ?? { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
  );
  const docker = o.docker === true;
  const manifestJson = {
    schemaVersion: 2,
    mediaType: docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : LAYER_TYPES[c], digest: l.digest, size: l.size })),
  };
  const manifest = blob(Buffer.from(JSON.stringify(manifestJson)));
  return {
    manifest,
    config,
    layers,
    blobs: [manifest, config, ...layers],
    diffIds,
    descriptor: {
      mediaType: manifestJson.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      platform: { os: o.os ?? 'linux', architecture: o.architecture ?? 'amd64', ...(o.variant ? { variant: o.variant } : {}) },
    },
  };
}

/** An index (or Docker manifest list) of images; returns it as a blob and a descriptor. */
export function buildIndex(images: BuiltImage[], docker = false): { index: Blob; descriptor: Descriptor; blobs: Blob[] } {
  const mediaType = docker ? 'application/vnd.docker.distribution.manifest.list.v2+json' : 'application/vnd.oci.image.index.v1+json';
  const index = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: images.map((i) => i.descriptor) })));
  return { index, descriptor: { mediaType, digest: index.digest, size: index.size }, blobs: [index, ...images.flatMap((i) => i.blobs)] };
}

/** Write an OCI image layout: blobs plus index.json naming each descriptor by tag. */
export function writeLayout(dir: string, refs: Array<{ tag: string; descriptor: Descriptor }>, blobs: Blob[]): void {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of blobs) fs.writeFileSync(path.join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.data);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const manifests = refs.map((r) => ({
    ...r.descriptor,
    platform: undefined,
    annotations: { 'org.opencontainers.image.ref.name': r.tag },
  }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}
