// A directory tree as data, for comparing unpacked layers: every entry's
// type, mode, owner, size, content hash, link target, device number, mtime,
// xattrs and which entries are hard links of one another.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  /** permission bits with setuid/setgid/sticky */
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  rdev?: [number, number];
  mtime: number;
  xattrs: Record<string, string>;
  /** first path (in sorted order) of the same inode, for hard links */
  linkOf?: string;
}

function typeOf(st: fs.Stats): TreeEntry['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** xattrs of every entry below root (getfattr, hex values), keyed by relative path. */
function allXattrs(root: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let text = '';
  try {
    text = execFileSync('getfattr', ['-R', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    text = String((e as { stdout?: string }).stdout ?? '');
  }
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {};
      out.set(path.relative(root, line.slice(8)) || '.', current);
    } else if (current && line.includes('=')) {
      const i = line.indexOf('=');
      current[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

export function snapshot(root: string, opts: { mtimes?: boolean } = {}): Record<string, TreeEntry> {
  const xattrs = allXattrs(root);
  const out: Record<string, TreeEntry> = {};
  const inodes = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = rel === '.' ? root : path.join(root, rel);
    const st = fs.lstatSync(abs);
    const e: TreeEntry = {
      type: typeOf(st),
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: opts.mtimes === false ? 0 : Math.trunc(st.mtimeMs / 1000),
      xattrs: xattrs.get(rel) ?? {},
    };
    if (e.type === 'file') {
      e.size = st.size;
      e.sha256 = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        const first = inodes.get(key);
        if (first) e.linkOf = first;
        else inodes.set(key, rel);
      }
    }
    if (e.type === 'symlink') e.target = fs.readlinkSync(abs);
    if (e.type === 'char' || e.type === 'block') e.rdev = [Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)];
    out[rel] = e;
    if (e.type === 'dir') for (const n of fs.readdirSync(abs).sort()) walk(rel === '.' ? n : `${rel}/${n}`);
  };
  walk('.');
  return out;
}
