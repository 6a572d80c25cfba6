// bin/tsrun's start-up path (src/cli/entry.ts): the bundled CLI through a V8
// code cache, and the per-module build when there is no bundle. Runs against
// a private copy of the built tree, so the project's own cache is untouched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, PROJECT_ROOT, TEST_PREFIX } from '../helpers';
import { testTempDir } from '../helpers/ids';
import { V8_FLAGS } from '../../src/boot/bundle-cache';

let tree: string;
let entry: string;
let bundle: string;
let cacheDir: string;
let stateRoot: string;

beforeAll(() => {
  tree = testTempDir('entry');
  fs.cpSync(path.join(PROJECT_ROOT, 'dist', 'src'), path.join(tree, 'dist', 'src'), { recursive: true });
  fs.cpSync(path.join(PROJECT_ROOT, 'dist', 'oci-spec'), path.join(tree, 'dist', 'oci-spec'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'dist', 'bundle'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'tsrun.js'), path.join(tree, 'dist', 'bundle', 'tsrun.js'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'native'), path.join(tree, 'native'));
  entry = path.join(tree, 'dist', 'src', 'cli', 'entry.js');
  bundle = path.join(tree, 'dist', 'bundle', 'tsrun.js');
  cacheDir = path.join(tree, 'dist', 'bundle', 'code-cache');
  stateRoot = path.join(tree, 'state');
  fs.mkdirSync(stateRoot, { mode: 0o700 });
});

afterAll(() => {
  fs.rmSync(tree, { recursive: true, force: true });
});

/** the CLI as bin/tsrun starts it (with other node flags when given) */
function cli(args: string[], nodeFlags: readonly string[] = V8_FLAGS): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...nodeFlags, entry, ...args], { env: cliEnv(), encoding: 'utf8', cwd: tree });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cacheFiles(prefix: string): string[] {
  try {
    return fs.readdirSync(cacheDir).filter((f) => f.startsWith(`${prefix}-`));
  } catch {
    return [];
  }
}

function clearCache(): void {
  fs.rmSync(cacheDir, { recursive: true, force: true });
}

describe('the bundle', () => {
  it('is pure ASCII and names its build on the first line', () => {
    const bytes = fs.readFileSync(bundle);
    expect(bytes.every((b) => b < 0x80)).toBe(true);
    expect(bytes.subarray(0, 40).toString()).toMatch(/^\/\/ tsrun bundle [0-9a-f]{16}\n/);
  });
});

describe('code cache', () => {
  it('a successful command leaves a cache for that command, private to root', () => {
    clearCache();
    const r = cli(['--root', stateRoot, 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const files = cacheFiles('list');
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.v8$/);
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
    const st = fs.statSync(path.join(cacheDir, files[0]!));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBeGreaterThan(1000);
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an accepted cache is used as it is, not rewritten', () => {
    const [file] = cacheFiles('list');
    const before = fs.statSync(path.join(cacheDir, file!));
    const r = cli(['--root', stateRoot, 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const after = fs.statSync(path.join(cacheDir, file!));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('a corrupt cache is rejected, the command still works, and the cache is rewritten', () => {
    const [file] = cacheFiles('list');
    const p = path.join(cacheDir, file!);
    const garbage = Buffer.alloc(4096, 0x5a);
    fs.writeFileSync(p, garbage, { mode: 0o600 });
    const r = cli(['--root', stateRoot, 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(fs.readFileSync(p).equals(garbage)).toBe(false);
  });

  it('a cache file others could write is not trusted: it is replaced', () => {
    const [file] = cacheFiles('list');
    const p = path.join(cacheDir, file!);
    fs.chmodSync(p, 0o620);
    const before = fs.statSync(p);
    const r = cli(['--root', stateRoot, 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const after = fs.statSync(p);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
  });

  it('a cache directory others could write is neither read nor written', () => {
    clearCache();
    fs.mkdirSync(cacheDir, { mode: 0o700 });
    fs.chmodSync(cacheDir, 0o770);
    const r = cli(['--root', stateRoot, 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
    clearCache();
  });

  it('a failed command writes no cache', () => {
    clearCache();
    const r = cli(['--root', stateRoot, 'state', `${TEST_PREFIX}no-such-container`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container does not exist');
    expect(cacheFiles('state')).toEqual([]);
  });

  it('node flags get their own cache file', () => {
    clearCache();
    expect(cli(['--root', stateRoot, 'list', '-q']).code).toBe(0);
    expect(cli(['--root', stateRoot, 'list', '-q'], ['--no-opt']).code).toBe(0);
    expect(cacheFiles('list')).toHaveLength(2);
  });

  it('a rebuilt bundle does not use the old build\'s cache', () => {
    clearCache();
    expect(cli(['--root', stateRoot, 'list', '-q']).code).toBe(0);
    const [old] = cacheFiles('list');
    // same content and size, new mtime: a different key
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(bundle, t, t);
    expect(cli(['--root', stateRoot, 'list', '-q']).code).toBe(0);
    const files = cacheFiles('list');
    expect(files).toHaveLength(2);
    expect(files).toContain(old);
  });
});

describe('baseline cache', () => {
  it('the build writes one that node accepts for the built bundle, under the flags bin/tsrun gives node', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const e = require(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'entry.js')) as typeof import('../../src/cli/entry');
    const b = e.readBundle();
    expect(b).toBeDefined();
    const file = e.baselineCacheFile(b!);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // in a node started as bin/tsrun starts one
    const checked = spawnSync(process.execPath, [...V8_FLAGS, '-e', `
      const e = require(${JSON.stringify(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'entry.js'))});
      const b = e.readBundle();
      const script = e.compileBundle(b.source, require('node:fs').readFileSync(e.baselineCacheFile(b)));
      process.stdout.write(String(script.cachedDataRejected));`], { encoding: 'utf8' });
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toBe('false');
  });

  it('is read until the command has its own cache, which is then written', () => {
    clearCache();
    // a baseline for this tree's bundle, made the way scripts/bundle.js does
    const made = spawnSync(process.execPath, [...V8_FLAGS, '-e', `
      const e = require(${JSON.stringify(entry)});
      const b = e.readBundle();
      const s = e.compileBundle(b.source);
      process.exit(e.writeCache(e.baselineCacheFile(b), s.createCachedData(), b) ? 0 : 1);`]);
    expect(made.status).toBe(0);
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('baseline-'))).toHaveLength(1);
    const r = cli(['--root', stateRoot, 'list', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(cacheFiles('list')).toHaveLength(1);
    // made under bin/tsrun's V8 flags, as the baseline was: the next call accepts it
    const checked = spawnSync(process.execPath, [...V8_FLAGS, '-e', `
      const e = require(${JSON.stringify(entry)});
      const script = e.compileBundle(e.readBundle().source, require('node:fs').readFileSync(${JSON.stringify(path.join(cacheDir, cacheFiles('list')[0] as string))}));
      process.stdout.write(String(script.cachedDataRejected));`], { encoding: 'utf8' });
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toBe('false');
  });
});

describe('ownership', () => {
  it('a directory owned by the bundle\'s owner is trusted, one owned by someone else is not', () => {
    clearCache();
    fs.mkdirSync(cacheDir, { mode: 0o700 });
    fs.chownSync(cacheDir, 1000, 1000);
    try {
      // root runs a bundle root owns: a dir of uid 1000 is not ours to trust
      expect(cli(['--root', stateRoot, 'list', '-q']).code).toBe(0);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
      // the same bundle owned by uid 1000: its owner's dir is as trusted as its code
      fs.chownSync(bundle, 1000, 1000);
      expect(cli(['--root', stateRoot, 'list', '-q']).code).toBe(0);
      expect(cacheFiles('list')).toHaveLength(1);
    } finally {
      fs.chownSync(bundle, 0, 0);
      clearCache();
    }
  });
});

describe('the lean bundles', () => {
  const LEAN = fs.readdirSync(path.join(PROJECT_ROOT, 'dist', 'bundle')).filter((f) => /^tsrun-[a-z]+\.js$/.test(f));
  const lean = (name: string) => path.join(tree, 'dist', 'bundle', `tsrun-${name}.js`);
  const leanId = (name: string) => fs.readFileSync(lean(name), 'latin1').slice('// tsrun bundle '.length, '// tsrun bundle '.length + 16);
  const copyLean = () => {
    for (const f of LEAN) fs.copyFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', f), path.join(tree, 'dist', 'bundle', f));
  };
  const removeLean = () => {
    for (const f of LEAN) fs.rmSync(path.join(tree, 'dist', 'bundle', f), { force: true });
  };

  it('are built for create, exec, state, start, kill and delete, and one for the other lifecycle commands', () => {
    expect(LEAN.sort()).toEqual(['tsrun-create.js', 'tsrun-delete.js', 'tsrun-exec.js', 'tsrun-kill.js', 'tsrun-lifecycle.js', 'tsrun-start.js', 'tsrun-state.js']);
  });

  it('run the lifecycle commands, with the same output as the whole CLI', () => {
    const missing = ['--root', stateRoot, 'state', `${TEST_PREFIX}entry-missing`];
    const killMissing = ['--root', stateRoot, 'kill', `${TEST_PREFIX}entry-missing`, 'KILL'];
    const whole = cli(missing);
    const wholeKill = cli(killMissing);
    const listed = cli(['--root', stateRoot, 'list', '--format', 'json']);
    copyLean();
    try {
      clearCache();
      const r = cli(missing);
      expect(r.code).toBe(whole.code);
      expect(r.stderr.replace(/time="[^"]*"/g, '')).toBe(whole.stderr.replace(/time="[^"]*"/g, ''));
      const k = cli(killMissing);
      expect(k.code).toBe(wholeKill.code);
      expect(k.stderr.replace(/time="[^"]*"/g, '')).toBe(wholeKill.stderr.replace(/time="[^"]*"/g, ''));
      const l = cli(['--root', stateRoot, 'list', '--format', 'json']);
      expect(l.code, l.stderr).toBe(0);
      expect(l.stdout).toBe(listed.stdout);
      // each command's cache is that of the bundle it ran from
      expect(cacheFiles('list').map((f) => f.split('-')[1])).toEqual([leanId('lifecycle')]);
    } finally {
      removeLean();
    }
  });

  it('leave other commands to the whole CLI, also when a flag value looks like a lifecycle command', () => {
    copyLean();
    try {
      // the guess from the words says "state"; the command is create
      const r = cli(['--root', 'state', 'create', '--bundle', path.join(tree, 'no-such-bundle'), `${TEST_PREFIX}entry-create`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('JSON specification file config.json not found in bundle');
      expect(r.stderr).not.toContain('internal error');
      // the guess says "create"; the command is spec
      const s = cli(['--root', 'create', 'spec', '--bundle', path.join(tree, 'no-such-dir')]);
      expect(s.stderr).not.toContain('internal error');
      expect(s.code).toBe(cli(['spec', '--bundle', path.join(tree, 'no-such-dir')]).code);
      // and a lifecycle command named in another one's bundle runs from its own (or the whole CLI)
      const d = cli(['--root', stateRoot, 'start', 'delete']);
      expect(d.stderr).not.toContain('internal error');
      expect(d.stderr).toContain('container does not exist');
      const spec = cli(['spec', '--bundle', tree]);
      expect(spec.code, spec.stderr).toBe(0);
    } finally {
      removeLean();
      fs.rmSync(path.join(tree, 'config.json'), { force: true });
    }
  });
});

describe('without a bundle', () => {
  it('runs the per-module build with the same output', () => {
    const bundled = cli(['--version']);
    const bundledSpec = cli(['spec', '--bundle', tree]);
    const specFromBundle = fs.readFileSync(path.join(tree, 'config.json'), 'utf8');
    fs.rmSync(path.join(tree, 'config.json'));
    fs.renameSync(bundle, `${bundle}.away`);
    try {
      const plain = cli(['--version']);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toBe(bundled.stdout);
      expect(bundledSpec.code).toBe(0);
      expect(cli(['spec', '--bundle', tree]).code).toBe(0);
      expect(fs.readFileSync(path.join(tree, 'config.json'), 'utf8')).toBe(specFromBundle);
    } finally {
      fs.renameSync(`${bundle}.away`, bundle);
      fs.rmSync(path.join(tree, 'config.json'), { force: true });
    }
  });
});
