// What the v1 and v2 managers share: directory creation and removal, joining
// processes, listing pids, signalling, and the descriptor the state store keeps.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, describeErrno } from '../errors';
import type { Native } from '../native/index';
import { SIGKILL } from '../native/linux-constants';
import type { CgroupLayout } from './detect';
import { cgroupOpError, performWrite, readOptional, sleepMs, writeRaw, type CgroupWrite, type WriteTrace } from './fsio';
import { cgroupMountPlan, type CgroupMountPlan, type CgroupMountRequest } from './mount-plan';
import type { HierarchyDir } from './paths';
import type { LinuxResources } from './resources';

/** JSON the state store keeps, enough for a later tsrun process to reload the manager. */
export interface CgroupDescriptor {
  version: 1;
  layout: CgroupLayout;
  containerId: string;
  /** linux.cgroupsPath as given ("" when absent) */
  cgroupsPath: string;
  hierarchies: HierarchyDir[];
  /** directories create() made, top-down; destroy() removes only these */
  created: string[];
  /** the resources in effect (update merges into them) */
  resources: LinuxResources;
  /** linux.devices[].path: their default device allows are left to the config */
  configDevicePaths: string[];
}

/** Things a manager needs that are not state: the addon, tracing, warnings. */
export interface CgroupEnv {
  native?: Pick<Native, 'loadDeviceFilter'>;
  /** called for every file write performed (tests record the write list) */
  trace?: WriteTrace;
  /** non-fatal problems (ignored fields), for the log */
  warn?: (message: string) => void;
}

const DESTROY_WAIT_MS = 10_000;
/** how long one SIGKILL round waits before signalling again */
const KILL_ROUND_MS = 500;
const RMDIR_RETRY_MS = 5_000;

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
}

/** Wait with a growing pause until `done()` or the deadline; returns done()'s last answer. */
export function pollUntil(done: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  let pause = 1;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    sleepMs(pause);
    pause = Math.min(pause * 2, 20);
  }
}

export abstract class BaseManager {
  readonly layout: CgroupLayout;
  readonly containerId: string;
  protected readonly cgroupsPath: string;
  protected readonly hierarchies: HierarchyDir[];
  protected created: string[];
  protected current: LinuxResources;
  protected readonly configDevicePaths: string[];
  protected readonly env: CgroupEnv;

  constructor(desc: CgroupDescriptor, env: CgroupEnv) {
    this.layout = desc.layout;
    this.containerId = desc.containerId;
    this.cgroupsPath = desc.cgroupsPath;
    this.hierarchies = desc.hierarchies.map((h) => ({ ...h, controllers: [...h.controllers] }));
    this.created = [...desc.created];
    this.current = structuredClone(desc.resources);
    this.configDevicePaths = [...desc.configDevicePaths];
    this.env = env;
  }

  dirs(): readonly HierarchyDir[] {
    return this.hierarchies;
  }

  resources(): LinuxResources {
    return structuredClone(this.current);
  }

  descriptor(): CgroupDescriptor {
    return {
      version: 1,
      layout: this.layout,
      containerId: this.containerId,
      cgroupsPath: this.cgroupsPath,
      hierarchies: this.hierarchies.map((h) => ({ ...h, controllers: [...h.controllers] })),
      created: [...this.created],
      resources: structuredClone(this.current),
      configDevicePaths: [...this.configDevicePaths],
    };
  }

  /**
   * The descriptor as it will be once create() has run: `created` lists
   * every directory of the container's path that does not exist yet. The
   * create journal records it before the first mkdir.
   */
  plannedDescriptor(): CgroupDescriptor {
    const planned = [...this.created];
    for (const h of this.hierarchies) {
      let dir = h.mountpoint;
      for (const part of path.posix.relative(h.mountpoint, h.dir).split('/').filter(Boolean)) {
        dir = path.posix.join(dir, part);
        if (!planned.includes(dir) && !fs.existsSync(dir)) planned.push(dir);
      }
    }
    return { ...this.descriptor(), created: planned };
  }

  mountPlan(req: CgroupMountRequest): CgroupMountPlan {
    return cgroupMountPlan(this.layout, this.hierarchies, req);
  }

  exists(): boolean {
    return this.hierarchies.some((h) => fs.existsSync(h.dir));
  }

  protected warn(message: string): void {
    this.env.warn?.(message);
  }

  protected write(dir: string, w: CgroupWrite): boolean {
    if (this.journal) {
      const file = path.join(dir, w.file);
      let old: string | undefined;
      try {
        old = readOptional(file);
      } catch {
        old = undefined;
      }
      this.journal.push({ file, old });
    }
    return performWrite(dir, w, this.env.trace, this.containerId);
  }

  /** while a transaction runs: every file written, with its content before the write */
  private journal?: { file: string; old: string | undefined }[];

  /**
   * Run `apply`; if it throws, write back the previous value of every file it
   * wrote, newest first, so a refused update leaves the limits as they were.
   * Values that cannot be written back as read (multi-line files such as
   * io.max, empty files) are left, with a warning.
   */
  protected transaction(apply: () => void): void {
    this.journal = [];
    try {
      apply();
    } catch (err) {
      const done = this.journal;
      this.journal = undefined;
      for (const { file, old } of done.reverse()) {
        if (old === undefined || old === '' || old.includes('\n')) {
          this.warn(`rollback: ${file} cannot be restored from its previous content; left as written`);
          continue;
        }
        try {
          writeRaw(file, old);
          this.env.trace?.(file, old);
        } catch (again) {
          this.warn(`rollback: cannot restore ${file} to ${JSON.stringify(old)}: ${describeErrno(errnoOf(again))}`);
        }
      }
      throw err;
    } finally {
      this.journal = undefined;
    }
  }

  protected fail(message: string, p?: string, errno?: string): CgroupError {
    return new CgroupError(message, { containerId: this.containerId, path: p, errno });
  }

  /**
   * mkdir the container's dir in every hierarchy, top-down, recording what
   * this call made. `prepare(h, dir)` runs for the mount point and each level
   * below it, before the next mkdir (v2: subtree_control, v1: cpuset copy).
   * On failure everything made so far is removed again.
   */
  protected makeDirs(prepare: (h: HierarchyDir, dir: string) => void): void {
    const made: string[] = [];
    try {
      for (const h of this.hierarchies) {
        const rel = path.posix.relative(h.mountpoint, h.dir);
        if (rel.startsWith('..')) throw this.fail(`cgroup dir ${h.dir} is outside its hierarchy ${h.mountpoint}`, h.dir);
        let dir = h.mountpoint;
        prepare(h, dir);
        for (const part of rel.split('/').filter(Boolean)) {
          dir = path.posix.join(dir, part);
          try {
            fs.mkdirSync(dir, 0o755);
            made.push(dir);
          } catch (err) {
            if (errnoOf(err) !== 'EEXIST') throw cgroupOpError('cannot create cgroup', dir, err, this.containerId);
          }
          prepare(h, dir);
        }
      }
    } catch (err) {
      // just made, so empty unless another container's create uses them now
      for (const d of [...made].reverse()) removeIfEmpty(d);
      throw err;
    }
    this.created.push(...made.filter((d) => !this.created.includes(d)));
  }

  /** Refuse a pre-existing container cgroup that still holds processes. */
  protected checkEmpty(): void {
    const pids = this.pids();
    if (pids.length > 0) {
      throw this.fail(`cgroup ${this.hierarchies[0]!.dir} already holds ${pids.length} process(es) (${pids.slice(0, 5).join(' ')}): not a new container cgroup`, this.hierarchies[0]!.dir);
    }
  }

  apply(pid: number): void {
    for (const h of this.hierarchies) {
      const file = path.join(h.dir, 'cgroup.procs');
      try {
        writeRaw(file, String(pid));
      } catch (err) {
        const code = errnoOf(err);
        throw this.fail(`cannot move process ${pid} into ${h.dir}: ${describeErrno(code)}`, file, code);
      }
    }
  }

  /** pids of a directory tree (the dir and every sub-cgroup the container made). */
  protected static treePids(dir: string, into: Set<number>): void {
    const procs = readOptional(path.join(dir, 'cgroup.procs'));
    if (procs === undefined) return;
    for (const line of procs.split('\n')) if (line) into.add(Number(line));
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) BaseManager.treePids(path.join(dir, e.name), into);
  }

  /** Every pid in the container's cgroups (all hierarchies, sub-cgroups included), sorted. */
  pids(): number[] {
    const all = new Set<number>();
    for (const h of this.hierarchies) BaseManager.treePids(h.dir, all);
    return [...all].sort((a, b) => a - b);
  }

  protected signalPids(signal: number | NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch (err) {
        if (errnoOf(err) !== 'ESRCH') throw cgroupOpError(`cannot signal process ${pid} in cgroup`, this.hierarchies[0]!.dir, err, this.containerId);
      }
    }
  }

  abstract freeze(): void;
  abstract thaw(): void;
  abstract isFrozen(): boolean;
  abstract killAll(signal: number | NodeJS.Signals): void;

  /**
   * rmdir a cgroup dir and the sub-cgroups inside it, deepest first; ENOENT
   * counts as done, EBUSY (tasks still exiting) is retried for a while, and a
   * final failure throws.
   */
  protected rmdirTree(dir: string): void {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return;
      throw cgroupOpError('cannot list cgroup', dir, err, this.containerId);
    }
    for (const e of entries) if (e.isDirectory()) this.rmdirTree(path.join(dir, e.name));
    let lastErr: unknown;
    const tryRemove = (): boolean => {
      try {
        fs.rmdirSync(dir);
        return true;
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return true;
        lastErr = err;
        return false;
      }
    };
    if (tryRemove()) return;
    if (errnoOf(lastErr) === 'EBUSY' && pollUntil(tryRemove, RMDIR_RETRY_MS)) return;
    throw cgroupOpError('cannot remove cgroup', dir, lastErr, this.containerId);
  }

  /**
   * Kill what is left, then remove the directories create() made, deepest
   * first, retrying while the kernel still reports them busy. Idempotent.
   * `includeUnrecordedLeaf`: also remove the container's own directory in each
   * hierarchy when no create() recorded it (delete --force after tsrun died
   * inside create, before the descriptor was stored). Parents are never touched.
   */
  destroy(opts: DestroyOptions = {}): void {
    this.killEverything();
    const leaves = new Set(this.hierarchies.map((h) => h.dir));
    for (const dir of [...this.created].reverse()) {
      // the container's own dir goes with the sub-cgroups made inside it; a
      // parent create made may hold other containers by now: only if empty
      if (leaves.has(dir)) this.rmdirTree(dir);
      else removeIfEmpty(dir);
    }
    if (opts.includeUnrecordedLeaf) for (const dir of leaves) this.rmdirTree(dir);
    this.created = [];
  }

  /**
   * SIGKILL everything in the container's cgroups until they are empty: a
   * process may still be joining (a create killed half-way) or forking when
   * the first round lands.
   */
  private killEverything(): void {
    if (!this.exists() || this.pids().length === 0) return;
    const deadline = Date.now() + DESTROY_WAIT_MS;
    for (;;) {
      this.killAll(SIGKILL);
      if (pollUntil(() => this.pids().length === 0, Math.min(KILL_ROUND_MS, Math.max(0, deadline - Date.now())))) return;
      if (Date.now() >= deadline) break;
    }
    const left = this.pids();
    throw this.fail(`cannot destroy cgroup ${this.hierarchies[0]!.dir}: ${left.length} process(es) survive SIGKILL (${left.slice(0, 5).join(' ')})`);
  }
}

/** rmdir one directory if nothing is in it (a parent that others may share); never waits, never throws. */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // in use by other cgroups (EBUSY, ENOTEMPTY), or gone
  }
}

export interface DestroyOptions {
  includeUnrecordedLeaf?: boolean;
}
