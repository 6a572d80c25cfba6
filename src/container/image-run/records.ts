// The containers of `tsrun container`, under the image root:
//   containers/<id>/record.json   what it was made from (ContainerRecord)
//   containers/<id>/bundle/       config.json + rootfs/ (the overlay's mount point)
//   containers/<id>/upper, work   its overlayfs upper and work dirs
//   containers/<id>/lower/<n>     short links to its lower dirs (the layer trees), top first
//   containers/<id>/container.log the output of a detached container: Docker's json-file records (json-log.ts)
//   containers/<id>/monitor.log   what its tsrun-monitor and the command it runs at the exit say
//   containers/<id>/exit.json     its exit status, once its init has exited
//   containers/<id>/monitor.json  the tsrun-monitor of a detached container (pid, start time)
//   container-names/<name>        the id holding a name (created O_EXCL: names are unique)
// Their runtime state is an ordinary tsrun container's, under --root.
import type * as Crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, UsageError } from '../../errors';
import type { ContainerRecord, ExitRecord, MonitorRecord } from './types';

/** node:crypto, loaded when first used: at the top it would cost every other command its load (the bundle refuses that). */
function lazyCrypto(): typeof Crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:crypto') as typeof Crypto;
}

/** 64 random hex digits: the ids of containers and anonymous volumes, as Docker makes them. */
export function randomHexId(): string {
  return lazyCrypto().randomBytes(32).toString('hex');
}

class NoSuchContainerError extends TsrunError {
  constructor(word: string) {
    super(`No such container: ${word}`);
  }
}

const ID = /^[a-f0-9]{64}$/;
/** not a valid name (names start with a letter or digit) */
const NAME_TMP_PREFIX = '.claim-';
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'keen', 'lucid', 'merry', 'nifty', 'quirky', 'sharp', 'tender', 'vivid', 'witty', 'zen'];
const NOUNS = ['curie', 'darwin', 'euler', 'fermi', 'gauss', 'hopper', 'knuth', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'tesla', 'turing', 'wozniak', 'yalow'];

export class ContainerRecords {
  readonly dir: string;
  private readonly namesDir: string;

  constructor(readonly imageRoot: string) {
    this.dir = path.join(imageRoot, 'containers');
    this.namesDir = path.join(imageRoot, 'container-names');
  }

  static newId(): string {
    return randomHexId();
  }

  containerDir(id: string): string {
    if (!ID.test(id)) throw new UsageError(`invalid container id ${JSON.stringify(id)}`);
    return path.join(this.dir, id);
  }

  bundle(id: string): string {
    return path.join(this.containerDir(id), 'bundle');
  }

  logFile(id: string): string {
    return path.join(this.containerDir(id), 'container.log');
  }

  /** the monitor's own stdout and stderr, and those of the command it runs once the container has exited */
  monitorLogFile(id: string): string {
    return path.join(this.containerDir(id), 'monitor.log');
  }

  /** where the monitor receives the pty master of a container with a terminal (-t) */
  consoleSocket(id: string): string {
    return path.join(this.containerDir(id), 'console.sock');
  }

  exitFile(id: string): string {
    return path.join(this.containerDir(id), 'exit.json');
  }

  /** written by tsrun-monitor itself, before it runs the create */
  monitorFile(id: string): string {
    return path.join(this.containerDir(id), 'monitor.json');
  }

  /** The container's directory with its bundle, upper and work dirs (mode 0700: upper holds its files). */
  makeDirs(id: string): { bundle: string; upper: string; work: string } {
    const dir = this.containerDir(id);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(dir, { mode: 0o700 });
    const bundle = path.join(dir, 'bundle');
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(upper, { mode: 0o755 });
    fs.mkdirSync(work, { mode: 0o700 });
    return { bundle, upper, work };
  }

  /**
   * containers/<id>/lower/<n> -> the n-th lower dir (top first): the overlay's
   * lower dirs as the container names them. The init chdirs to their common
   * parent, so each is a name of one to three digits: on a kernel without
   * fsconfig lowerdir+ (before 6.8) the classic mount's one page of options
   * then holds overlayfs's 500 layers (the stores' own paths, a 64-digit
   * chain id each, would stop near 55), as containerd's numbered snapshot dirs
   * and containers/storage's short links do.
   */
  linkLowerDirs(id: string, lowerDirsTopFirst: readonly string[]): string[] {
    const dir = path.join(this.containerDir(id), 'lower');
    fs.mkdirSync(dir, { mode: 0o700 });
    return lowerDirsTopFirst.map((target, n) => {
      const link = path.join(dir, String(n));
      fs.symlinkSync(target, link);
      return link;
    });
  }

  /** Take `name` for `id`; fails when another container has it (Docker's message). */
  reserveName(name: string | undefined, id: string): string {
    fs.mkdirSync(this.namesDir, { recursive: true, mode: 0o700 });
    if (name !== undefined) {
      if (!NAME.test(name)) throw new UsageError(`--name ${JSON.stringify(name)}: invalid container name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      if (!this.claimName(name, id)) {
        const holder = this.nameHolder(name);
        throw new UsageError(`Conflict. The container name "/${name}" is already in use by container "${holder ?? '?'}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      return name;
    }
    const { randomInt } = lazyCrypto();
    for (;;) {
      const pick = (l: string[]): string => l[randomInt(l.length)] as string;
      const candidate = `${pick(ADJECTIVES)}_${pick(NOUNS)}${randomInt(10_000)}`;
      if (this.claimName(candidate, id)) return candidate;
    }
  }

  /**
   * The name file appears with the id in it or not at all: written under a
   * temporary name, then link(2)ed to the name (EEXIST: taken). A file made
   * O_EXCL and then written would be empty if tsrun were killed in between,
   * holding the name for no container, for good.
   */
  private claimName(name: string, id: string): boolean {
    const tmp = path.join(this.namesDir, `${NAME_TMP_PREFIX}${id}-${name}`);
    fs.writeFileSync(tmp, id, { mode: 0o600 });
    try {
      fs.linkSync(tmp, path.join(this.namesDir, name));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  private nameHolder(name: string): string | undefined {
    try {
      return fs.readFileSync(path.join(this.namesDir, name), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  releaseName(name: string, id: string): void {
    if (NAME.test(name) && this.nameHolder(name) === id) fs.rmSync(path.join(this.namesDir, name), { force: true });
  }

  write(r: ContainerRecord): void {
    const file = path.join(this.containerDir(r.id), 'record.json');
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(r, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  read(id: string): ContainerRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.containerDir(id), 'record.json'), 'utf8')) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  readExit(id: string): ExitRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.exitFile(id), 'utf8')) as ExitRecord;
    } catch {
      return undefined;
    }
  }

  readMonitor(id: string): MonitorRecord | undefined {
    try {
      const m = JSON.parse(fs.readFileSync(this.monitorFile(id), 'utf8')) as Partial<MonitorRecord>;
      return Number.isSafeInteger(m.pid) && Number.isSafeInteger(m.startTime) ? (m as MonitorRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  writeExit(id: string, code: number): void {
    const file = this.exitFile(id);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify({ code, finishedAt: new Date().toISOString() } satisfies ExitRecord)}\n`);
    fs.renameSync(`${file}.tmp`, file);
  }

  clearExit(id: string): void {
    fs.rmSync(this.exitFile(id), { force: true });
  }

  /** Every container directory's id (records may be missing: a create killed early). */
  ids(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((d) => ID.test(d));
    } catch {
      return [];
    }
  }

  all(): ContainerRecord[] {
    return this.ids().flatMap((id) => this.read(id) ?? [{ id, name: '', image: '', imageId: '', created: '', command: [], autoRemove: false, stopSignal: 'SIGTERM', volumes: [], detached: false, tty: false, interactive: false }]);
  }

  /** Docker's lookup: a full id, a name, then a unique id prefix. */
  find(word: string): ContainerRecord {
    const all = this.all();
    const exact = all.find((r) => r.id === word) ?? all.find((r) => r.name !== '' && r.name === word.replace(/^\//, ''));
    if (exact) return exact;
    if (/^[a-f0-9]+$/.test(word)) {
      const hits = all.filter((r) => r.id.startsWith(word));
      if (hits.length > 1) throw new UsageError(`multiple containers found with id prefix ${word}: be more specific`);
      if (hits[0]) return hits[0];
    }
    throw new NoSuchContainerError(word);
  }

  /** The directory and names go (any name held for this id: a create killed before it wrote its record may hold one). */
  remove(r: ContainerRecord): void {
    fs.rmSync(this.containerDir(r.id), { recursive: true, force: true });
    let names: string[];
    try {
      names = fs.readdirSync(this.namesDir);
    } catch {
      names = [];
    }
    for (const n of names) {
      // a claim's temporary file, left by a tsrun killed while taking the name
      if (n.startsWith(`${NAME_TMP_PREFIX}${r.id}-`)) fs.rmSync(path.join(this.namesDir, n), { force: true });
      else this.releaseName(n, r.id);
    }
  }
}
