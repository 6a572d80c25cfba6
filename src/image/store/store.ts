// The image store under the image root (mode 0700), in containerd's spirit:
//   blobs/<alg>/<hex>        verified content: manifests, indexes, configs, layer blobs
//   ingest/<alg>-<hex>       downloads in progress (a killed pull resumes from them)
//   layers/<alg>/<chain>/    one unpacked layer per chain id: diff/ (the tree) + layer.json
//   refs.json                names ("docker.io/library/busybox:latest") -> image
//   in-use/<holder>.json     layers a container uses (prune never removes them)
//   locks/                   flock files: store (shared by pulls, exclusive for prune/rmi),
//                            blob-*, layer-* (one download and one unpack each), refs
//   tmp/                     layers being unpacked, things being deleted
// Digests are validated before they become paths; content is verified before
// it is renamed into blobs/ or layers/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { native as realNative, type Native } from '../../native';
import { digestOf, isDigest, parseDigest } from '../digest';
import { ImageError, VerificationError } from '../errors';
import { Ingest } from './ingest';
import { lock, type Lock } from './lock';

export interface LayerInfo {
  chainId: string;
  diffId: string;
  /** chain id of the layer below; absent for the bottom one */
  parent?: string;
  /** the compressed blob it came from */
  blob: string;
  /** bytes of regular file content */
  size: number;
  unpacked: string;
}

/** What a name points at. */
export interface RefRecord {
  /** what the name resolved to at the registry: an index or a manifest */
  target: string;
  targetMediaType: string;
  /** the image manifest for this machine's (or the chosen) platform */
  manifest: string;
  config: string;
  platform: string;
  /** when this name was last pulled, loaded or tagged */
  updated: string;
}

interface RefsFile {
  refs: Record<string, RefRecord>;
}

const LAYER_TREE = 'diff';
const LAYER_INFO = 'layer.json';

export class ImageStore {
  private constructor(
    readonly root: string,
    readonly native: Native,
  ) {}

  /** Open (creating) the store at root, mode 0700. */
  static open(root: string, native: Native = realNative()): ImageStore {
    try {
      fs.mkdirSync(root, { recursive: true, mode: 0o700 });
      const st = fs.statSync(root);
      if (!st.isDirectory()) throw new ImageError(`image root ${root} is not a directory`);
      if ((st.mode & 0o077) !== 0 && st.uid === process.geteuid?.()) fs.chmodSync(root, 0o700);
      for (const d of ['blobs', 'ingest', 'layers', 'locks', 'tmp', 'in-use']) fs.mkdirSync(path.join(root, d), { mode: 0o700, recursive: true });
    } catch (e) {
      if (e instanceof ImageError) throw e;
      throw new ImageError(`image root ${root}: ${(e as Error).message}`, { cause: e });
    }
    return new ImageStore(root, native);
  }

  // --- blobs ---

  blobPath(digest: string): string {
    const d = parseDigest(digest, 'blob');
    return path.join(this.root, 'blobs', d.algorithm, d.hex);
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  blobSize(digest: string): number | undefined {
    try {
      return fs.statSync(this.blobPath(digest)).size;
    } catch {
      return undefined;
    }
  }

  /** Read a small blob (manifest, config), checking it against its digest. */
  readBlob(digest: string, maxBytes = 16 * 1024 * 1024): Buffer {
    const p = this.blobPath(digest);
    let data: Buffer;
    try {
      const size = fs.statSync(p).size;
      if (size > maxBytes) throw new ImageError(`blob ${digest} is ${size} bytes, more than ${maxBytes} allowed here`);
      data = fs.readFileSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageError(`blob ${digest} is missing from the image store ${this.root}`);
      throw e;
    }
    const { algorithm } = parseDigest(digest, 'blob');
    if (digestOf(data, algorithm) !== digest) throw new VerificationError(`blob ${digest} in ${this.root} is corrupt (its content does not match its digest)`);
    return data;
  }

  /** Store a small blob held in memory, after checking its digest. Idempotent. */
  putBlob(digest: string, data: Buffer): void {
    const { algorithm } = parseDigest(digest, 'blob');
    if (digestOf(data, algorithm) !== digest) throw new VerificationError(`content does not match its digest ${digest}`);
    const dest = this.blobPath(digest);
    if (fs.existsSync(dest)) return;
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    const tmp = path.join(this.root, 'tmp', `blob-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, dest);
  }

  /** Open the ingest file of a blob (hold its lock). */
  openIngest(digest: string, size: number): Ingest {
    const d = parseDigest(digest, 'blob');
    return Ingest.open(path.join(this.root, 'ingest', `${d.algorithm}-${d.hex}`), digest, size);
  }

  /** Move a finished, verified ingest into blobs/. */
  commitIngest(ing: Ingest): void {
    const dest = this.blobPath(ing.digest);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    ing.commit(dest);
  }

  listBlobs(): string[] {
    const out: string[] = [];
    for (const alg of readdirSafe(path.join(this.root, 'blobs'))) {
      for (const hex of readdirSafe(path.join(this.root, 'blobs', alg))) if (isDigest(`${alg}:${hex}`)) out.push(`${alg}:${hex}`);
    }
    return out;
  }

  // --- layers ---

  layerPath(chainId: string): string {
    const d = parseDigest(chainId, 'layer chain id');
    return path.join(this.root, 'layers', d.algorithm, d.hex);
  }

  /** The unpacked tree of a layer: an overlayfs lowerdir. */
  layerTree(chainId: string): string {
    return path.join(this.layerPath(chainId), LAYER_TREE);
  }

  layerInfo(chainId: string): LayerInfo | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.layerPath(chainId), LAYER_INFO), 'utf8')) as LayerInfo;
    } catch {
      return undefined;
    }
  }

  hasLayer(chainId: string): boolean {
    return fs.existsSync(path.join(this.layerPath(chainId), LAYER_INFO));
  }

  listLayers(): string[] {
    const out: string[] = [];
    for (const alg of readdirSafe(path.join(this.root, 'layers'))) {
      for (const hex of readdirSafe(path.join(this.root, 'layers', alg))) if (isDigest(`${alg}:${hex}`)) out.push(`${alg}:${hex}`);
    }
    return out;
  }

  /** A fresh directory under tmp/ for a layer being unpacked: returns it and its tree dir. */
  newLayerDir(chainId: string): { dir: string; tree: string } {
    const d = parseDigest(chainId, 'layer chain id');
    const dir = path.join(this.root, 'tmp', `layer-${d.hex.slice(0, 16)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    const tree = path.join(dir, LAYER_TREE);
    fs.mkdirSync(tree, { mode: 0o755 });
    return { dir, tree };
  }

  /** Rename an unpacked, verified layer into place (hold its lock). */
  commitLayer(dir: string, info: LayerInfo): void {
    fs.writeFileSync(path.join(dir, LAYER_INFO), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    const dest = this.layerPath(info.chainId);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
    fs.renameSync(dir, dest);
  }

  /** Remove a directory tree: renamed into tmp/ first, so no half-removed layer ever looks whole. */
  removeTree(p: string): void {
    const doomed = path.join(this.root, 'tmp', `rm-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      fs.renameSync(p, doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    fs.rmSync(doomed, { recursive: true, force: true });
  }

  // --- locks ---

  private lockFile(name: string): string {
    return path.join(this.root, 'locks', name);
  }

  /** Pulls and loads hold this shared; prune and rmi exclusive. */
  lockStore(exclusive: boolean, onWait?: () => void): Promise<Lock> {
    return lock(this.native, this.lockFile('store'), exclusive, onWait);
  }

  lockBlob(digest: string, onWait?: () => void): Promise<Lock> {
    const d = parseDigest(digest, 'blob');
    return lock(this.native, this.lockFile(`blob-${d.algorithm}-${d.hex}`), true, onWait);
  }

  lockLayer(chainId: string, onWait?: () => void): Promise<Lock> {
    const d = parseDigest(chainId, 'layer chain id');
    return lock(this.native, this.lockFile(`layer-${d.algorithm}-${d.hex}`), true, onWait);
  }

  // --- refs ---

  readRefs(): Record<string, RefRecord> {
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(this.root, 'refs.json'), 'utf8')) as RefsFile;
      return doc.refs ?? {};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ImageError(`image store ${this.root}: refs.json is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Change refs.json under its lock (read, modify, atomic replace). */
  async updateRefs<T>(change: (refs: Record<string, RefRecord>) => T): Promise<T> {
    const l = await lock(this.native, this.lockFile('refs'), true);
    try {
      const refs = this.readRefs();
      const result = change(refs);
      const file = path.join(this.root, 'refs.json');
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify({ refs }, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(tmp, file);
      return result;
    } finally {
      l.release();
    }
  }
}

export function readdirSafe(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
