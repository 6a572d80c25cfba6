// What outlives a shim that dies: enough to clean up every container it held.
// - <bundle>/tsrun-shim.json: the container's state root; containerd's
//   `delete` subcommand (run in the bundle after the shim is gone) reads it.
// - <socket>.tasks/<id>: each held container's bundle and state root; the
//   `delete` after the shim died, and a shim started later for the same
//   group, find all of its predecessor's containers there.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the group sockets and registries live; the launchers take turns under its lock (native/launcher/main.c). */
export const SHIM_DIR = '/run/containerd/tsrun-shim';
/** The bundle record's name (native/launcher/main.c checks that it is there). */
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

/** One container a shim holds: enough to clean it up without its bundle. */
export interface HeldContainer {
  id: string;
  bundle: string;
  /** the state root with the namespace */
  root: string;
}

/** The containers a shim holds, one small JSON file each in <socket>.tasks/. */
export class TaskRegistry {
  readonly dir: string;

  constructor(socketPath: string) {
    this.dir = `${socketPath.replace(/\.sock$/, '')}.tasks`;
  }

  add(c: HeldContainer): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, c.id);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ bundle: c.bundle, root: c.root }), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  remove(id: string): void {
    fs.rmSync(path.join(this.dir, id), { force: true });
  }

  entries(): HeldContainer[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: HeldContainer[] = [];
    for (const id of names) {
      if (id.endsWith('.tmp')) continue;
      try {
        const doc = JSON.parse(fs.readFileSync(path.join(this.dir, id), 'utf8')) as Partial<HeldContainer>;
        if (typeof doc.bundle === 'string' && typeof doc.root === 'string') out.push({ id, bundle: doc.bundle, root: doc.root });
      } catch {
        // half-written or not ours
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
