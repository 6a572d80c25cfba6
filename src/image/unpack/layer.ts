// Unpack one layer blob into an empty directory: decompress (gzip, zstd or
// plain, by magic number), hash every decompressed byte for the diff_id, parse
// with tar-stream, and carry out each entry through the addon relative to the
// layer root fd (native/src/layer_fs.c). OCI whiteouts become overlayfs ones.
// tar-stream is only the parser here: it never touches the filesystem.
import * as tar from 'tar-stream';
import { log } from '../../log';
import { native as realNative, type LayerTimes, type Native } from '../../native';
import { ImageError, LayerEntryError } from '../errors';
import { decodeLayer } from './decode';
import type { Compression } from './decompress';
import { classifyEntry, EntryRefused, type EntryAction, type TarHeader } from './entry';
import { MAX_PAX_BYTES, parsePax, PaxError, type PaxRecords } from './pax';

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

type Extract = ReturnType<typeof tar.extract>;
/** tar-stream's private hook through which each PAX block passes (3.x) */
interface ExtractInternals {
  _decodeLongHeader(buf: Buffer): void;
  _header: { type: string; name: string } | null;
}

/**
 * Keep the raw bytes of each PAX block: tar-stream decodes PAX values as UTF-8
 * text, which corrupts binary xattrs (security.capability). Its version is
 * pinned exactly; this fails loudly if the hook ever disappears.
 */
function capturePax(ex: Extract, onPax: (global: boolean, buf: Buffer) => void): void {
  const inner = ex as unknown as ExtractInternals;
  const original = inner._decodeLongHeader;
  if (typeof original !== 'function') throw new Error('tar-stream: unsupported version (no _decodeLongHeader)');
  inner._decodeLongHeader = function (this: ExtractInternals, buf: Buffer) {
    const type = this._header?.type;
    if (type === 'pax-header' || type === 'pax-global-header') onPax(type === 'pax-global-header', buf);
    return original.call(this, buf);
  };
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
  const decoded = await decodeLayer(opts.blobPath, opts.onProgress);
  const compression = decoded.compression;

  const ex = tar.extract();
  let failure: Error | undefined;
  const fail = (e: unknown): void => {
    if (failure) return;
    failure = e instanceof Error ? e : new Error(String(e));
    ex.destroy(failure);
  };

  let pendingPax: PaxRecords | undefined;
  let globalPax: PaxRecords | undefined;
  let lastEntry = '';
  capturePax(ex, (global, buf) => {
    try {
      const records = parsePax(buf);
      if (global) globalPax = new Map([...(globalPax ?? []), ...records]);
      else pendingPax = records;
    } catch (e) {
      const at = lastEntry ? ` (after entry ${JSON.stringify(lastEntry)})` : ' (at the start of the layer)';
      fail(new LayerEntryError(opts.layerName, (ex as unknown as ExtractInternals)._header?.name ?? '', `${(e as Error).message}${at}`));
      throw e;
    }
  });

  const dirTimes = new Map<string, LayerTimes>();
  let contentBytes = 0;
  let entries = 0;

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

  ex.on('entry', (header, stream, next) => {
    // destroying the extractor on a failure destroys this stream with the error: handled by fail()
    stream.on('error', () => undefined);
    if (failure) return;
    entries++;
    const pax = mergePax(globalPax, pendingPax);
    pendingPax = undefined;
    // PAX path/linkpath from the raw records: tar-stream's decoding loses a NUL byte's meaning
    const rawPath = pax?.get('path');
    const name = rawPath !== undefined ? rawPath.toString('utf8') : header.name;
    lastEntry = name;
    let action: EntryAction;
    try {
      const h = header as unknown as TarHeader;
      const linkpath = pax?.get('linkpath');
      if (linkpath !== undefined) h.linkname = linkpath.toString('utf8');
      action = classifyEntry(name, h, pax);
    } catch (e) {
      fail(e instanceof EntryRefused ? refuse(name, e.message) : e);
      return;
    }
    if (action.kind !== 'file') {
      try {
        apply(action, name);
      } catch (e) {
        fail(refuse(name, describeNativeError(e, action), e));
        return;
      }
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    dirTimes.delete(action.path);
    let fd: number;
    try {
      fd = n.layerCreateFile(rootFd, action.path, action.meta.mode);
    } catch (e) {
      fail(refuse(name, describeNativeError(e, action), e));
      return;
    }
    let open = true;
    stream.on('data', (data) => {
      const chunk = data as Buffer;
      if (!open) return;
      try {
        n.layerWrite(fd, chunk);
        contentBytes += chunk.length;
      } catch (e) {
        open = false;
        n.closeFd(fd);
        fail(refuse(name, describeNativeError(e, action), e));
      }
    });
    stream.on('end', () => {
      if (!open) return;
      open = false;
      try {
        n.layerFinishFile(fd, action.meta);
      } catch (e) {
        fail(refuse(name, describeNativeError(e, action), e));
        return;
      }
      next();
    });
    stream.on('error', () => {
      if (open) {
        open = false;
        n.closeFd(fd);
      }
    });
  });

  const done = new Promise<void>((resolve) => {
    ex.on('error', (e: Error) => fail(tarError(e, opts.layerName, lastEntry, ex)));
    ex.on('close', () => resolve());
    ex.on('finish', () => resolve());
  });

  try {
    for await (const chunk of decoded.chunks) {
      if (failure) break;
      if (!ex.write(chunk)) await drained(ex);
    }
  } catch (e) {
    fail(failure ? e : new ImageError(`layer ${opts.layerName}: reading the ${compression === 'none' ? 'tar' : compression} stream: ${(e as Error).message}`, { cause: e }));
  }
  if (!failure) (ex as unknown as { end(): void }).end();
  await done;
  if (!failure && !(ex as unknown as { _finished?: boolean })._finished && ex.destroyed) {
    failure = new LayerEntryError(opts.layerName, lastEntry, 'the tar stream ended early');
  }
  if (failure) {
    decoded.cancel();
    throw failure;
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

function mergePax(global: PaxRecords | undefined, local: PaxRecords | undefined): PaxRecords | undefined {
  if (!global) return local;
  if (!local) return global;
  return new Map([...global, ...local]);
}

function drained(ex: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      ex.off('drain', done);
      ex.off('close', done);
      resolve();
    };
    ex.on('drain', done);
    ex.on('close', done);
  });
}

/** tar-stream's own errors, with the entry they are about. */
function tarError(e: Error, layer: string, lastEntry: string, ex: Extract): Error {
  if (e instanceof LayerEntryError) return e;
  const at = lastEntry ? `after entry ${JSON.stringify(lastEntry)}` : 'at the start of the layer';
  if (/Header exceeds max size/.test(e.message)) {
    const h = (ex as unknown as ExtractInternals)._header;
    return new LayerEntryError(layer, h?.name ?? '', `extended header larger than tar-stream's 4 MiB limit (${MAX_PAX_BYTES} bytes allowed) ${at}`, { cause: e });
  }
  if (e instanceof PaxError) return new LayerEntryError(layer, lastEntry, e.message, { cause: e });
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
