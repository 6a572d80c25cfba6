// Test bundles: a busybox rootfs plus a config.json from the default spec.
// /bin/busybox is copied once into a cache dir (shared by test processes and
// refreshed when the host binary changes); each bundle then gets its own copy
// (cheap, and a container that writes to its /bin cannot affect another
// test's bundle) and its applet symlinks.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSpec, formatSpecJson, type DefaultSpec } from '../../src/container/default-spec';
import { PROCESS_TAG, TEST_PREFIX, testTempDir } from './ids';

const HOST_BUSYBOX = '/bin/busybox';

export type SpecDoc = DefaultSpec & Record<string, unknown>;
/** A deep-merge patch (objects merge, arrays and scalars replace, null deletes) or a mutator. */
export type SpecOverride = Record<string, unknown> | ((spec: SpecDoc) => void | SpecDoc);

export interface Bundle {
  dir: string;
  rootfs: string;
  configPath: string;
  spec: SpecDoc;
  /** rewrite config.json after editing `spec` */
  writeConfig(): void;
  cleanup(): void;
}

/** One shared copy of busybox for all test processes (kept between runs; refreshed when the host's changes). */
export const BUSYBOX_CACHE_DIR = path.join(os.tmpdir(), 'tsrun-test-cache');

let cache: { busybox: string; applets: string[] } | undefined;

function busyboxCache(): { busybox: string; applets: string[] } {
  if (cache) return cache;
  if (!fs.existsSync(HOST_BUSYBOX)) {
    throw new Error(`${HOST_BUSYBOX} is missing: run scripts/make-busybox-bundle.sh once (it installs busybox-static)`);
  }
  const host = fs.statSync(HOST_BUSYBOX);
  const busybox = path.join(BUSYBOX_CACHE_DIR, 'busybox');
  const cached = fs.statSync(busybox, { throwIfNoEntry: false });
  if (!cached || cached.size !== host.size || cached.mtimeMs !== host.mtimeMs) {
    fs.mkdirSync(BUSYBOX_CACHE_DIR, { recursive: true, mode: 0o755 });
    const tmp = `${busybox}.${process.pid}`;
    fs.copyFileSync(HOST_BUSYBOX, tmp);
    fs.chmodSync(tmp, 0o755);
    fs.utimesSync(tmp, host.atime, host.mtime);
    fs.renameSync(tmp, busybox); // atomic: concurrent test processes see old or new
  }
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox' && !a.includes('/'));
  cache = { busybox, applets };
  return cache;
}

/** A rootfs like scripts/make-busybox-bundle.sh makes. */
export function makeRootfs(rootfs: string): void {
  const { busybox, applets } = busyboxCache();
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'root', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.chmodSync(path.join(rootfs, 'root'), 0o700);
  fs.copyFileSync(busybox, path.join(rootfs, 'bin', 'busybox'), fs.constants.COPYFILE_FICLONE);
  for (const a of applets) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/tmp:/bin/sh\n',
  );
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\nuser:x:1000:\n');
}

/** The test default: the default spec, running `echo hello from tsrun` without a terminal. */
function testSpec(): SpecDoc {
  const spec = defaultSpec() as SpecDoc;
  spec.process.args = ['echo', 'hello from tsrun'];
  spec.process.terminal = false;
  return spec;
}

export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as Record<string, unknown>, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function makeBundle(override?: SpecOverride, opts: { parent?: string } = {}): Bundle {
  const dir = opts.parent ? fs.mkdtempSync(path.join(opts.parent, `${TEST_PREFIX}bundle${PROCESS_TAG}`)) : testTempDir('bundle');
  const rootfs = path.join(dir, 'rootfs');
  makeRootfs(rootfs);
  let spec = testSpec();
  if (typeof override === 'function') spec = override(spec) ?? spec;
  else if (override) spec = deepMerge(spec, override) as SpecDoc;
  const configPath = path.join(dir, 'config.json');
  const bundle: Bundle = {
    dir,
    rootfs,
    configPath,
    spec,
    writeConfig: () => fs.writeFileSync(configPath, formatSpecJson(bundle.spec)),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  bundle.writeConfig();
  return bundle;
}
