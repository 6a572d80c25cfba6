// Volumes, as Docker keeps them: <image-root>/volumes/<name>/_data, plus
// volume.json (when and whether anonymous). A new, empty volume mounted over
// a directory the image has is first filled with the image's content.
import type * as ChildProcess from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, UsageError } from '../../errors';
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
   * bottom up: a whiteout (0:0 character device) in a layer deletes what the
   * layers below put there. Ownership, modes and times are kept (cp -a);
   * nothing is followed out of a layer (a symlink on the way to target stops
   * the copy: the image's directory is then not a plain directory).
   */
  copyUp(name: string, layerTreesBottomFirst: readonly string[], target: string): void {
    const data = this.data(name);
    const rel = target.replace(/^\/+/, '');
    for (const tree of layerTreesBottomFirst) {
      const src = plainDirectory(tree, rel);
      if (!src) continue;
      for (const w of whiteouts(src)) {
        fs.rmSync(path.join(data, w), { recursive: true, force: true });
      }
      // loaded here, not at the top: node:child_process (with net and streams) costs every other command ~3 ms
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { execFileSync } = require('node:child_process') as typeof ChildProcess;
      execFileSync('cp', ['-a', '--no-dereference', `${src}/.`, `${data}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
      for (const w of whiteouts(src)) fs.rmSync(path.join(data, w), { force: true });
    }
  }
}

/** tree/rel when every component is a real directory (no symlink), else undefined */
function plainDirectory(tree: string, rel: string): string | undefined {
  let p = tree;
  for (const part of rel ? rel.split('/') : []) {
    p = path.join(p, part);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) return undefined;
  }
  return p;
}

/** relative paths of the whiteouts under dir */
function whiteouts(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else if (e.isCharacterDevice() && fs.lstatSync(path.join(d, e.name)).rdev === 0) out.push(r);
    }
  };
  walk(dir, '');
  return out;
}
