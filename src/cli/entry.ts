// What bin/tsrun runs: the CLI from the single-file bundle (dist/bundle/tsrun.js,
// made by scripts/bundle.js), compiled with a V8 code cache; without a bundle,
// the per-module build (./main). Behaviour is the same either way.
//
// Why: every tsrun call is a fresh node, and a containerd lifecycle makes at
// least four. Loading ~170 modules costs a resolve/stat/read each plus their
// compilation; one file removes the first, and the cache (the bytecode of the
// functions an earlier call of the same command ran) most of the second.
//
// The cache is executable code for a root process, so it is trusted only as
// far as the bundle is: files we own in a directory we own that nobody else
// can write. It is keyed on the bundle's build id (its first line), size and
// mtime, node's version, architecture and flags (V8 rejects a cache made
// under other flags; separate files keep two flag sets from overwriting each
// other's). Whatever goes wrong with it, we compile from source.
//
// Keep this file small and free of project imports: it is not bundled.
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

type MainFn = (argv: readonly string[]) => Promise<number>;

const BUNDLE_DIR = path.join(__dirname, '..', '..', 'bundle');
const BUNDLE = path.join(BUNDLE_DIR, 'tsrun.js');
const CACHE_DIR = path.join(BUNDLE_DIR, 'code-cache');
const HEADER = '// tsrun bundle ';

/** Each command runs different code, so each gets its own cache. */
const COMMANDS = new Set([
  'create', 'start', 'run', 'state', 'kill', 'delete', 'exec', 'list', 'ps',
  'pause', 'resume', 'update', 'events', 'spec', 'features',
]);

interface Loaded {
  main: MainFn;
  /** writes a fresh cache; undefined when the one we used was accepted */
  saveCache?: () => void;
}

function commandOf(argv: readonly string[]): string {
  // only picks a cache file: a wrong guess costs speed, never behaviour
  for (const a of argv) if (COMMANDS.has(a)) return a;
  return 'other';
}

/** FNV-1a, 32 bits: names node's flags in the cache key (no need for node:crypto here) */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

function ownedByUs(st: fs.Stats): boolean {
  return st.uid === (process.geteuid?.() ?? 0) && (st.mode & 0o022) === 0;
}

function readCache(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    const dir = fs.lstatSync(CACHE_DIR);
    if (!dir.isDirectory() || !ownedByUs(dir)) return undefined;
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !ownedByUs(st)) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writeCache(file: string, data: Buffer): void {
  try {
    try {
      fs.mkdirSync(CACHE_DIR, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return;
    }
    const dir = fs.lstatSync(CACHE_DIR);
    if (!dir.isDirectory() || !ownedByUs(dir)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch {
    // read-only install, full disk, another user: run without a cache
  }
}

function loadBundle(argv: readonly string[]): Loaded | undefined {
  let source: string;
  let st: fs.Stats;
  try {
    const fd = fs.openSync(BUNDLE, fs.constants.O_RDONLY);
    try {
      st = fs.fstatSync(fd);
      const bytes = fs.readFileSync(fd);
      // scripts/bundle.js writes pure ASCII: a one-byte string, no UTF-8 decoding
      source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!source.startsWith(HEADER)) return undefined;
  const buildId = source.slice(HEADER.length, source.indexOf('\n'));
  const node = `${process.version}-${process.arch}-${shortHash(process.execArgv.join(' '))}`;
  const key = `${commandOf(argv)}-${buildId}-${st.size}-${Math.trunc(st.mtimeMs)}-${node}`;
  const cacheFile = path.join(CACHE_DIR, `${key}.v8`);
  const cachedData = readCache(cacheFile);

  // the CommonJS wrapper node itself puts around a module
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
    filename: BUNDLE,
    cachedData,
  });
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  const bundleRequire = Module.createRequire(BUNDLE);
  wrapper.call(mod.exports, mod.exports, bundleRequire, mod, BUNDLE, BUNDLE_DIR);
  mod.loaded = true;
  const main = (mod.exports as { main?: MainFn }).main;
  if (typeof main !== 'function') return undefined;
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return { main, saveCache: fresh ? () => writeCache(cacheFile, script.createCachedData()) : undefined };
}

function run(): void {
  const argv = process.argv.slice(2);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = loadBundle(argv) ?? { main: (require('./main') as { main: MainFn }).main };
  loaded.main(argv).then(
    (code) => {
      // a cache made by a failed call would lack the success path's code
      if (code === 0) loaded.saveCache?.();
      process.exit(code);
    },
    (e: unknown) => {
      // main() reports its own errors; this is a last resort
      fs.writeSync(2, `tsrun: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

run();
