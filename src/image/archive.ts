// `image save` and `image load`: images as files, for machines without a
// registry. save writes an OCI image layout as a tar (oci-layout, index.json,
// blobs/) plus Docker's manifest.json, so both `tsrun image load` and
// `docker load` take it. load reads an OCI layout tar or a `docker save`
// archive (either layout, compressed or not), verifies every blob against its
// digest, unpacks the layers and records the names.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { MEDIA_TYPES, type Descriptor, type Manifest } from '../../oci-spec/image';
import { chainIds, digestOf, isDigest, parseDigest, shortId } from './digest';
import { ImageError, LayerEntryError, VerificationError } from './errors';
import { ensureLayer } from './layers';
import { displayName, imageDetails, type LocalImage } from './local';
import { layerEncoding, parseManifest } from './manifest';
import { chooseManifest, formatPlatform, hostPlatform, normalizePlatform } from './platform';
import { parseImageConfig } from './pull';
import { parseReference, storeKey } from './reference';
import type { ImageStore } from './store/store';
import { decompressor, detectCompression } from './unpack/decompress';

const SMALL_FILE_LIMIT = 16 * 1024 * 1024;
const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

// ---------------------------------------------------------------- save

/** Write the images as one OCI layout tar (with Docker's manifest.json) to `out`. */
export async function saveImages(store: ImageStore, images: LocalImage[], out: Writable): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack as unknown as Readable, out);
  const written = new Set<string>();
  const addFile = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (e) => (e ? reject(e) : resolve())));
  const addBlob = async (digest: string): Promise<string> => {
    const d = parseDigest(digest, 'blob');
    const name = `blobs/${d.algorithm}/${d.hex}`;
    if (written.has(digest)) return name;
    written.add(digest);
    const size = store.blobSize(digest);
    if (size === undefined) throw new ImageError(`blob ${digest} is missing from the image store`);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, size, mode: 0o644, mtime: new Date(0) }, (e) => (e ? reject(e) : resolve()));
      fs.createReadStream(store.blobPath(digest)).on('error', reject).pipe(sink as unknown as Writable);
    });
    return name;
  };

  await addFile('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const index: Descriptor[] = [];
  const dockerManifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  for (const img of images) {
    const { manifest } = imageDetails(store, img.record);
    const manifestBytes = store.readBlob(img.record.manifest);
    const mediaType = (JSON.parse(manifestBytes.toString('utf8')) as { mediaType?: string }).mediaType ?? MEDIA_TYPES.ociManifest;
    await addBlob(img.record.manifest);
    const configName = await addBlob(manifest.config.digest);
    const layerNames: string[] = [];
    for (const l of manifest.layers) layerNames.push(await addBlob(l.digest));
    const key = img.key;
    const tag = key.includes('@') ? undefined : key.slice(key.lastIndexOf(':') + 1);
    const [os, architecture, variant] = img.record.platform.split('/');
    index.push({
      mediaType,
      digest: img.record.manifest,
      size: manifestBytes.length,
      platform: { os: os ?? 'linux', architecture: architecture ?? 'amd64', ...(variant ? { variant } : {}) },
      annotations: { [ANNOTATION_IMAGE_NAME]: key, ...(tag ? { [ANNOTATION_REF_NAME]: tag } : {}) },
    });
    const existing = dockerManifest.find((m) => m.Config === configName);
    if (existing) {
      if (tag) existing.RepoTags.push(displayName(key));
    } else {
      dockerManifest.push({ Config: configName, RepoTags: tag ? [displayName(key)] : [], Layers: layerNames });
    }
  }
  await addFile('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: index })));
  await addFile('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
  pack.finalize();
  await done;
}

// ---------------------------------------------------------------- load

export interface LoadedImage {
  /** store key, or undefined for an image without a name */
  name?: string;
  config: string;
}

interface ArchiveContents {
  /** small JSON files by normalised name */
  files: Map<string, Buffer>;
  /** every other file: its name -> the digest it was stored under */
  blobs: Map<string, string>;
  /** blobs this load stored (removed again when the archive turns out bad) */
  added: string[];
}

function normalizeName(name: string): string {
  return name.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

/** Read the archive, storing each file that is not small metadata as a blob (verified when named by digest). */
async function readArchive(store: ImageStore, input: Readable, contents: ArchiveContents): Promise<void> {
  const head = await peek(input);
  const dec = await decompressor(detectCompression(head.first));
  const source = dec ? head.stream.pipe(dec) : head.stream;
  const ex = tar.extract();
  ex.on('entry', (header, stream, next) => {
    const name = normalizeName(header.name);
    const handle = async (): Promise<void> => {
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        stream.resume();
        return;
      }
      if (name.includes('..')) throw new ImageError(`archive entry ${JSON.stringify(header.name)}: ".." in its name`);
      const blobMatch = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
      if (!blobMatch && (name.endsWith('.json') || name === 'oci-layout' || name === 'repositories') && header.size <= SMALL_FILE_LIMIT) {
        const chunks: Buffer[] = [];
        for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
        contents.files.set(name, Buffer.concat(chunks));
        return;
      }
      const named = blobMatch ? `${blobMatch[1]}:${blobMatch[2]}` : undefined;
      if (named !== undefined && !isDigest(named)) throw new ImageError(`archive entry ${name}: not a valid digest`);
      const digest = await storeStream(store, stream as unknown as Readable, header.size, named, contents.added);
      contents.blobs.set(name, digest);
    };
    handle().then(
      () => next(),
      (e: unknown) => {
        stream.resume();
        ex.destroy(e as Error);
      },
    );
  });
  await pipeline(source, ex as unknown as Writable);
}

/** The first bytes of a stream (to tell gzip and zstd from tar), and the stream with them put back. */
async function peek(input: Readable): Promise<{ first: Buffer; stream: Readable }> {
  const first = await new Promise<Buffer>((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = input.read() as Buffer | null;
      cleanup();
      resolve(chunk ?? Buffer.alloc(0));
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.alloc(0));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    input.on('readable', onReadable);
    input.on('end', onEnd);
    input.on('error', onError);
  });
  if (first.length) input.unshift(first);
  return { first, stream: input };
}

/** Store a stream as a blob: into tmp/ while hashing, then renamed to its digest. */
async function storeStream(store: ImageStore, stream: Readable, size: number, expected: string | undefined, added: string[]): Promise<string> {
  const algorithm = expected ? parseDigest(expected, 'blob').algorithm : 'sha256';
  const hash = crypto.createHash(algorithm);
  const tmp = path.join(store.root, 'tmp', `load-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  let n = 0;
  try {
    for await (const c of stream as AsyncIterable<Buffer>) {
      hash.update(c);
      let off = 0;
      while (off < c.length) off += fs.writeSync(fd, c, off, c.length - off);
      n += c.length;
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  const digest = `${algorithm}:${hash.digest('hex')}`;
  if (n !== size || (expected !== undefined && digest !== expected)) {
    fs.rmSync(tmp, { force: true });
    throw new VerificationError(`archive blob ${expected ?? ''}: content does not match its name (got ${digest}, ${n} bytes)`);
  }
  if (store.hasBlob(digest)) {
    fs.rmSync(tmp, { force: true });
  } else {
    const dest = store.blobPath(digest);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.renameSync(tmp, dest);
    added.push(digest);
  }
  return digest;
}

interface Candidate {
  names: string[];
  manifestDigest: string;
  manifest: Manifest;
}

function jsonFile<T>(c: ArchiveContents, name: string): T | undefined {
  const b = c.files.get(name);
  if (!b) return undefined;
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch (e) {
    throw new ImageError(`archive: ${name} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A full image name from an annotation; tags alone ("latest") name nothing. */
function nameFrom(text: string | undefined): string | undefined {
  if (!text || !/[/:]/.test(text) || /^[\w][\w.-]*$/.test(text)) return undefined;
  try {
    return storeKey(parseReference(text));
  } catch {
    return undefined;
  }
}

/** Images described by an OCI layout's index.json. */
function fromOciLayout(store: ImageStore, c: ArchiveContents): Candidate[] {
  const index = jsonFile<unknown>(c, 'index.json');
  if (index === undefined) return [];
  const parsed = parseManifest(Buffer.from(JSON.stringify(index)), MEDIA_TYPES.ociIndex, 'archive index.json');
  if (parsed.kind !== 'index') throw new ImageError('archive: index.json is not an image index');
  const out: Candidate[] = [];
  for (const d of parsed.index.manifests) {
    const names = [nameFrom(d.annotations?.[ANNOTATION_IMAGE_NAME]), nameFrom(d.annotations?.[ANNOTATION_REF_NAME])].filter((n): n is string => !!n);
    let digest = d.digest;
    let m = parseManifest(store.readBlob(digest), d.mediaType, `archive manifest ${digest}`);
    if (m.kind === 'index') {
      digest = chooseManifest(m.index.manifests, hostPlatform(), `archive index entry ${d.digest}`).digest;
      m = parseManifest(store.readBlob(digest), undefined, `archive manifest ${digest}`);
    }
    if (m.kind !== 'manifest') throw new ImageError(`archive: ${digest} is not an image manifest`);
    out.push({ names: [...new Set(names)], manifestDigest: digest, manifest: m.manifest });
  }
  return out;
}

/** Images described by Docker's manifest.json (docker save, legacy or OCI-based). */
function fromDockerManifest(store: ImageStore, c: ArchiveContents): Candidate[] {
  const items = jsonFile<Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>>(c, 'manifest.json');
  if (!Array.isArray(items)) return [];
  return items.map((item, i) => {
    const where = `archive manifest.json[${i}]`;
    const configName = normalizeName(item.Config ?? '');
    const configBytes = c.files.get(configName) ?? (c.blobs.has(configName) ? store.readBlob(c.blobs.get(configName) as string) : undefined);
    if (!configBytes) throw new ImageError(`${where}: config ${JSON.stringify(item.Config)} is not in the archive`);
    const configDigest = digestOf(configBytes);
    store.putBlob(configDigest, configBytes);
    const layers: Descriptor[] = (item.Layers ?? []).map((l) => {
      const digest = c.blobs.get(normalizeName(l));
      if (!digest) throw new ImageError(`${where}: layer ${JSON.stringify(l)} is not in the archive`);
      const head = Buffer.alloc(4);
      const fd = fs.openSync(store.blobPath(digest), 'r');
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      const comp = detectCompression(head);
      const mediaType = comp === 'gzip' ? MEDIA_TYPES.ociLayerTarGzip : comp === 'zstd' ? MEDIA_TYPES.ociLayerTarZstd : MEDIA_TYPES.ociLayerTar;
      return { mediaType, digest, size: store.blobSize(digest) as number };
    });
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = digestOf(bytes);
    store.putBlob(manifestDigest, bytes);
    const names = (item.RepoTags ?? []).map((t) => storeKey(parseReference(t)));
    return { names, manifestDigest, manifest };
  });
}

/** Load an archive into the store; reports each layer as pull does. */
export async function loadArchive(
  store: ImageStore,
  input: Readable,
  report: (id: string, status: import('./progress').LayerStatus, current?: number, total?: number) => void,
): Promise<LoadedImage[]> {
  const storeLock = await store.lockStore(false);
  const c: ArchiveContents = { files: new Map(), blobs: new Map(), added: [] };
  try {
    await readArchive(store, input, c);
    let candidates = fromOciLayout(store, c);
    const docker = fromDockerManifest(store, c);
    if (candidates.length === 0) candidates = docker;
    else {
      // an OCI layout from docker save names its images in manifest.json
      for (const cand of candidates) {
        if (cand.names.length) continue;
        const twin = docker.find((d) => d.manifest.config.digest === cand.manifest.config.digest);
        if (twin) cand.names = twin.names;
      }
    }
    if (candidates.length === 0) throw new ImageError('archive: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)');
    const loaded: LoadedImage[] = [];
    for (const cand of candidates) {
      const config = parseImageConfig(store.readBlob(cand.manifest.config.digest), `image config ${cand.manifest.config.digest}`);
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== cand.manifest.layers.length) throw new ImageError(`archive image ${cand.manifestDigest}: ${cand.manifest.layers.length} layers but ${diffIds.length} diff_ids`);
      const chains = chainIds(diffIds);
      for (let i = 0; i < cand.manifest.layers.length; i++) {
        const l = cand.manifest.layers[i] as Descriptor;
        layerEncoding(l, `archive image ${cand.manifestDigest}: layers[${i}]`);
        if (!store.hasBlob(l.digest)) throw new ImageError(`archive image ${cand.manifestDigest}: layer ${l.digest} is not in the archive`);
        await ensureLayer(store, l, diffIds[i] as string, chains[i] as string, chains[i - 1], (status, cur, tot) => report(shortId(l.digest), status, cur, tot));
      }
      const platform = formatPlatform(normalizePlatform(config));
      await store.updateRefs((refs) => {
        for (const name of cand.names) {
          refs[name] = {
            target: cand.manifestDigest,
            targetMediaType: cand.manifest.mediaType ?? MEDIA_TYPES.ociManifest,
            manifest: cand.manifestDigest,
            config: cand.manifest.config.digest,
            platform,
            updated: new Date().toISOString(),
          };
        }
      });
      if (cand.names.length === 0) loaded.push({ config: cand.manifest.config.digest });
      for (const name of cand.names) loaded.push({ name, config: cand.manifest.config.digest });
    }
    return loaded;
  } catch (e) {
    if (e instanceof VerificationError || e instanceof LayerEntryError) for (const d of c.added) fs.rmSync(store.blobPath(d), { force: true });
    throw e;
  } finally {
    storeLock.release();
  }
}
