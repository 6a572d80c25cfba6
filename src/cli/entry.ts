// What bin/tsrun runs: the CLI from the single-file bundle (dist/bundle/tsrun.js,
// made by scripts/bundle.js), compiled with a V8 code cache; without a bundle,
// the per-module build (./main). Behaviour is the same either way.
//
// Why: every tsrun call is a fresh node, and a containerd lifecycle makes at
// least four. Loading ~170 modules costs a resolve/stat/read each plus their
// compilation; one file removes the first, and the cache (the bytecode of the
// functions an earlier call of the same command ran) most of the second.
//
// Two kinds of cache, in dist/bundle/code-cache/:
// - per command, written after the first successful call of that command
//   (createCachedData then holds every function the call ran);
// - a baseline the build writes (the top level and module bodies only), used
//   until the command's own cache exists, or always on a read-only install.
//
// A cache is executable code for a root process, so it is trusted exactly as
// far as the bundle is: the file and its directory must be owned by us or by
// the bundle's owner, and writable by nobody else. Keys: the bundle's build id
// (its first line), size and mtime, node's version and architecture, and for
// the per-command caches node's flags (V8 rejects a cache made under other
// flags; separate files keep two flag sets from overwriting each other's).
// Whatever goes wrong with a cache, we compile from source.
//
// Keep this file small and free of project imports: it is not bundled.
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

type MainFn = (argv: readonly string[]) => Promise<number>;

const BUNDLE_DIR = path.join(__dirname, '..', '..', 'bundle');
export const BUNDLE = path.join(BUNDLE_DIR, 'tsrun.js');
export const CACHE_DIR = path.join(BUNDLE_DIR, 'code-cache');
const HEADER = '// tsrun bundle ';

/** Each command runs different code, so each gets its own cache. */
const COMMANDS = new Set([
  'create', 'start', 'run', 'state', 'kill', 'delete', 'exec', 'list', 'ps',
  'pause', 'resume', 'update', 'events', 'spec', 'features',
  'pull', 'images', 'image', 'rmi', 'login', 'logout',
]);

export interface BundleSource {
  source: string;
  /** build id, size, mtime: names this exact file */
  id: string;
  /** the file's owner, trusted as much as the code */
  ownerUid: number;
}

/** Read the bundle (undefined when there is none). */
export function readBundle(): BundleSource | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(BUNDLE, fs.constants.O_RDONLY);
    const st = fs.fstatSync(fd);
    const bytes = fs.readFileSync(fd);
    // scripts/bundle.js writes pure ASCII: a one-byte string, no UTF-8 decoding
    const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    if (!source.startsWith(HEADER)) return undefined;
    const buildId = source.slice(HEADER.length, source.indexOf('\n'));
    return { source, id: `${buildId}-${st.size}-${Math.trunc(st.mtimeMs)}`, ownerUid: st.uid };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The bundle wrapped like a CommonJS module, compiled (with a cache when given). */
export function compileBundle(source: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
    filename: BUNDLE,
    cachedData,
  });
}

/** The build's cache: any command, any node flags. */
export function baselineCacheFile(b: BundleSource): string {
  return path.join(CACHE_DIR, `baseline-${b.id}-${process.version}-${process.arch}.v8`);
}

function commandCacheFile(b: BundleSource, argv: readonly string[]): string {
  // the command only picks a file: a wrong guess costs speed, never behaviour
  const command = argv.find((a) => COMMANDS.has(a)) ?? 'other';
  return path.join(CACHE_DIR, `${command}-${b.id}-${process.version}-${process.arch}-${shortHash(process.execArgv.join(' '))}.v8`);
}

/** FNV-1a, 32 bits: names node's flags in the cache key (no need for node:crypto here) */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

function trusted(st: fs.Stats, b: BundleSource): boolean {
  const uid = process.geteuid?.() ?? 0;
  return (st.uid === uid || st.uid === b.ownerUid) && (st.mode & 0o022) === 0;
}

function trustedDir(b: BundleSource): boolean {
  const dir = fs.lstatSync(CACHE_DIR);
  return dir.isDirectory() && trusted(dir, b);
}

function readCache(file: string, b: BundleSource): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!trustedDir(b)) return undefined;
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !trusted(st, b)) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Atomically write a cache file, 0600 in a 0700 dir; false when it cannot be done. */
export function writeCache(file: string, data: Buffer, b: BundleSource): boolean {
  try {
    try {
      fs.mkdirSync(CACHE_DIR, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    if (!trustedDir(b)) return false;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    // read-only install, full disk, another user: run without a cache
    return false;
  }
}

interface Loaded {
  main: MainFn;
  /** writes the command's cache; undefined when it was there and accepted */
  saveCache?: () => void;
}

function loadBundle(argv: readonly string[]): Loaded | undefined {
  const b = readBundle();
  if (!b) return undefined;
  const cacheFile = commandCacheFile(b, argv);
  let cachedData = readCache(cacheFile, b);
  const own = cachedData !== undefined;
  cachedData ??= readCache(baselineCacheFile(b), b);
  const script = compileBundle(b.source, cachedData);
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  // the image chunk (dist/bundle/image.js) takes shared modules from require('./tsrun.js'): this instance
  require.cache[BUNDLE] = mod;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, BUNDLE_DIR);
  mod.loaded = true;
  const main = (mod.exports as { main?: MainFn }).main;
  if (typeof main !== 'function') return undefined;
  const fresh = !own || script.cachedDataRejected === true;
  return { main, saveCache: fresh ? () => writeCache(cacheFile, script.createCachedData(), b) : undefined };
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

if (require.main === module) run();
