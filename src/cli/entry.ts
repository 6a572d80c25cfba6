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
/** The same CLI without the modules only other commands use (scripts/bundle.js). */
export const LIFECYCLE_BUNDLE = path.join(boot.BUNDLE_DIR, 'tsrun-lifecycle.js');
export const CACHE_DIR = boot.CACHE_DIR;
export type { BundleSource } from '../boot/bundle-cache';

/** Each command runs different code, so each gets its own cache. */
const COMMANDS = new Set([
  'create', 'start', 'run', 'state', 'kill', 'delete', 'exec', 'list', 'ps',
  'pause', 'resume', 'update', 'events', 'spec', 'features',
  'pull', 'images', 'image', 'rmi', 'login', 'logout',
]);

/**
 * The commands an engine calls for every container once it exists: the
 * lifecycle bundle holds what they run, about half of the CLI (no zod, config
 * validation, seccomp, rootfs or image code), so they read, deserialize and
 * run half as much. scripts/bundle.js builds it from this list.
 */
export const LIFECYCLE_COMMANDS: readonly string[] = ['state', 'start', 'kill', 'delete', 'pause', 'resume', 'list', 'ps', 'events'];

interface LifecycleExports {
  main: MainFn;
  splitGlobalArgs: (argv: readonly string[], env: { euid: number; xdgRuntimeDir?: string; cwd: string }) => { help: boolean; version: boolean; command?: string; rest: string[] };
  findCommand: (name: string) => { name: string } | undefined;
}

/**
 * Whether the lifecycle bundle runs this call exactly as the whole CLI would:
 * its command, read as main() reads it, is one of LIFECYCLE_COMMANDS, or
 * main() stops before any command runs (bad global flags, an unknown command).
 */
function lifecycleRuns(lean: LifecycleExports, argv: readonly string[]): boolean {
  let split;
  try {
    split = lean.splitGlobalArgs(argv, { euid: process.geteuid?.() ?? 0, xdgRuntimeDir: process.env.XDG_RUNTIME_DIR, cwd: process.cwd() });
  } catch {
    return true;
  }
  if (split.help || split.version || split.command === undefined || split.command === 'help' || split.command === 'h') return false;
  const def = lean.findCommand(split.command);
  return def === undefined || LIFECYCLE_COMMANDS.includes(def.name);
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
  const leanSource = LIFECYCLE_COMMANDS.includes(use) ? boot.readBundle(LIFECYCLE_BUNDLE) : undefined;
  if (leanSource) {
    const lean = boot.loadBundle<LifecycleExports>(leanSource, use, module);
    if (lifecycleRuns(lean.exports, argv)) loaded = lean;
    else delete require.cache[LIFECYCLE_BUNDLE];
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
