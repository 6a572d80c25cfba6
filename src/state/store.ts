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
// and two creates of one id cannot both win. The temporary name carries the
// creator's pid and start time, so a directory abandoned by a killed create is
// recognisable (sweepAbandoned) without guessing from its age.
//
// Crash safety (docs/reliability.md): create writes journal.json before its
// first side effect; state.json is the commit. Removal goes in the reverse
// order (everything else, state.json, journal.json, the lock, the directory),
// so a delete killed half-way leaves a directory that still says what is left.
import fs from 'node:fs';
import path from 'node:path';
import { parseJsonText, stringifyJson } from '../../oci-spec/json';
import { ContainerExistsError, ContainerNotFoundError, DamagedStateError, TsrunError, fromNodeError } from '../errors';
import { native } from '../native';
import { uniqueSuffix, writeFileAtomic } from './files';
import { isValidContainerId, validateContainerId } from './id';
import { JOURNAL_FILE, parseJournal, writeJournal, type CreateJournal } from './journal';
import { readProcStat } from './proc';
import { stateProblem } from './shape';
import { START_FIFO, START_REPLY, LOCK_FILE, STATE_FILE, type StoredState } from './types';

/** Prefix of a container directory under construction (':' never occurs in an id). */
const CREATING_PREFIX = ':creating:';

/** What `delete --force` found in a container's directory. */
export interface StateDirReport {
  /** the directory, locked when it has a lock file */
  handle: ContainerHandle;
  /** a sound state.json */
  state?: StoredState;
  /** state.json parsed as JSON but unsound (wrong types): parts may still be usable */
  damagedState?: unknown;
  /** a sound journal.json */
  journal?: CreateJournal;
  /** what is damaged, one phrase each ("state.json is empty") */
  damage: string[];
  /** state.json does not exist (a create that never committed, or a delete half done) */
  stateMissing: boolean;
}

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
   * state.json yet, holding `journal` as journal.json from the instant it is
   * visible (written before the rename: no temp file needed). Throws
   * "container with given ID already exists". On a later failure the caller
   * must destroy() the handle.
   */
  create(id: string, journal?: CreateJournal): ContainerHandle {
    const finalDir = this.dirOf(id);
    if (fs.existsSync(finalDir)) throw new ContainerExistsError(id);
    this.ensureRoot();
    // ':' never occurs in a valid id, so list() skips this and no id collides with it
    const tmpDir = path.join(this.root, `${CREATING_PREFIX}${process.pid}:${readProcStat(process.pid)?.startTime ?? 0}:${uniqueSuffix()}`);
    let fd: number | undefined;
    try {
      fs.mkdirSync(tmpDir, { mode: 0o700 });
      fs.chmodSync(tmpDir, 0o700);
      fd = fs.openSync(path.join(tmpDir, LOCK_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      this.flock(fd, true);
      if (journal) fs.writeFileSync(path.join(tmpDir, JOURNAL_FILE), stringifyJson(journal), { mode: 0o600, flag: 'wx' });
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

  /**
   * For `delete --force`: lock <root>/<id> (waiting for a create or delete
   * in progress; a directory without a lock file is taken as it is) and read
   * whatever it holds. Undefined when there is no such directory.
   */
  inspect(id: string): StateDirReport | undefined {
    const dir = this.dirOf(id);
    let fd: number | undefined;
    for (;;) {
      if (!fs.lstatSync(dir, { throwIfNoEntry: false })) return undefined;
      try {
        fd = this.lockDir(id, dir, 'exclusive');
        break;
      } catch (e) {
        if (!(e instanceof ContainerNotFoundError)) throw e;
        // no lock file, or the holder removed the directory: look again
        if (!fs.existsSync(path.join(dir, LOCK_FILE))) break;
      }
    }
    if (!fs.lstatSync(dir, { throwIfNoEntry: false })) {
      if (fd !== undefined) fs.closeSync(fd);
      return undefined;
    }
    const handle = new ContainerHandle(id, dir, fd);
    const damage: string[] = [];
    const loaded = loadStateFile(id, handle.statePath);
    if ('damage' in loaded) damage.push(loaded.damage);
    const journal = readJournalFile(id, handle.journalPath);
    if (journal && 'damage' in journal) damage.push(journal.damage);
    return {
      handle,
      state: 'state' in loaded ? loaded.state : undefined,
      damagedState: 'damage' in loaded ? loaded.value : undefined,
      journal: journal && 'journal' in journal ? journal.journal : undefined,
      damage,
      stateMissing: 'missing' in loaded,
    };
  }

  /** Someone holds <root>/<id>'s lock now (a create, delete or other change in progress). */
  busy(id: string): boolean {
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dirOf(id), LOCK_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return false;
    }
    try {
      return !(this.flockFn ?? native().flock)(fd, false, true);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** journal.json of `id` when it is sound (list shows damaged containers from it). */
  readJournal(id: string): CreateJournal | undefined {
    const j = readJournalFile(id, path.join(this.dirOf(id), JOURNAL_FILE));
    return j && 'journal' in j ? j.journal : undefined;
  }

  /**
   * Remove the directories of creates that were killed before they could
   * rename theirs into place: their creator (pid and start time in the name)
   * is gone. A live creator's directory is left alone.
   */
  sweepAbandoned(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(CREATING_PREFIX)) continue;
      const [pid, start] = name.slice(CREATING_PREFIX.length).split(':').map(Number);
      if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(start)) continue; // not one of ours
      if (readProcStat(pid!)?.startTime === start) continue;
      fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
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

  constructor(id: string, dir: string, lockFd: number | undefined) {
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

  get journalPath(): string {
    return path.join(this.dir, JOURNAL_FILE);
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

  /** Replace journal.json (create, before each side effect). */
  writeJournal(journal: CreateJournal): void {
    if (journal.id !== this.id) throw new TsrunError(`journal for ${journal.id} written to container ${this.id}`, { containerId: this.id });
    writeJournal(this.journalPath, journal);
  }

  /**
   * Remove the whole directory while still holding the lock, then release it:
   * state.json, journal.json and the lock go last, so a removal cut short
   * still leaves the record of what is left.
   */
  destroy(): void {
    try {
      const last = [STATE_FILE, JOURNAL_FILE, LOCK_FILE];
      let names: string[] = [];
      try {
        names = fs.readdirSync(this.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      for (const name of [...names.filter((n) => !last.includes(n)), ...last]) {
        fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
      }
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
  const loaded = loadStateFile(id, file);
  if ('missing' in loaded) throw new ContainerNotFoundError(id);
  if ('damage' in loaded) throw new DamagedStateError(id, loaded.damage);
  return loaded.state;
}

type Loaded<T> = T | { missing: true } | { damage: string; value?: unknown };

/** Read and parse one of our JSON files; what is wrong is said in words, prefixed with its name. */
function loadJson(id: string, file: string): Loaded<{ value: unknown }> {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    if (code === 'EISDIR') return { damage: `${name} is a directory, not a file` };
    throw fromNodeError(`read ${name} of ${id}`, e, { containerId: id, path: file });
  }
  if (text.trim() === '') return { damage: `${name} is empty` };
  try {
    return { value: parseJsonText(text, name) };
  } catch (e) {
    return { damage: `${name} is not valid JSON (${(e as Error).message.replace(`${name}: `, '')})` };
  }
}

function loadStateFile(id: string, file: string): Loaded<{ state: StoredState }> {
  const loaded = loadJson(id, file);
  if (!('value' in loaded)) return loaded;
  const problem = stateProblem(loaded.value, id);
  return problem ? { damage: `${STATE_FILE}: ${problem}`, value: loaded.value } : { state: loaded.value as StoredState };
}

/** journal.json, or undefined when there is none. */
function readJournalFile(id: string, file: string): { journal: CreateJournal } | { damage: string } | undefined {
  const loaded = loadJson(id, file);
  if ('missing' in loaded) return undefined;
  if ('damage' in loaded) return loaded;
  const parsed = parseJournal(loaded.value, id);
  return 'damage' in parsed ? { damage: `${JOURNAL_FILE}: ${parsed.damage}` } : parsed;
}
