// Unpack one layer blob into an empty directory: decompress (gzip, zstd or
// plain, by magic number) and hash every decompressed byte for the diff_id
// (decode.ts, on a thread of the addon), read the tar stream as it arrives
// (tar.ts), and carry out each entry through the addon relative to the
// layer root fd (native/src/layer_fs.c). OCI whiteouts become
// overlayfs ones. Entries are applied synchronously, chunk by chunk: a
// layer of small files costs a few system calls per file and little else.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { log } from '../../log';
import { native as realNative, type LayerTimes, type Native } from '../../native';
import { ImageError, LayerEntryError } from '../errors';
import { decodeLayer } from './decode';
import type { Compression } from './decompress';
import { classifyEntry, EntryRefused, type EntryAction } from './entry';
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

  const dirTimes = new Map<string, LayerTimes>();
  let contentBytes = 0;
  let entries = 0;
  let lastEntry = '';
  /** the file being written, closed on a failure */
  let openFd = -1;

  const refuse = (name: string, why: string, cause?: unknown): LayerEntryError =>
    new LayerEntryError(opts.layerName, name, why, cause === undefined ? {} : { cause });

  const apply = (a: EntryAction, name: string): void => {
    switch (a.kind) {
      case 'dir':
        n.layerMkdir(rootFd, a.path, a.meta);
        dirTimes.set(a.path, { atime: a.meta.atime, atimeNs: a.meta.atimeNs, mtime: a.meta.mtime, mtimeNs: a.meta.mtimeNs });
        return;
      case 'symlink':
        dirTimes.delete(a.path);
        n.layerSymlink(rootFd, a.path, a.target, a.meta);
        return;
      case 'hardlink':
        dirTimes.delete(a.path);
        n.layerHardlink(rootFd, a.path, a.target);
        return;
      case 'device':
        dirTimes.delete(a.path);
        n.layerMknod(rootFd, a.path, a.device, a.major, a.minor, a.meta);
        return;
      case 'whiteout':
        n.layerWhiteout(rootFd, a.path, a.meta);
        return;
      case 'opaque':
        n.layerOpaque(rootFd, a.dir);
        return;
      case 'skip':
        log.debug('layer: skipping AUFS metadata entry', { layer: opts.layerName, entry: name });
        return;
      case 'file':
        throw new Error('internal: files are written by the entry handler');
    }
  };

  /**
   * The regular file being written (one at a time; one sink for them all):
   * written in one call when its content is at hand (most are), else created
   * at its first bytes and finished at its end.
   */
  let file: Extract<EntryAction, { kind: 'file' }> | undefined;
  let fileName = '';
  const fileFailed = (e: unknown): LayerEntryError => refuse(fileName, describeNativeError(e, file), e);
  const fileSink: ContentSink = {
    whole: (data) => {
      const f = file as Extract<EntryAction, { kind: 'file' }>;
      try {
        n.layerWriteFile(rootFd, f.path, f.meta, data);
      } catch (e) {
        throw fileFailed(e);
      }
      contentBytes += data.length;
    },
    write: (data) => {
      const f = file as Extract<EntryAction, { kind: 'file' }>;
      try {
        if (openFd < 0) openFd = n.layerCreateFile(rootFd, f.path, f.meta.mode);
        n.layerWrite(openFd, data);
      } catch (e) {
        throw fileFailed(e);
      }
      contentBytes += data.length;
    },
    end: () => {
      const fd = openFd;
      openFd = -1;
      try {
        n.layerFinishFile(fd, (file as Extract<EntryAction, { kind: 'file' }>).meta);
      } catch (e) {
        throw fileFailed(e);
      }
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
      file = action;
      fileName = name;
      return fileSink;
    }
    try {
      apply(action, name);
    } catch (e) {
      throw refuse(name, describeNativeError(e, action), e);
    }
    return undefined;
  };

  const reader = new TarReader(onEntry);
  try {
    try {
      for await (const chunk of decoded.chunks) {
        reader.push(chunk);
        // let the rest of the process (other downloads, progress) run between chunks
        await nextTurn();
      }
    } catch (e) {
      if (e instanceof LayerEntryError || e instanceof TarFormatError) throw e;
      throw new ImageError(`layer ${opts.layerName}: reading the ${compression === 'none' ? 'tar' : compression} stream: ${(e as Error).message}`, { cause: e });
    }
    reader.end();
  } catch (e) {
    decoded.cancel();
    if (openFd >= 0) n.closeFd(openFd);
    throw tarError(e, opts.layerName, lastEntry);
  }

  // directories last, deepest first: creating their entries changed their times
  const dirs = [...dirTimes.keys()].sort((a, b) => depth(b) - depth(a));
  for (const d of dirs) {
    try {
      n.layerSetTimes(rootFd, d, dirTimes.get(d) as LayerTimes);
    } catch (e) {
      // a directory removed or replaced later in the layer
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw refuse(d, describeNativeError(e, undefined), e);
    }
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
