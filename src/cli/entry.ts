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
  const b = readBundle();
  // the command only picks a cache file: a wrong guess costs speed, never behaviour
  const loaded = b ? boot.loadBundle<{ main?: MainFn }>(b, argv.find((a) => COMMANDS.has(a)) ?? 'other', module) : undefined;
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
