#!/usr/bin/env node
// Bundles the CLI into one file, dist/bundle/tsrun.js, which
// dist/src/cli/entry.js loads through a V8 code cache (its image commands'
// code into dist/bundle/image.js, its network code into dist/bundle/network.js,
// each loaded only when needed: see below), and the
// containerd shim into dist/bundle/shim.js, loaded the same way by
// dist/src/shim/entry.js.
// One file instead of ~170 modules saves Node's per-module resolution, stat
// and read work; the cache saves compiling it (see src/boot/bundle-cache.ts).
// Runs after tsc and write-build-info.js (the entries and build-info.json
// come from there).
//
// The input is the TypeScript sources (src/cli/main.ts), not tsc's CommonJS
// output: as ES modules, rolldown can hoist them into one scope, so a module
// costs no wrapper, no export object and no __importStar copy of node:fs per
// importer (~8 ms less CPU for `run`). Modules reached through import() stay
// lazy (rolldown's init_* functions), as they are with tsc's output. Both
// compilers emit the same ES2022 classes and fields for this code base; the
// integration tests run the CLI from this bundle.
//
// The bundle is made pure ASCII (every other UTF-16 unit becomes a \uXXXX
// escape, which means the same thing in strings, regexes, identifiers and
// comments): node then reads it as a one-byte string, ~3 ms faster than
// decoding UTF-8 into a two-byte one. The two cases where the escape would
// change a value (String.raw, a backslash before the character) stop the build.
//
// The first line names the build: "// tsrun bundle <sha256 prefix>"; the code
// caches are keyed on it, so a rebuilt bundle never meets a stale cache. The
// build also writes each bundle's baseline code cache.
// yargs stays outside (only --help and unusual syntax load it; it finds its
// locale files relative to itself). The old caches are removed here.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const input = path.join(root, 'src', 'cli', 'main.ts');
// written by write-build-info.js; src/version.ts requires it next to itself (dist/src)
const buildInfo = path.join(root, 'dist', 'src', 'build-info.json');
const outDir = path.join(root, 'dist', 'bundle');
const outFile = path.join(outDir, 'tsrun.js');
// The lean bundles: the CLI for the commands an engine calls on every
// container (state, start, kill, delete...: LEAN_BUNDLES in src/cli/entry.ts,
// which picks one per call), dist/bundle/tsrun-<name>.js, each built from the
// same main.ts with every other command's handler module replaced by a stub
// that is never reached (entry.ts checks the command first). With them go the
// config checks, seccomp, rootfs and image code, and for state the cgroup
// managers and hooks too: what each of those calls would read, deserialize
// and partly run.
const LEAN_ENTRY = '\0tsrun-lean-entry';
const LEAN_STUB = '\0tsrun-lean-stub:';

// The image code (src/image, reached from the CLI only through a dynamic
// import of src/image/index.ts) goes into its own file, dist/bundle/image.js,
// loaded only when an image command runs, so the CLI bundle (what every
// `tsrun state` reads and compiles) does not grow with it. Modules both
// files need must exist once: the image chunk takes them from the CLI bundle,
// which exports them as lazy getters (a require() of an ES module inside the
// bundle keeps it lazily initialised); src/boot/bundle-cache.ts registers the
// loaded bundle in require.cache, so image.js's require('./tsrun.js') finds
// that same instance. Only src/ modules are shared (they hold state and
// classes whose identity matters: errors, logging, the addon); libraries and
// oci-spec schemas, stateless, are copied into the chunk, so the CLI bundle
// keeps its tree-shaking.
// The network code (src/network, reached only through a dynamic import of
// src/network/index.ts) is split off the same way, into dist/bundle/network.js,
// and so is the code of `tsrun container`/`volume` (src/container/image-run,
// through its index.ts), into dist/bundle/container-run.js.
const LAZY_CHUNKS = [
  ['image', 'image'],
  ['network', 'network'],
  ['container-run', path.join('container', 'image-run')],
].map(([name, dir]) => ({
  name,
  entry: path.join(root, 'src', dir, 'index.ts'),
  dir: path.join(root, 'src', dir) + path.sep,
  file: path.join(outDir, `${name}.js`),
}));
const srcDir = path.join(root, 'src') + path.sep;
const SHARED_EXPORT = '__tsrunShared';
const SHARED_PREFIX = '\0tsrun-shared:';
const MAIN_ENTRY = '\0tsrun-main-entry';
/** a chunk requires this; replaced by './tsrun.js' after the build (a relative external would be rewritten) */
const MAIN_BUNDLE_ID = 'tsrun-main-bundle';
const EXTERNAL = [/^yargs(\/|$)/];
const CHUNK_EXTERNAL = [...EXTERNAL, /^zstd-napi(\/|$)/, /^@aws-sdk\//, new RegExp(`^${MAIN_BUNDLE_ID}$`)];

const buildInfoPlugin = {
  name: 'tsrun-build-info',
  resolveId: (id) => (id === './build-info.json' ? buildInfo : undefined),
};

/** Code outside a lazy chunk reaches it only through its entry, as an external './<name>.js'. */
const lazyExternalPlugin = {
  name: 'tsrun-lazy-external',
  async resolveId(source, importer) {
    if (!importer || importer.startsWith('\0')) return undefined;
    const from = LAZY_CHUNKS.find((c) => importer.startsWith(c.dir));
    const r = await this.resolve(source, importer, { skipSelf: true });
    const to = r && LAZY_CHUNKS.find((c) => r.id.startsWith(c.dir));
    if (!to || to === from) return undefined;
    if (r.id !== to.entry) {
      throw new Error(`${path.relative(root, importer)} imports ${path.relative(root, r.id)}: outside ${path.relative(root, to.dir)}, import only ${path.relative(root, to.entry)} (dynamically)`);
    }
    return { id: `./${to.name}.js`, external: true };
  },
};

/** One rolldown build to one CommonJS chunk (dynamic imports inlined, or require()d when external). */
async function generate(inputOptions) {
  const { rolldown } = require('rolldown');
  const build = await rolldown({ platform: 'node', tsconfig: path.join(root, 'tsconfig.build.json'), logLevel: 'warn', ...inputOptions });
  try {
    const { output } = await build.generate({ format: 'cjs', codeSplitting: false, dynamicImportInCjs: false, strict: true, keepNames: true });
    if (output.length !== 1) throw new Error(`expected one output chunk, got ${output.length}`);
    return output[0];
  } finally {
    await build.close();
  }
}

/** The CLI bundle and its lazy chunks: { main, chunks: Map<name, code> } */
async function bundleCli() {
  // 1. which modules the CLI bundle holds
  const first = await generate({ input, external: EXTERNAL, plugins: [buildInfoPlugin, lazyExternalPlugin] });
  const inMain = new Set(first.moduleIds.filter((id) => !id.startsWith('\0')));
  // 2. each lazy chunk, taking those of src/ from the CLI bundle
  const shared = new Map();
  const chunks = new Map();
  const requireMain = `require(${JSON.stringify(MAIN_BUNDLE_ID)})`;
  for (const chunk of LAZY_CHUNKS) {
    let mine = 0;
    const sharedPlugin = {
      name: 'tsrun-shared-modules',
      async resolveId(source, importer) {
        if (!importer || importer.startsWith('\0')) return undefined;
        const r = await this.resolve(source, importer, { skipSelf: true });
        if (!r || r.external || !inMain.has(r.id) || !r.id.startsWith(srcDir) || r.id.startsWith(chunk.dir)) return undefined;
        const key = path.relative(root, r.id);
        shared.set(key, r.id);
        mine++;
        return SHARED_PREFIX + key;
      },
      load(id) {
        if (!id.startsWith(SHARED_PREFIX)) return undefined;
        return `module.exports = require(${JSON.stringify(MAIN_BUNDLE_ID)}).${SHARED_EXPORT}[${JSON.stringify(id.slice(SHARED_PREFIX.length))}];`;
      },
    };
    const out = await generate({ input: chunk.entry, external: CHUNK_EXTERNAL, plugins: [buildInfoPlugin, lazyExternalPlugin, sharedPlugin] });
    if (!out.code.includes(requireMain) && mine > 0) throw new Error(`the ${chunk.name} chunk does not ${requireMain}`);
    chunks.set(chunk.name, out.code.split(requireMain).join('require("./tsrun.js")'));
  }
  // 3. the CLI bundle, exporting what the chunks take from it
  const getters = [...shared]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, id]) => `  get ${JSON.stringify(key)}() { return require(${JSON.stringify(id)}); },`)
    .join('\n');
  const entryPlugin = {
    name: 'tsrun-main-entry',
    resolveId: (id) => (id === MAIN_ENTRY ? MAIN_ENTRY : undefined),
    load: (id) => (id === MAIN_ENTRY ? `export * from ${JSON.stringify(input)};\nexport const ${SHARED_EXPORT} = {\n${getters}\n};\n` : undefined),
  };
  const main = await generate({ input: MAIN_ENTRY, external: EXTERNAL, plugins: [entryPlugin, buildInfoPlugin, lazyExternalPlugin] });
  checkEagerRequires(main.code, 'the CLI bundle');
  return { main: main.code, chunks };
}

/** A lean bundle: main() with the handlers of `commands` only, and what entry.ts needs to check that it can run a call. */
async function bundleLean(name, commands) {
  const kept = new Set(commands);
  const cliDir = path.join(root, 'src', 'cli');
  const entryPlugin = {
    name: 'tsrun-lean',
    resolveId(source, importer) {
      if (source === LEAN_ENTRY) return LEAN_ENTRY;
      const m = /^\.\/commands\/([a-z-]+)$/.exec(source);
      if (m && importer === input && !kept.has(m[1])) return LEAN_STUB + m[1];
      return undefined;
    },
    load(id) {
      if (id === LEAN_ENTRY) {
        return [
          `export { main } from ${JSON.stringify(input)};`,
          `export { splitGlobalArgs } from ${JSON.stringify(path.join(cliDir, 'globals.ts'))};`,
          `export { findCommand } from ${JSON.stringify(path.join(cliDir, 'command-table.ts'))};`,
        ].join('\n');
      }
      if (id.startsWith(LEAN_STUB)) {
        const stubbed = id.slice(LEAN_STUB.length);
        return `export const handler = () => { throw new Error(${JSON.stringify(`internal error: ${stubbed} is not in the ${name} bundle`)}); };`;
      }
      return undefined;
    },
  };
  for (const command of kept) {
    if (!fs.existsSync(path.join(cliDir, 'commands', `${command}.ts`))) throw new Error(`LEAN_BUNDLES names ${command}, but src/cli/commands/${command}.ts does not exist`);
  }
  const out = await generate({ input: LEAN_ENTRY, external: EXTERNAL, plugins: [entryPlugin, buildInfoPlugin, lazyExternalPlugin] });
  checkEagerRequires(out.code, `the ${name} bundle`);
  return out.code;
}

/** A bundle of one entry, all in one file (the shim). */
async function bundle(entry) {
  return (await generate({ input: entry, external: EXTERNAL, plugins: [buildInfoPlugin] })).code;
}

// rolldown hoists every static import of an external module (node:tty, say) to
// the top of the bundle, even when only a lazily reached module imports it: it
// then loads on every call. Node's own modules beyond these, which `node -e 0`
// has loaded already or costs next to nothing (os), pull in streams, net and
// more (~3 ms CPU for child_process or tty): such modules require() them where
// they are used (src/hooks/run.ts, src/container/ps.ts).
const EAGER_BUILTINS = new Set(['node:fs', 'node:path', 'node:os']);

function checkEagerRequires(code, what) {
  for (const m of code.matchAll(/^(?:let|const|var) \w+ = require\("([^"]+)"\)/gm)) {
    if (!EAGER_BUILTINS.has(m[1])) {
      throw new Error(`${what} loads ${m[1]} at its top level, on every call: import it only as a type and require() it where it is used`);
    }
  }
}

function toAscii(code) {
  if (/[^\x00-\x7f]/.test(code) && /\bString\.raw\b/.test(code)) {
    throw new Error('the bundle uses String.raw: escaping non-ASCII characters could change a raw string');
  }
  // "\é" is an identity escape; "\\u00e9" would be a backslash and "u00e9"
  if (/\\[^\x00-\x7f]/.test(code)) throw new Error('the bundle has a backslash before a non-ASCII character');
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function main() {
  if (!fs.existsSync(buildInfo)) throw new Error(`${buildInfo} is missing: run tsc and scripts/write-build-info.js first`);
  fs.mkdirSync(outDir, { recursive: true });
  // caches of earlier builds can never be used again
  fs.rmSync(path.join(outDir, 'code-cache'), { recursive: true, force: true });
  const cli = await bundleCli();
  // the chunks first: a CLI bundle never refers to a chunk older than itself
  for (const chunk of LAZY_CHUNKS) {
    const tmp = `${chunk.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, toAscii(cli.chunks.get(chunk.name)));
    fs.renameSync(tmp, chunk.file);
  }
  writeBundle(cli.main, outFile);
  const { LEAN_BUNDLES, leanBundleFile } = require(path.join(root, 'dist', 'src', 'cli', 'entry.js'));
  const leanFiles = new Set();
  for (const [name, commands] of Object.entries(LEAN_BUNDLES)) {
    const file = path.join(outDir, path.basename(leanBundleFile(name)));
    writeBundle(await bundleLean(name, commands), file);
    leanFiles.add(path.basename(file));
  }
  // lean bundles an earlier table named
  for (const f of fs.readdirSync(outDir)) if (/^tsrun-[a-z]+\.js$/.test(f) && !leanFiles.has(f)) fs.rmSync(path.join(outDir, f));
  // containerd-shim-tsrun-v2's Node side, run by its C launcher through
  // dist/src/shim/entry.js
  writeBundle(await bundle(path.join(root, 'src', 'shim', 'main.ts')), path.join(outDir, 'shim.js'));
}

function writeBundle(source, file) {
  const code = toAscii(source);
  const id = crypto.createHash('sha256').update(code).digest('hex').slice(0, 16);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `// tsrun bundle ${id}\n${code}`);
  fs.renameSync(tmp, file);
  writeBaselineCache(file);
}

/**
 * The cache every use starts from until it has its own (see
 * src/boot/bundle-cache.ts): the bundle compiled and its top level run (the
 * entry module and what it imports at start; the modules' bodies are
 * compiled eagerly, being parenthesised).
 */
function writeBaselineCache(file) {
  const boot = require(path.join(root, 'dist', 'src', 'boot', 'bundle-cache.js'));
  // the flags every use runs under (see boot.V8_FLAGS): V8 rejects a cache made under others
  require('node:v8').setFlagsFromString(boot.V8_FLAGS.join(' '));
  const b = boot.readBundle(file);
  if (!b) throw new Error(`cannot read back ${file}`);
  const script = boot.compileBundle(b.source, file);
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, require('node:module').createRequire(file), mod, file, path.dirname(file));
  if (!boot.writeCache(boot.baselineCacheFile(b), script.createCachedData(), b)) {
    process.stderr.write(`bundle: could not write the baseline code cache of ${file} (it works, but starts slower)\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bundle: ${e.stack ?? e}\n`);
  process.exit(1);
});
