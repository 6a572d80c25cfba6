// What bin/tsrun runs: the CLI from the single-file bundle (dist/bundle/tsrun.js,
// made by scripts/bundle.js), compiled with a V8 code cache (src/boot/bundle-cache.ts
// explains both kinds); without a bundle, the per-module build (./main).
// Behaviour is the same either way.
//
// Why: every tsrun call is a fresh node, and a containerd lifecycle through
// runc's shim makes at least four.
//
// Keep this file small and free of project imports beyond src/boot: it is not bundled.
import fs from 'node:fs';
import path from 'node:path';
import type vm from 'node:vm';
import * as boot from '../boot/bundle-cache';

type MainFn = (argv: readonly string[]) => Promise<number>;

export const BUNDLE = path.join(boot.BUNDLE_DIR, 'tsrun.js');
export const CACHE_DIR = boot.CACHE_DIR;
export type { BundleSource } from '../boot/bundle-cache';

/** Each command runs different code, so each gets its own cache. */
const COMMANDS = new Set([
  'create', 'start', 'run', 'state', 'kill', 'delete', 'exec', 'list', 'ps',
  'pause', 'resume', 'update', 'events', 'spec', 'features',
  'pull', 'images', 'image', 'rmi', 'login', 'logout',
]);

/**
 * The commands an engine calls for every container, in lean bundles: the same
 * CLI with only these commands' handlers and what they use, so that each call
 * reads, deserializes and runs less. create, exec, state, start, kill and
 * delete, which engines call most, each get one of their own (tsrun-state.js
 * holds no cgroup managers, no hooks, no config checks; tsrun-create.js no
 * other command's code); pause, resume, list, ps and events share
 * tsrun-lifecycle.js. Other commands run from the whole CLI, tsrun.js.
 * scripts/bundle.js builds them from this table.
 */
export const LEAN_BUNDLES: Readonly<Record<string, readonly string[]>> = {
  create: ['create'],
  exec: ['exec'],
  state: ['state'],
  start: ['start'],
  kill: ['kill'],
  delete: ['delete'],
  lifecycle: ['pause', 'resume', 'list', 'ps', 'events'],
};

/** dist/bundle/tsrun-<name>.js */
export function leanBundleFile(name: string): string {
  return path.join(boot.BUNDLE_DIR, `tsrun-${name}.js`);
}

/** The lean bundle holding `command`, if any. */
function leanBundleOf(command: string): { file: string; commands: readonly string[] } | undefined {
  for (const [name, commands] of Object.entries(LEAN_BUNDLES)) {
    if (commands.includes(command)) return { file: leanBundleFile(name), commands };
  }
  return undefined;
}

interface LeanExports {
  main: MainFn;
  splitGlobalArgs: (argv: readonly string[], env: { euid: number; xdgRuntimeDir?: string; cwd: string }) => { help: boolean; version: boolean; command?: string; rest: string[] };
  findCommand: (name: string) => { name: string } | undefined;
}

/**
 * Whether a lean bundle runs this call exactly as the whole CLI would: its
 * command, read as main() reads it, is one of the bundle's `commands`, or
 * main() stops before any command runs (bad global flags, an unknown command).
 */
function leanRuns(lean: LeanExports, commands: readonly string[], argv: readonly string[]): boolean {
  let split;
  try {
    split = lean.splitGlobalArgs(argv, { euid: process.geteuid?.() ?? 0, xdgRuntimeDir: process.env.XDG_RUNTIME_DIR, cwd: process.cwd() });
  } catch {
    return true;
  }
  if (split.help || split.version || split.command === undefined || split.command === 'help' || split.command === 'h') return false;
  const def = lean.findCommand(split.command);
  return def === undefined || commands.includes(def.name);
}

/** Read the CLI's bundle (undefined when there is none). */
export function readBundle(): boot.BundleSource | undefined {
  return boot.readBundle(BUNDLE);
}

/** The CLI's bundle wrapped like a CommonJS module, compiled (with a cache when given). */
export function compileBundle(source: string, cachedData?: Buffer): vm.Script {
  return boot.compileBundle(source, BUNDLE, cachedData);
}

export const baselineCacheFile = boot.baselineCacheFile;
export const writeCache = boot.writeCache;

function run(): void {
  const argv = process.argv.slice(2);
  // the command only picks a cache file and a bundle: a wrong guess costs speed, never behaviour
  const use = argv.find((a) => COMMANDS.has(a)) ?? 'other';
  let loaded: boot.LoadedBundle<{ main?: MainFn }> | undefined;
  const leanBundle = leanBundleOf(use);
  const leanSource = leanBundle && boot.readBundle(leanBundle.file);
  if (leanBundle && leanSource) {
    const lean = boot.loadBundle<LeanExports>(leanSource, use, module);
    if (leanRuns(lean.exports, leanBundle.commands, argv)) loaded = lean;
    else delete require.cache[leanBundle.file];
  }
  const b = loaded ? undefined : readBundle();
  if (b) loaded = boot.loadBundle<{ main?: MainFn }>(b, use, module);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = loaded?.exports.main ?? (require('./main') as { main: MainFn }).main;
  main(argv).then(
    (code) => {
      // a cache made by a failed call would lack the success path's code
      if (code === 0) loaded?.saveCache?.();
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
