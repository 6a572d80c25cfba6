// What outlives a shim that dies: enough to clean up every container it held.
// - <bundle>/tsrun-shim.json: the container's state root; containerd's
//   `delete` subcommand (run in the bundle after the shim is gone) reads it.
// - <socket>.tasks/<id>: a symlink to each held container's bundle; a shim
//   started later for the same group finds its predecessor's containers there.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BUNDLE_RECORD = 'tsrun-shim.json';

export interface BundleRecord {
  /** the state root with the namespace: tsrun --root <root> */
  root: string;
}

export function writeBundleRecord(bundle: string, rec: BundleRecord): void {
  const file = path.join(bundle, BUNDLE_RECORD);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readBundleRecord(bundle: string): BundleRecord | undefined {
  try {
    const doc = JSON.parse(fs.readFileSync(path.join(bundle, BUNDLE_RECORD), 'utf8')) as Partial<BundleRecord>;
    return typeof doc.root === 'string' && path.isAbsolute(doc.root) ? { root: doc.root } : undefined;
  } catch {
    return undefined;
  }
}

export function removeBundleRecord(bundle: string): void {
  fs.rmSync(path.join(bundle, BUNDLE_RECORD), { force: true });
}

/** The containers a shim holds, as links to their bundles. */
export class TaskRegistry {
  readonly dir: string;

  constructor(socketPath: string) {
    this.dir = `${socketPath.replace(/\.sock$/, '')}.tasks`;
  }

  add(id: string, bundle: string): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const link = path.join(this.dir, id);
    fs.rmSync(link, { force: true });
    fs.symlinkSync(bundle, link);
  }

  remove(id: string): void {
    fs.rmSync(path.join(this.dir, id), { force: true });
  }

  entries(): Array<{ id: string; bundle: string }> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: Array<{ id: string; bundle: string }> = [];
    for (const id of names) {
      try {
        out.push({ id, bundle: fs.readlinkSync(path.join(this.dir, id)) });
      } catch {
        // not a link: not ours
      }
    }
    return out;
  }

  /** Gone when empty (the last container of the group was deleted). */
  removeIfEmpty(): void {
    try {
      fs.rmdirSync(this.dir);
    } catch {
      // not empty, or gone already
    }
  }
}
