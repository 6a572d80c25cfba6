// What one tar entry means for a layer directory: its normalised path, its
// kind (overlayfs whiteouts included) and its metadata. Pure: refuses hostile
// names here, before anything touches the filesystem (the addon checks again).
import type { LayerEntryMeta } from '../../native';
import { parsePaxTime, type PaxRecords } from './pax';
import type { TarHeader } from './tar';

export type EntryAction =
  | { kind: 'file'; path: string; size: number; meta: LayerEntryMeta }
  | { kind: 'dir'; path: string; meta: LayerEntryMeta }
  | { kind: 'symlink'; path: string; target: string; meta: LayerEntryMeta }
  | { kind: 'hardlink'; path: string; target: string }
  | { kind: 'device'; path: string; device: 'c' | 'b' | 'p'; major: number; minor: number; meta: LayerEntryMeta }
  | { kind: 'whiteout'; path: string; meta: LayerEntryMeta }
  | { kind: 'opaque'; dir: string }
  /** AUFS metadata (.wh..wh.plnk/ and friends at the root): not content */
  | { kind: 'skip'; path: string };

/** A reason to refuse the entry; the caller names the layer and the entry. */
export class EntryRefused extends Error {}

const WHITEOUT_PREFIX = '.wh.';
const AUFS_META_PREFIX = '.wh..wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const PATH_MAX = 4096;
const NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
/** overlayfs reads these to redirect, merge or hide lower layers: a layer must not bring its own */
const OVERLAY_PRIVATE_XATTR = /^(trusted|user)\.overlay\./;

/** an empty, "." or ".." component (a leading or doubled slash is an empty one), or a NUL */
const NOT_PLAIN = /(?:^|\/)\.{0,2}(?:\/|$)|\0/;
/** names this short cannot break PATH_MAX or NAME_MAX (a UTF-16 unit is at most 3 UTF-8 bytes) */
const SHORT_NAME = Math.floor(NAME_MAX / 3);

/**
 * "./a//b/" -> "a/b"; "" for the root. Refuses NUL bytes, absolute names,
 * ".." and over-long names.
 */
export function normalizeEntryPath(raw: string): string {
  // the common case, cheaply: "a/b/c" (from "./a/b/c" or "a/b/c/") is already normal
  let plain = raw;
  while (plain.startsWith('./')) plain = plain.slice(2);
  if (plain.endsWith('/')) plain = plain.slice(0, -1);
  if (plain.length <= SHORT_NAME && !NOT_PLAIN.test(plain)) return plain;

  if (raw.includes('\0')) throw new EntryRefused('NUL byte in its name');
  if (raw.startsWith('/')) throw new EntryRefused('absolute name (layer entries are relative to the layer root)');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new EntryRefused('".." in its name would leave the layer');
  const path = parts.join('/');
  if (Buffer.byteLength(path) >= PATH_MAX) throw new EntryRefused(`name longer than ${PATH_MAX - 1} bytes`);
  for (const p of parts) if (Buffer.byteLength(p) > NAME_MAX) throw new EntryRefused(`a component longer than ${NAME_MAX} bytes`);
  return path;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function paxText(pax: PaxRecords | undefined, key: string): string | undefined {
  const v = pax?.get(key);
  return v === undefined ? undefined : v.toString('utf8');
}

function paxId(pax: PaxRecords | undefined, key: string, fallback: number): number {
  const v = paxText(pax, key);
  if (v === undefined) return fallback;
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xfffffffe) throw new EntryRefused(`invalid PAX ${key} ${JSON.stringify(v)}`);
  return Number(v);
}

/** Extended attributes from PAX records (SCHILY.xattr.* raw, LIBARCHIVE.xattr.* base64), overlay's own dropped. */
function entryXattrs(pax: PaxRecords): { xattrs: Array<[string, Buffer]>; dropped: string[] } {
  const xattrs: Array<[string, Buffer]> = [];
  const dropped: string[] = [];
  for (const [key, value] of pax) {
    let name: string | undefined;
    let data = value;
    if (key.startsWith('SCHILY.xattr.')) {
      name = key.slice('SCHILY.xattr.'.length);
    } else if (key.startsWith('LIBARCHIVE.xattr.')) {
      name = decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length));
      data = Buffer.from(value.toString('latin1'), 'base64');
    }
    if (name === undefined) continue;
    if (name.length === 0 || name.length > 255 || name.includes('\0')) throw new EntryRefused(`invalid xattr name ${JSON.stringify(name)}`);
    if (data.length > XATTR_SIZE_MAX) throw new EntryRefused(`xattr ${name} larger than ${XATTR_SIZE_MAX} bytes`);
    if (OVERLAY_PRIVATE_XATTR.test(name)) {
      dropped.push(name);
      continue;
    }
    // LIBARCHIVE and SCHILY may both carry the same attribute: the last wins
    const i = xattrs.findIndex(([n]) => n === name);
    if (i >= 0) xattrs.splice(i, 1);
    xattrs.push([name, data]);
  }
  return { xattrs, dropped };
}

function entryMeta(h: TarHeader, pax: PaxRecords | undefined, xattrs: Array<[string, Buffer]> | undefined): LayerEntryMeta {
  if (!pax) return { uid: h.uid, gid: h.gid, mode: h.mode & 0o7777, atime: h.mtime, atimeNs: 0, mtime: h.mtime, mtimeNs: 0 };
  const mtime = parsePaxTime(pax.get('mtime')) ?? { s: h.mtime, ns: 0 };
  const atime = parsePaxTime(pax.get('atime')) ?? mtime;
  const meta: LayerEntryMeta = {
    uid: paxId(pax, 'uid', h.uid),
    gid: paxId(pax, 'gid', h.gid),
    mode: h.mode & 0o7777,
    atime: atime.s,
    atimeNs: atime.ns,
    mtime: mtime.s,
    mtimeNs: mtime.ns,
  };
  if (xattrs?.length) meta.xattrs = xattrs;
  return meta;
}

/**
 * Decide what an entry does. `name` is the entry's full name (PAX path when
 * there is one). Throws EntryRefused for anything that could leave the layer
 * or that overlayfs would misread.
 */
export function classifyEntry(name: string, h: TarHeader, pax: PaxRecords | undefined): EntryAction {
  const path = normalizeEntryPath(name);
  // checked for every entry (an entry that does not keep them still may not bring bad ones)
  const xattrs = pax ? entryXattrs(pax).xattrs : undefined;
  const meta = (): LayerEntryMeta => entryMeta(h, pax, xattrs);
  // whiteouts and AUFS metadata (most names have no ".wh." anywhere)
  if (path.includes(WHITEOUT_PREFIX)) {
    const parts = path.split('/');
    if (parts[0]?.startsWith(AUFS_META_PREFIX) && parts[0] !== OPAQUE_MARKER) return { kind: 'skip', path };
    for (const p of parts.slice(0, -1)) {
      if (p.startsWith(WHITEOUT_PREFIX)) throw new EntryRefused(`whiteout name ${JSON.stringify(p)} used as a directory`);
    }
    const base = parts[parts.length - 1] ?? '';
    if (base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: parentOf(path) };
      if (base.startsWith(AUFS_META_PREFIX)) throw new EntryRefused('unknown whiteout metadata name (only .wh..wh..opq is defined)');
      const target = base.slice(WHITEOUT_PREFIX.length);
      if (target === '' || target === '.' || target === '..') throw new EntryRefused(`whiteout of the invalid name ${JSON.stringify(target)}`);
      return { kind: 'whiteout', path: join(parentOf(path), target), meta: meta() };
    }
  }
  if (path === '' && h.type !== 'directory') throw new EntryRefused(`the layer root must be a directory, not a ${h.type ?? 'unknown entry'}`);

  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return { kind: 'file', path, size: h.size, meta: meta() };
    case 'directory':
      return { kind: 'dir', path, meta: meta() };
    case 'symlink': {
      const target = h.linkname ?? '';
      if (target === '' || target.includes('\0')) throw new EntryRefused('symlink with an empty or NUL-containing target');
      if (Buffer.byteLength(target) >= PATH_MAX) throw new EntryRefused(`symlink target longer than ${PATH_MAX - 1} bytes`);
      return { kind: 'symlink', path, target, meta: meta() };
    }
    case 'link': {
      let target: string;
      try {
        target = normalizeEntryPath(h.linkname ?? '');
      } catch (e) {
        throw new EntryRefused(`hard link target ${JSON.stringify(h.linkname)}: ${(e as Error).message}`);
      }
      if (target === '') throw new EntryRefused('hard link to the layer root');
      return { kind: 'hardlink', path, target };
    }
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return {
        kind: 'device',
        path,
        device: h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c',
        major: h.devmajor,
        minor: h.devminor,
        meta: meta(),
      };
    default:
      throw new EntryRefused(`unsupported tar entry type ${JSON.stringify(h.typeflag)}`);
  }
}
