// Loading a single-file bundle of dist/bundle/ (made by scripts/bundle.js)
// through a V8 code cache: what bin/tsrun's entry (src/cli/entry.ts) and the
// containerd shim's (src/shim/entry.ts) share. Every tsrun call is a fresh
// node; one file instead of ~170 modules saves their resolution, stat and
// read, and the cache (the bytecode of the functions an earlier call ran)
// most of their compilation.
//
// Two kinds of cache, in dist/bundle/code-cache/:
// - per use (a CLI command, a shim action), written after a first successful
//   run (createCachedData then holds every function that run used);
// - a baseline the build writes (the top level and module bodies only), used
//   until the use's own cache exists, or always on a read-only install.
//
// A cache is executable code for a root process, so it is trusted exactly as
// far as the bundle is: the file and its directory must be owned by us or by
// the bundle's owner, and writable by nobody else. Keys: the bundle's build id
// (its first line), size and mtime, node's version and architecture, and for
// the per-use caches node's flags (V8 rejects a cache made under other flags;
// separate files keep two flag sets from overwriting each other's).
// Whatever goes wrong with a cache, we compile from source.
//
// Keep this file small and free of project imports: it is not bundled.
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** dist/bundle (this file is dist/src/boot/bundle-cache.js) */
export const BUNDLE_DIR = path.join(__dirname, '..', '..', 'bundle');
export const CACHE_DIR = path.join(BUNDLE_DIR, 'code-cache');
const HEADER = '// tsrun bundle ';

export interface BundleSource {
  file: string;
  source: string;
  /** build id, size, mtime: names this exact file */
  id: string;
  /** the file's owner, trusted as much as the code */
  ownerUid: number;
}

/**
 * The V8 flags of every node tsrun starts, on its command line: bin/tsrun's
 * and the shim launcher's (native/launcher/main.c; test/unit/v8-flags.test.ts
 * holds them to this list). The build writes the baseline caches under them
 * too (scripts/bundle.js), because V8 rejects a code cache made under other
 * flags.
 *
 * --interrupt-budget: V8 optimizes a function once this much of its bytecode
 * has run (66 KiB by default in node 20). A tsrun process lives seconds and
 * does its heavy work on the addon's threads; at the default, TurboFan spent
 * over 100 ms of a second core compiling the tar parser's functions during a
 * 0.3 s layer unpack, which needs both cores itself. 60 times later, only
 * code that runs long is optimized.
 */
export const V8_FLAGS: readonly string[] = ['--interrupt-budget=4000000'];

/** Read a bundle (undefined when there is none). */
export function readBundle(file: string): BundleSource | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
    const st = fs.fstatSync(fd);
    const bytes = fs.readFileSync(fd);
    // scripts/bundle.js writes pure ASCII: a one-byte string, no UTF-8 decoding
    const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    if (!source.startsWith(HEADER)) return undefined;
    const buildId = source.slice(HEADER.length, source.indexOf('\n'));
    return { file, source, id: `${buildId}-${st.size}-${Math.trunc(st.mtimeMs)}`, ownerUid: st.uid };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The bundle wrapped like a CommonJS module, compiled (with a cache when given). */
export function compileBundle(source: string, file: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
    filename: file,
    cachedData,
  });
}

/** The build's cache: any use, any node flags. */
export function baselineCacheFile(b: BundleSource): string {
  return path.join(CACHE_DIR, `baseline-${b.id}-${process.version}-${process.arch}.v8`);
}

/** The cache of one use (a command, an action) under this node's flags. */
function useCacheFile(b: BundleSource, use: string): string {
  return path.join(CACHE_DIR, `${use}-${b.id}-${process.version}-${process.arch}-${shortHash(process.execArgv.join(' '))}.v8`);
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

export interface LoadedBundle<T> {
  exports: T;
  /** writes the use's cache; undefined when it was there and accepted */
  saveCache?: () => void;
}

/** Run a bundle's top level with the use's cache (or the baseline); its module.exports. */
export function loadBundle<T>(b: BundleSource, use: string, parent: NodeJS.Module): LoadedBundle<T> {
  const cacheFile = useCacheFile(b, use);
  let cachedData = readCache(cacheFile, b);
  const own = cachedData !== undefined;
  cachedData ??= readCache(baselineCacheFile(b), b);
  const script = compileBundle(b.source, b.file, cachedData);
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = new Module(b.file, parent);
  mod.filename = b.file;
  // a chunk of this bundle (dist/bundle/image.js) takes its shared modules from
  // require('./tsrun.js'): it must find this instance, not load a second one
  require.cache[b.file] = mod;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(b.file), mod, b.file, path.dirname(b.file));
  mod.loaded = true;
  const fresh = !own || script.cachedDataRejected === true;
  return { exports: mod.exports as T, saveCache: fresh ? () => writeCache(cacheFile, script.createCachedData(), b) : undefined };
}
