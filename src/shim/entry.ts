// What containerd-shim-tsrun-v2's launcher runs (native/launcher): the shim
// from its single-file bundle (dist/bundle/shim.js) through a V8 code cache
// per action (src/boot/bundle-cache.ts), so a new shim and the cleanup after a
// dead one start fast; without a bundle, the per-module build (./main).
//
// Keep this file small and free of project imports beyond src/boot: it is not bundled.
import fs from 'node:fs';
import path from 'node:path';
import * as boot from '../boot/bundle-cache';

type MainFn = (argv: readonly string[]) => Promise<number>;

const BUNDLE = path.join(boot.BUNDLE_DIR, 'shim.js');
const ACTIONS = new Set(['daemon', 'delete']);

function run(): void {
  const argv = process.argv.slice(2);
  const b = boot.readBundle(BUNDLE);
  const use = `shim-${argv.find((a) => ACTIONS.has(a)) ?? 'other'}`;
  const loaded = b ? boot.loadBundle<{ main?: MainFn }>(b, use, module) : undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = loaded?.exports.main ?? (require('./main') as { main: MainFn }).main;
  main(argv).then(
    (code) => {
      if (code === 0) loaded?.saveCache?.();
      process.exit(code);
    },
    (e: unknown) => {
      fs.writeSync(2, `containerd-shim-tsrun-v2: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) run();
