// Volumes, as Docker keeps them: <image-root>/volumes/<name>/_data, plus
// volume.json (when and whether anonymous). A new, empty volume mounted over
// a directory the image has is first filled with the image's content.
import type * as ChildProcess from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, UsageError } from '../../errors';
import { native } from '../../native';
import { VOLUME_NAME } from './mount-specs';
import { randomHexId } from './records';

export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Anonymous: boolean;
}

export class Volumes {
  readonly dir: string;

  constructor(imageRoot: string) {
    this.dir = path.join(imageRoot, 'volumes');
  }

  private volumeDir(name: string): string {
    if (!VOLUME_NAME.test(name)) throw new UsageError(`invalid volume name ${JSON.stringify(name)}`);
    return path.join(this.dir, name);
  }

  data(name: string): string {
    return path.join(this.volumeDir(name), '_data');
  }

  static anonymousName(): string {
    return randomHexId();
  }

  /** Create the volume unless it exists; true when this call made it. */
  ensure(name: string, anonymous: boolean): boolean {
    const dir = this.volumeDir(name);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.existsSync(path.join(dir, 'volume.json'))) return false;
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    fs.mkdirSync(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
    const info = { Name: name, Driver: 'local', Mountpoint: path.join(dir, '_data'), CreatedAt: new Date().toISOString(), Anonymous: anonymous } satisfies VolumeInfo;
    fs.writeFileSync(path.join(dir, 'volume.json.tmp'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(path.join(dir, 'volume.json.tmp'), path.join(dir, 'volume.json'));
    return true;
  }

  inspect(name: string): VolumeInfo {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.volumeDir(name), 'volume.json'), 'utf8')) as VolumeInfo;
    } catch {
      throw new TsrunError(`no such volume: ${name}`);
    }
  }

  list(): VolumeInfo[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => VOLUME_NAME.test(n) && fs.existsSync(path.join(this.dir, n, 'volume.json'))).map((n) => this.inspect(n));
  }

  remove(name: string): void {
    const dir = this.volumeDir(name);
    if (!fs.existsSync(path.join(dir, 'volume.json'))) throw new TsrunError(`no such volume: ${name}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Fill a new volume with what the image has at `target`, merging the layers
   * bottom up as overlayfs does: a whiteout (0:0 character device) deletes
   * what the layers below put there, an opaque directory
   * (trusted.overlay.opaque=y) hides all of it, and an entry replaces one of
   * another type. Ownership, modes and times are kept (cp -a); nothing is
   * followed out of a layer (a symlink on the way to target stops the copy:
   * the image's directory is then not a plain directory).
   */
  copyUp(name: string, layerTreesBottomFirst: readonly string[], target: string, isOpaque: (dir: string) => boolean = (d) => native().isOverlayOpaque(d)): void {
    const data = this.data(name);
    const parts = target.split('/').filter(Boolean);
    for (const tree of layerTreesBottomFirst) {
      const at = layerView(tree, parts, isOpaque);
      if (at.kind === 'absent') continue;
      if (at.kind === 'hidden' || at.opaque) emptyDirectory(data);
      if (at.kind === 'hidden') continue;
      const marks = layerMarks(at.dir, isOpaque);
      for (const w of marks.whiteouts) fs.rmSync(path.join(data, w), { recursive: true, force: true });
      for (const d of marks.opaqueDirs) emptyDirectory(path.join(data, d), false);
      for (const r of marks.replaced(data)) fs.rmSync(path.join(data, r), { recursive: true, force: true });
      // loaded here, not at the top: node:child_process (with net and streams) costs every other command ~3 ms
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { execFileSync } = require('node:child_process') as typeof ChildProcess;
      execFileSync('cp', ['-a', '--no-dereference', `${at.dir}/.`, `${data}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
      for (const w of marks.whiteouts) fs.rmSync(path.join(data, w), { force: true });
    }
  }
}

type LayerView = { kind: 'absent' } | { kind: 'hidden' } | { kind: 'dir'; dir: string; opaque: boolean };

/**
 * What one layer does at a path: nothing (absent, and no opaque directory on
 * the way), hides what is below (a whiteout or a non-directory at the path or
 * on the way, or an opaque directory on the way without the path), or holds
 * it as a plain directory (opaque: it hides what is below before adding its own).
 */
function layerView(tree: string, parts: readonly string[], isOpaque: (dir: string) => boolean): LayerView {
  let p = tree;
  let opaqueOnTheWay = false;
  for (const part of parts) {
    p = path.join(p, part);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return opaqueOnTheWay ? { kind: 'hidden' } : { kind: 'absent' };
    if (!st.isDirectory()) return { kind: 'hidden' };
    if (isOpaque(p)) opaqueOnTheWay = true;
  }
  return { kind: 'dir', dir: p, opaque: opaqueOnTheWay };
}

/** lstat, undefined when nothing is there (also when a parent is not a directory) */
function lstatMaybe(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Remove what dir holds (dir itself stays); a missing dir is made when asked. */
function emptyDirectory(dir: string, make = true): void {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) fs.rmSync(dir, { force: true });
  if (!st || !st.isDirectory()) {
    if (make) fs.mkdirSync(dir, { recursive: true });
    return;
  }
  for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
}

/**
 * The overlay marks of a layer's directory, as paths relative to it: its
 * whiteouts, its opaque directories, and (against the volume so far) the
 * entries whose type differs from what the volume has there.
 */
function layerMarks(dir: string, isOpaque: (dir: string) => boolean): { whiteouts: string[]; opaqueDirs: string[]; replaced(data: string): string[] } {
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];
  const entries: Array<{ rel: string; isDir: boolean }> = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(d, e.name);
      if (e.isCharacterDevice() && fs.lstatSync(p).rdev === 0) {
        whiteouts.push(r);
        continue;
      }
      entries.push({ rel: r, isDir: e.isDirectory() });
      if (e.isDirectory()) {
        if (isOpaque(p)) opaqueDirs.push(r);
        walk(p, r);
      }
    }
  };
  walk(dir, '');
  const replaced = (data: string): string[] =>
    entries
      .filter(({ rel, isDir }) => {
        const st = lstatMaybe(path.join(data, rel));
        return st !== undefined && st.isDirectory() !== isDir;
      })
      .map(({ rel }) => rel);
  return { whiteouts, opaqueDirs, replaced };
}
