// The state store: one directory per container under --root, holding
// state.json (replaced atomically), the init's start FIFOs (start.fifo, start.reply)
// while it waits for `start`, and a lock file.
//
// Locking: operations that change a container (create, start, kill, delete,
// pause, resume, update) hold an exclusive flock on <dir>/.lock, so engines
// racing kill/delete/state serialise. Readers (`state`, `list`) do not lock:
// state.json is only ever replaced by rename, and a hook run by create/start
// may itself call `tsrun state` while the lock is held.
//
// A new container directory is built under a temporary name (which can never
// be a valid id) with its lock file already locked, then renamed into place, so
// anyone who can see <root>/<id> finds a lock held until create has finished,
// and two creates of one id cannot both win.
import fs from 'node:fs';
import path from 'node:path';
import { parseJsonText, stringifyJson } from '../../oci-spec/json';
import { ContainerExistsError, ContainerNotFoundError, TsrunError, fromNodeError } from '../errors';
import { native } from '../native';
import { uniqueSuffix, writeFileAtomic } from './files';
import { isValidContainerId, validateContainerId } from './id';
import { START_FIFO, START_REPLY, LOCK_FILE, STATE_FILE, STATE_FORMAT_VERSION, type StoredState } from './types';

export type LockMode = 'exclusive' | 'shared';

/** flock(2) as the addon exposes it; injectable for tests. */
export type FlockFn = (fd: number, exclusive: boolean, nonblocking: boolean) => boolean;

export interface StateStoreOptions {
  flock?: FlockFn;
}

export class StateStore {
  readonly root: string;
  private readonly flockFn: FlockFn | undefined;

  constructor(root: string, opts: StateStoreOptions = {}) {
    this.root = path.resolve(root);
    this.flockFn = opts.flock;
  }

  /** <root>/<id>; throws "invalid container ID format" for a bad id. */
  dirOf(id: string): string {
    validateContainerId(id);
    return path.join(this.root, id);
  }

  /** Create --root (mode 0700) if it is missing. */
  ensureRoot(): void {
    try {
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw fromNodeError('create state root', e, { path: this.root });
    }
  }

  /**
   * Make <root>/<id> (0700) and return it locked exclusively, without a
   * state.json yet. Throws "container with given ID already exists".
   * On a later failure the caller must destroy() the handle.
   */
  create(id: string): ContainerHandle {
    const finalDir = this.dirOf(id);
    if (fs.existsSync(finalDir)) throw new ContainerExistsError(id);
    this.ensureRoot();
    // ':' never occurs in a valid id, so list() skips this and no id collides with it
    const tmpDir = path.join(this.root, `:creating:${uniqueSuffix()}`);
    let fd: number | undefined;
    try {
      fs.mkdirSync(tmpDir, { mode: 0o700 });
      fs.chmodSync(tmpDir, 0o700);
      fd = fs.openSync(path.join(tmpDir, LOCK_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      this.flock(fd, true);
      fs.renameSync(tmpDir, finalDir);
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(tmpDir, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR') throw new ContainerExistsError(id);
      throw fromNodeError(`create state directory for ${id}`, e, { containerId: id, path: finalDir });
    }
    return new ContainerHandle(id, finalDir, fd);
  }

  /**
   * Lock an existing container (blocking). Throws "container does not exist"
   * when it is unknown, has no state.json, or was deleted while we waited.
   */
  open(id: string, mode: LockMode = 'exclusive'): ContainerHandle {
    const dir = this.dirOf(id);
    const fd = this.lockDir(id, dir, mode);
    const handle = new ContainerHandle(id, dir, fd);
    if (!fs.existsSync(handle.statePath)) {
      handle.release();
      throw new ContainerNotFoundError(id);
    }
    return handle;
  }

  /** Read state.json without locking (it is only ever replaced atomically). */
  read(id: string): StoredState {
    return readStateFile(id, path.join(this.dirOf(id), STATE_FILE));
  }

  /** Ids of the container directories under root, sorted. */
  ids(opts: { missingRootOk?: boolean } = {}): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.root, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && opts.missingRootOk) return [];
      throw fromNodeError('read state root', e, { path: this.root });
    }
    return entries
      .filter((d) => d.isDirectory() && isValidContainerId(d.name))
      .map((d) => d.name)
      .sort();
  }

  /**
   * Remove <root>/<id> whatever it holds (a create that died half-way leaves a
   * directory without state.json). Waits for a holder of its lock first.
   * Returns false when there was nothing to remove.
   */
  removeLeftover(id: string): boolean {
    const dir = this.dirOf(id);
    if (!fs.existsSync(dir)) return false;
    let fd: number | undefined;
    try {
      fd = this.lockDir(id, dir, 'exclusive');
    } catch (e) {
      if (!(e instanceof ContainerNotFoundError)) throw e;
      // no lock file: nothing can be waiting on it
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      throw fromNodeError(`remove state directory of ${id}`, e, { containerId: id, path: dir });
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return true;
  }

  private lockDir(id: string, dir: string, mode: LockMode): number {
    const lockPath = path.join(dir, LOCK_FILE);
    for (;;) {
      let fd: number;
      try {
        fd = fs.openSync(lockPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContainerNotFoundError(id);
        throw fromNodeError(`open lock of ${id}`, e, { containerId: id, path: lockPath });
      }
      try {
        this.flock(fd, mode === 'exclusive');
        // whoever held the lock may have deleted (and someone re-created) the container
        const held = fs.fstatSync(fd);
        let current: fs.Stats | undefined;
        try {
          current = fs.statSync(lockPath);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        if (!current) throw new ContainerNotFoundError(id);
        if (current.ino === held.ino && current.dev === held.dev) return fd;
      } catch (e) {
        fs.closeSync(fd);
        if (e instanceof TsrunError) throw e;
        throw fromNodeError(`lock container ${id}`, e, { containerId: id, path: lockPath });
      }
      fs.closeSync(fd); // replaced by a new container of the same id: lock that one
    }
  }

  private flock(fd: number, exclusive: boolean): void {
    const fn = this.flockFn ?? native().flock;
    fn(fd, exclusive, false);
  }
}

/** A container directory whose lock this process holds. */
export class ContainerHandle {
  readonly id: string;
  readonly dir: string;
  private fd: number | undefined;

  constructor(id: string, dir: string, lockFd: number) {
    this.id = id;
    this.dir = dir;
    this.fd = lockFd;
  }

  get statePath(): string {
    return path.join(this.dir, STATE_FILE);
  }

  /** the FIFO `start` writes to */
  get startFifoPath(): string {
    return path.join(this.dir, START_FIFO);
  }

  /** the FIFO `start` reads the init's answer from */
  get startReplyPath(): string {
    return path.join(this.dir, START_REPLY);
  }

  get locked(): boolean {
    return this.fd !== undefined;
  }

  read(): StoredState {
    return readStateFile(this.id, this.statePath);
  }

  /** Replace state.json atomically (temp + fsync + rename), mode 0600. */
  write(state: StoredState): void {
    if (state.id !== this.id) throw new TsrunError(`state for ${state.id} written to container ${this.id}`, { containerId: this.id });
    // stringifyJson: a config may hold uint64 values above 2^53 (bigint)
    writeFileAtomic(this.statePath, `${stringifyJson(state)}\n`, 0o600);
  }

  /** Remove the whole directory while still holding the lock, then release it. */
  destroy(): void {
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
    } catch (e) {
      throw fromNodeError(`remove state directory of ${this.id}`, e, { containerId: this.id, path: this.dir });
    } finally {
      this.release();
    }
  }

  release(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function readStateFile(id: string, file: string): StoredState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ContainerNotFoundError(id);
    throw fromNodeError(`read state of ${id}`, e, { containerId: id, path: file });
  }
  let state: StoredState;
  try {
    state = parseJsonText(text, file) as StoredState;
  } catch (e) {
    throw new TsrunError(`state of container ${id} is corrupt (${file}): ${(e as Error).message}`, { containerId: id, cause: e });
  }
  if (typeof state !== 'object' || state === null || state.id !== id) {
    throw new TsrunError(`state of container ${id} is corrupt (${file}): wrong or missing id`, { containerId: id });
  }
  if (typeof state.formatVersion !== 'number' || state.formatVersion > STATE_FORMAT_VERSION) {
    throw new TsrunError(
      `state of container ${id} has format ${String(state.formatVersion)}, this tsrun reads up to ${STATE_FORMAT_VERSION}`,
      { containerId: id },
    );
  }
  return state;
}
