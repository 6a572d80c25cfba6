// Unpack one layer blob into an empty directory: decompress (gzip, zstd or
// plain, by magic number) and hash every decompressed byte for the diff_id
// (decode.ts, on a thread of the addon), read the tar stream as it arrives
// (tar.ts), and carry out each entry through the addon relative to the
// layer root fd (native/src/layer_fs.c), on a third thread (apply.ts) while
// the JS thread parses the next chunk. OCI whiteouts become overlayfs ones.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { log } from '../../log';
import { native as realNative, type LayerTimes, type Native } from '../../native';
import { ImageError, LayerEntryError } from '../errors';
import { Applier, type ApplyFailure } from './apply';
import { decodeLayer } from './decode';
import type { Compression } from './decompress';
import { classifyEntry, EntryRefused, type EntryAction } from './entry';
import type { OpEntry } from './ops';
import type { PaxRecords } from './pax';
import { TarFormatError, TarReader, type ContentSink, type TarHeader } from './tar';

export interface UnpackOptions {
  /** the layer blob (already verified against its digest) */
  blobPath: string;
  /** an empty directory: the layer root */
  destDir: string;
  /** names the layer in errors ("sha256:4b8e…") */
  layerName: string;
  native?: Native;
  /** compressed bytes read so far */
  onProgress?: (bytesRead: number) => void;
}

export interface UnpackResult {
  /** sha256 of every decompressed byte: compare with the config's diff_id */
  diffId: string;
  compression: Compression;
  /** bytes of regular file content */
  contentBytes: number;
  entries: number;
}

export async function unpackLayer(opts: UnpackOptions): Promise<UnpackResult> {
  const n = opts.native ?? realNative();
  const rootFd = n.layerOpenRoot(opts.destDir);
  try {
    return await unpackInto(n, rootFd, opts);
  } finally {
    n.closeFd(rootFd);
  }
}

async function unpackInto(n: Native, rootFd: number, opts: UnpackOptions): Promise<UnpackResult> {
  const decoded = decodeLayer(opts.blobPath, opts.onProgress, n);
  const compression = decoded.compression;
  let applier: Applier;
  try {
    applier = new Applier(n, rootFd, decoded.ring);
  } catch (e) {
    decoded.cancel();
    throw e;
  }

  const dirTimes = new Map<string, LayerTimes>();
  let contentBytes = 0;
  let entries = 0;
  let lastEntry = '';
  /** the operations for the chunk being parsed */
  let ops = applier.batch();

  const refuse = (name: string, why: string, cause?: unknown): LayerEntryError =>
    new LayerEntryError(opts.layerName, name, why, cause === undefined ? {} : { cause });

  const apply = (a: EntryAction, entry: OpEntry): void => {
    switch (a.kind) {
      case 'dir':
        ops.mkdir(entry, a.path, a.meta);
        dirTimes.set(a.path, { atime: a.meta.atime, atimeNs: a.meta.atimeNs, mtime: a.meta.mtime, mtimeNs: a.meta.mtimeNs });
        return;
      case 'symlink':
        dirTimes.delete(a.path);
        ops.symlink(entry, a.path, a.target, a.meta);
        return;
      case 'hardlink':
        dirTimes.delete(a.path);
        ops.hardlink(entry, a.path, a.target);
        return;
      case 'device':
        dirTimes.delete(a.path);
        ops.mknod(entry, a.path, a.device, a.major, a.minor, a.meta);
        return;
      case 'whiteout':
        ops.whiteout(entry, a.path, a.meta);
        return;
      case 'opaque':
        ops.opaque(entry, a.dir);
        return;
      case 'skip':
        log.debug('layer: skipping AUFS metadata entry', { layer: opts.layerName, entry: entry.name });
        return;
      case 'file':
        throw new Error('internal: files are written by the entry handler');
    }
  };

  /**
   * The regular file being written (one at a time; one sink for them all):
   * written by one operation when its content is at hand in one chunk (most
   * are), else opened at its first bytes, written piece by piece, finished.
   */
  let file: OpEntry & { action: Extract<EntryAction, { kind: 'file' }> } = { name: '', action: { kind: 'file', path: '', size: 0, meta: { uid: 0, gid: 0, mode: 0 } } };
  let fileOpen = false;
  const fileSink: ContentSink = {
    whole: (data) => {
      ops.file(file, file.action.path, file.action.meta, data);
      contentBytes += data.length;
    },
    write: (data) => {
      if (!fileOpen) ops.open(file, file.action.path, file.action.meta.mode);
      fileOpen = true;
      ops.write(file, data);
      contentBytes += data.length;
    },
    end: () => {
      fileOpen = false;
      ops.close(file, file.action.meta);
    },
  };

  const onEntry = (header: TarHeader, pax: PaxRecords | undefined): ContentSink | undefined => {
    entries++;
    const name = header.name;
    lastEntry = name;
    let action: EntryAction;
    try {
      action = classifyEntry(name, header, pax);
    } catch (e) {
      throw e instanceof EntryRefused ? refuse(name, e.message) : e;
    }
    if (action.kind === 'file') {
      dirTimes.delete(action.path);
      file = { name, action };
      return fileSink;
    }
    apply(action, { name, action });
    return undefined;
  };

  /** the operation that failed on the applying thread, as the entry's error */
  const applyFailed = (f: ApplyFailure): LayerEntryError => refuse(f.entry.name, describeNativeError(f.error, f.entry.action), f.error);

  const reader = new TarReader(onEntry);
  try {
    try {
      for await (const chunk of decoded.chunks) {
        reader.push(chunk);
        // the chunk's memory goes back to the decoder once its operations are done
        applier.submit(ops, decoded.release);
        ops = applier.batch();
        if (applier.failure) throw applyFailed(applier.failure);
        // let the rest of the process (other downloads, progress) run between chunks
        await nextTurn();
      }
    } catch (e) {
      if (e instanceof LayerEntryError || e instanceof TarFormatError) throw e;
      throw new ImageError(`layer ${opts.layerName}: reading the ${compression === 'none' ? 'tar' : compression} stream: ${(e as Error).message}`, { cause: e });
    }
    reader.end();
    // directories last, deepest first: creating their entries changed their times
    for (const d of [...dirTimes.keys()].sort((a, b) => depth(b) - depth(a))) ops.times({ name: d }, d, dirTimes.get(d) as LayerTimes);
    applier.submit(ops, () => {});
    await applier.end();
    if (applier.failure) throw applyFailed(applier.failure);
  } catch (e) {
    decoded.cancel();
    // the thread uses the root fd until it is done
    await applier.cancel();
    throw tarError(e, opts.layerName, lastEntry);
  }
  return { diffId: await decoded.diffId(), compression, contentBytes, entries };
}

function depth(p: string): number {
  if (p === '') return -1;
  let d = 0;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) d++;
  return d;
}

/** The reader's own errors, with the entry they are about. */
function tarError(e: unknown, layer: string, lastEntry: string): Error {
  if (!(e instanceof TarFormatError)) return e instanceof Error ? e : new Error(String(e));
  const at = lastEntry ? `after entry ${JSON.stringify(lastEntry)}` : 'at the start of the layer';
  if (e.entry !== undefined) return new LayerEntryError(layer, e.entry, `${e.message} (${at})`, { cause: e });
  return new LayerEntryError(layer, lastEntry, `not a valid tar stream ${at}: ${e.message}`, { cause: e });
}

function describeNativeError(e: unknown, a: EntryAction | undefined): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ELOOP':
      return 'its path goes through a symbolic link (a layer entry may not)';
    case 'ENOTDIR':
      return 'a component of its path is not a directory';
    case 'EXDEV':
      return 'its path crosses a mount point';
    case 'ENOENT':
      if (a?.kind === 'hardlink') return `hard link target ${JSON.stringify(a.target)} is not an earlier entry of this layer`;
      break;
    case 'EPERM':
      if (a?.kind === 'hardlink') return `hard link target ${JSON.stringify(a.target)} is a directory`;
      break;
    default:
      break;
  }
  return err.message ?? String(e);
}
