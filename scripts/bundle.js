#!/usr/bin/env node
// Bundles the CLI into one file, dist/bundle/tsrun.js, which
// dist/src/cli/entry.js loads through a V8 code cache, and the containerd
// shim into dist/bundle/shim.js, loaded the same way by dist/src/shim/entry.js.
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

async function bundle(entry = input) {
  const { rolldown } = require('rolldown');
  const build = await rolldown({
    input: entry,
    platform: 'node',
    external: [/^yargs(\/|$)/],
    tsconfig: path.join(root, 'tsconfig.build.json'),
    logLevel: 'warn',
    plugins: [
      {
        name: 'tsrun-build-info',
        resolveId: (id) => (id === './build-info.json' ? buildInfo : undefined),
      },
    ],
  });
  try {
    const { output } = await build.generate({ format: 'cjs', codeSplitting: false, strict: true, keepNames: true });
    if (output.length !== 1) throw new Error(`expected one output chunk, got ${output.length}`);
    return output[0].code;
  } finally {
    await build.close();
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
  await writeBundle(input, outFile);
  // containerd-shim-tsrun-v2's Node side, run by its C launcher through
  // dist/src/shim/entry.js
  await writeBundle(path.join(root, 'src', 'shim', 'main.ts'), path.join(outDir, 'shim.js'));
}

async function writeBundle(entry, file) {
  const code = toAscii(await bundle(entry));
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
