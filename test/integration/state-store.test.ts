// The state store against the real kernel: flock between processes, atomic
// replacement, permissions, pid files.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerExistsError, ContainerNotFoundError } from '../../src/errors';
import { writePidFile } from '../../src/state/pidfile';
import { processStartTime } from '../../src/state/proc';
import { StateStore } from '../../src/state/store';
import { STATE_FORMAT_VERSION, type StoredState } from '../../src/state/types';
import { assertNoLeftovers, cliEnv, makeTestRoot, PROJECT_ROOT, snapshotLeftovers, storedState, uniqueId, type LeftoverSnapshot } from '../helpers';

const DIST_STORE = path.join(PROJECT_ROOT, 'dist', 'src', 'state', 'store.js');
const testRoot = makeTestRoot('store');
const root = testRoot.root;
let before: LeftoverSnapshot;

beforeAll(() => {
  before = snapshotLeftovers();
});
afterAll(() => {
  testRoot.cleanup();
  assertNoLeftovers(before);
});

const state = storedState;

interface Child {
  /** lines the child printed so far */
  lines: string[];
  waitFor(line: string): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Run a script in a separate node process with `store` = a StateStore on `root`. */
function child(script: string, ...args: string[]): Child {
  const prelude = `const { StateStore } = require(${JSON.stringify(DIST_STORE)}); const store = new StateStore(${JSON.stringify(root)}); const args = process.argv.slice(1);\n`;
  const proc = spawn(process.execPath, ['-e', prelude + script, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const l of d.split('\n').filter(Boolean)) {
      lines.push(l);
      for (const w of waiters.filter((x) => x.line === l)) w.resolve();
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    lines,
    waitFor: (line) =>
      lines.includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ line, resolve });
            void done.then((r) => reject(new Error(`child exited before printing ${line}: ${r.stderr}`)));
          }),
    done,
  };
}

describe('layout and permissions', () => {
  it('creates root 0700, the container dir 0700, state.json 0600', () => {
    const store = new StateStore(root);
    const id = uniqueId('perm');
    const h = store.create(id);
    h.write(state(id));
    h.release();
    expect(fs.statSync(root).mode & 0o7777).toBe(0o700);
    expect(fs.statSync(path.join(root, id)).mode & 0o7777).toBe(0o700);
    expect(fs.statSync(path.join(root, id, 'state.json')).mode & 0o7777).toBe(0o600);
    expect(store.read(id)).toEqual(state(id));
    expect(store.ids()).toContain(id);
    // no temp files next to it
    expect(fs.readdirSync(path.join(root, id)).sort()).toEqual(['.lock', 'state.json']);
    expect(fs.readdirSync(root).filter((n) => n.startsWith(':'))).toEqual([]);
    store.open(id).destroy();
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  it('refuses a second create, and open/read of unknown ids', () => {
    const store = new StateStore(root);
    const id = uniqueId('dup');
    const h = store.create(id);
    h.write(state(id));
    h.release();
    expect(() => store.create(id)).toThrow(ContainerExistsError);
    expect(() => store.create(id)).toThrow('container with given ID already exists');
    expect(() => store.open(uniqueId('nope'))).toThrow(ContainerNotFoundError);
    expect(() => store.read(uniqueId('nope'))).toThrow('container does not exist');
    expect(() => store.open('../etc')).toThrow('invalid container ID format');
    store.open(id).destroy();
  });

  it('treats a directory without state.json as not existing; inspect finds it and its removal clears it', () => {
    const store = new StateStore(root);
    const id = uniqueId('half');
    store.create(id).release(); // a create that died before writing state.json
    expect(() => store.open(id)).toThrow(ContainerNotFoundError);
    expect(() => store.create(id)).toThrow(ContainerExistsError);
    const found = store.inspect(id)!;
    expect(found).toMatchObject({ stateMissing: true, damage: [], state: undefined, journal: undefined });
    expect(found.handle.locked).toBe(true);
    found.handle.destroy();
    expect(store.inspect(id)).toBeUndefined();
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  it('a directory made with a journal holds it from the instant it has its name (written before the rename)', () => {
    const store = new StateStore(root);
    const id = uniqueId('journaled');
    const journal = { formatVersion: 1 as const, id, bundle: '/b', cgroup: state(id).cgroup, processes: [] };
    const h = store.create(id, journal);
    expect(fs.readdirSync(root).some((n) => n.startsWith(':creating:'))).toBe(false);
    expect(fs.statSync(h.journalPath).mode & 0o777).toBe(0o600);
    expect(store.readJournal(id)).toEqual(journal);
    h.release();
    const found = store.inspect(id)!;
    expect(found).toMatchObject({ stateMissing: true, damage: [], journal });
    found.handle.destroy();
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  it('sweeps directories of creates whose creator is gone, never a live one\'s', () => {
    const store = new StateStore(root);
    store.ensureRoot();
    const self = `:creating:${process.pid}:${processStartTime(process.pid)}:x`;
    const dead = `:creating:${process.pid}:${(processStartTime(process.pid) ?? 0) + 1}:y`; // same pid, other start: a previous process
    const foreign = ':creating:not-ours';
    for (const n of [self, dead, foreign]) fs.mkdirSync(path.join(root, n));
    store.sweepAbandoned();
    expect(fs.existsSync(path.join(root, self))).toBe(true);
    expect(fs.existsSync(path.join(root, dead))).toBe(false);
    expect(fs.existsSync(path.join(root, foreign))).toBe(true);
    for (const n of [self, foreign]) fs.rmSync(path.join(root, n), { recursive: true });
  });

  it('inspect reads whatever a damaged directory holds; removal takes state, journal and lock last', () => {
    const store = new StateStore(root);
    const id = uniqueId('inspect');
    const h = store.create(id);
    h.writeJournal({ formatVersion: 1, id, bundle: '/b', cgroup: state(id).cgroup, processes: [{ role: 'init', pid: 5, startTime: 9 }] });
    fs.writeFileSync(h.statePath, '{"id": ');
    h.release();
    const found = store.inspect(id)!;
    expect(found.state).toBeUndefined();
    expect(found.stateMissing).toBe(false);
    expect(found.damage).toEqual(['state.json is not valid JSON (invalid JSON at line 1 column 8: expected a value after the colon, but the input ended)']);
    expect(found.journal?.processes).toEqual([{ role: 'init', pid: 5, startTime: 9 }]);
    expect(store.readJournal(id)?.bundle).toBe('/b');
    expect(store.busy(id)).toBe(true); // inspect holds the lock
    found.handle.destroy();
    expect(fs.existsSync(path.join(root, id))).toBe(false);
    expect(store.inspect(id)).toBeUndefined();
  });

  it('lists only valid container directories', () => {
    const store = new StateStore(root);
    fs.mkdirSync(path.join(root, ':creating:stale'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a-file'), '');
    expect(store.ids().some((n) => n.includes(':') || n === 'a-file')).toBe(false);
    fs.rmSync(path.join(root, ':creating:stale'), { recursive: true });
    fs.rmSync(path.join(root, 'a-file'));
    expect(new StateStore(path.join(root, 'missing')).ids({ missingRootOk: true })).toEqual([]);
    expect(() => new StateStore(path.join(root, 'missing')).ids()).toThrow('no such file or directory');
  });

  it('reports corrupt or too new state files clearly', () => {
    const store = new StateStore(root);
    const id = uniqueId('bad');
    const h = store.create(id);
    fs.writeFileSync(h.statePath, '{not json');
    expect(() => store.read(id)).toThrow('container state is damaged: state.json is not valid JSON (invalid JSON at line 1 column 2');
    fs.writeFileSync(h.statePath, JSON.stringify(state(id, { formatVersion: STATE_FORMAT_VERSION + 1 })));
    expect(() => store.read(id)).toThrow('this tsrun reads up to');
    h.destroy();
  });
});

describe('locking between processes', () => {
  it('a second opener blocks until the holder releases', async () => {
    const store = new StateStore(root);
    const id = uniqueId('lock');
    const h = store.create(id);
    h.write(state(id));
    h.release();

    const holder = child(`const h = store.open(args[0]); console.log('locked'); setTimeout(() => { console.log('releasing'); h.release(); }, 700);`, id);
    await holder.waitFor('locked');
    const t0 = Date.now();
    const mine = store.open(id); // blocks in flock(2)
    const waited = Date.now() - t0;
    mine.release();
    expect(waited).toBeGreaterThanOrEqual(500);
    expect((await holder.done).code).toBe(0);
    store.open(id).destroy();
  });

  it('shared locks do not block each other but do block an exclusive one', async () => {
    const store = new StateStore(root);
    const id = uniqueId('shared');
    const h = store.create(id);
    h.write(state(id));
    h.release();
    const reader = child(`const h = store.open(args[0], 'shared'); console.log('locked'); setTimeout(() => h.release(), 700);`, id);
    await reader.waitFor('locked');
    const t0 = Date.now();
    store.open(id, 'shared').release();
    expect(Date.now() - t0).toBeLessThan(300);
    store.open(id, 'exclusive').release();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    await reader.done;
    store.open(id).destroy();
  });

  it('a waiter sees "does not exist" when the holder deletes the container', async () => {
    const store = new StateStore(root);
    const id = uniqueId('del');
    const h = store.create(id);
    h.write(state(id));
    h.release();
    const deleter = child(`const h = store.open(args[0]); console.log('locked'); setTimeout(() => h.destroy(), 500);`, id);
    await deleter.waitFor('locked');
    expect(() => store.open(id)).toThrow('container does not exist');
    expect((await deleter.done).code).toBe(0);
    expect(fs.existsSync(path.join(root, id))).toBe(false);
  });

  it('a waiter follows a container that was deleted and created again under the same id', async () => {
    const store = new StateStore(root);
    const id = uniqueId('again');
    const h = store.create(id);
    h.write(state(id, { initPid: 1 }));
    h.release();
    // remove and re-create while still holding the old lock, so the waiter
    // wakes up to find a different lock file at the path
    const script = `
      const fs = require('node:fs');
      const h = store.open(args[0]); console.log('locked');
      setTimeout(() => {
        fs.rmSync(h.dir, { recursive: true });
        const n = store.create(args[0]);
        n.write({ ...JSON.parse(args[1]), initPid: 2 });
        h.release();
        setTimeout(() => n.release(), 300);
      }, 500);`;
    const recreator = child(script, id, JSON.stringify(state(id)));
    await recreator.waitFor('locked');
    const mine = store.open(id);
    expect(mine.read().initPid).toBe(2);
    mine.release();
    expect((await recreator.done).code).toBe(0);
    store.open(id).destroy();
  });

  it('of several concurrent creates of one id exactly one wins', async () => {
    const id = uniqueId('race');
    const script = `
      try { const h = store.create(args[0]); h.write({ ...JSON.parse(args[1]), initPid: process.pid }); h.release(); console.log('won'); }
      catch (e) { console.log('lost: ' + e.message); }`;
    const racers = Array.from({ length: 6 }, () => child(script, id, JSON.stringify(state(id))));
    const results = await Promise.all(racers.map((r) => r.done));
    const outs = results.map((r) => r.stdout.trim());
    expect(outs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outs.filter((o) => o === 'lost: container with given ID already exists')).toHaveLength(5);
    const store = new StateStore(root);
    expect(fs.readdirSync(root).filter((n) => n.startsWith(':'))).toEqual([]);
    store.open(id).destroy();
  });
});

describe('atomic state.json replacement', () => {
  it('a concurrent reader never sees a partial file', async () => {
    const store = new StateStore(root);
    const id = uniqueId('atomic');
    const h = store.create(id);
    const big = (n: number) => state(id, { initPid: n, config: { blob: 'x'.repeat(200_000 + n) } as unknown as StoredState['config'] });
    h.write(big(1));
    h.release();
    const writer = child(
      `const h = store.open(args[0]); const base = JSON.parse(args[1]); const end = Date.now() + 1200; let n = 0;
       while (Date.now() < end) { n++; h.write({ ...base, initPid: n, config: { blob: 'x'.repeat(200000 + n) } }); }
       h.release(); console.log('wrote ' + n);`,
      id,
      JSON.stringify(state(id)),
    );
    let reads = 0;
    const end = Date.now() + 1000;
    while (Date.now() < end) {
      const s = store.read(id); // throws on a torn file
      expect((s.config as unknown as { blob: string }).blob.length).toBe(200_000 + s.initPid);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    const w = await writer.done;
    expect(w.code).toBe(0);
    expect(reads).toBeGreaterThan(20);
    expect(fs.readdirSync(path.join(root, id)).sort()).toEqual(['.lock', 'state.json']);
    store.open(id).destroy();
  });
});

describe('pid files', () => {
  it('are decimal without a newline, written via a hidden temporary name and renamed', () => {
    const dir = path.join(root, '..', 'pids');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'init.pid');
    writePidFile(file, 12345);
    expect(fs.readFileSync(file, 'utf8')).toBe('12345');
    expect(fs.readdirSync(dir)).toEqual(['init.pid']);
    writePidFile(file, 7); // replaces an existing one
    expect(fs.readFileSync(file, 'utf8')).toBe('7');
    expect(fs.readdirSync(dir)).toEqual(['init.pid']);
  });

  it('are not blocked by a temporary file a killed runtime left (runc\'s fixed ".<name>" would be)', () => {
    const dir = path.join(root, '..', 'pids');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'x.pid');
    fs.writeFileSync(file, '1');
    fs.writeFileSync(path.join(dir, '.x.pid'), 'stale');
    writePidFile(file, 99);
    expect(fs.readFileSync(file, 'utf8')).toBe('99');
    expect(() => writePidFile(path.join(dir, 'nodir', 'p'), 1)).toThrow(/no such file or directory/);
    expect(() => writePidFile(file, 0)).toThrow('invalid pid');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.x.pid.'))).toEqual([]);
  });
});
