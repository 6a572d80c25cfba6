// The image code loads only for image commands (the network code only for the
// network commands, the code of `tsrun container`/`volume` only for those):
// `tsrun state` and `tsrun create` load none of it, from the bundle
// (dist/bundle/tsrun.js, whose image, network and container-run parts are the
// separate dist/bundle/image.js, network.js and container-run.js) or from the
// per-module build. Checked from the modules node actually loaded.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, CLI_MAIN, cliEnv, makeBundle, makeTestRoot, PROJECT_ROOT, testTempDir, uniqueId, type Bundle, type TestRoot } from '../helpers';

let dir: string;
let hook: string;
let root: TestRoot;
let bundle: Bundle;

/** Paths and markers that only image code has. */
const IMAGE_MODULES = /\/dist\/bundle\/image\.js$|\/src\/image\/|\/node_modules\/(tar-stream|zstd-napi|@aws-sdk|@smithy)\//;
/** The same for the network code (dist/bundle/network.js, src/network). */
const NETWORK_MODULES = /\/dist\/bundle\/network\.js$|\/src\/network\//;
/** The same for `tsrun container` and `tsrun volume` (dist/bundle/container-run.js, src/container/image-run). */
const CONTAINER_RUN_MODULES = /\/dist\/bundle\/container-run\.js$|\/src\/container\/image-run\//;
const LAZY_MODULES = (m: string) => IMAGE_MODULES.test(m) || NETWORK_MODULES.test(m) || CONTAINER_RUN_MODULES.test(m);

function loaded(script: string, args: string[]): { code: number | null; modules: string[]; output: string } {
  const out = path.join(dir, `modules-${uniqueId('m')}.json`);
  // output through a file: a created container's init keeps tsrun's stdio open
  const errFile = path.join(dir, `output-${uniqueId('e')}`);
  const fd = fs.openSync(errFile, 'w');
  try {
    const r = spawnSync(process.execPath, ['-r', hook, script, '--root', root.root, ...args], {
      env: cliEnv({ TSRUN_TEST_MODULES_OUT: out }),
      stdio: ['ignore', fd, fd],
      timeout: 30_000,
    });
    const modules = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as string[]) : [];
    return { code: r.status, modules, output: fs.readFileSync(errFile, 'utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

beforeAll(() => {
  dir = testTempDir('img-lazy');
  hook = path.join(dir, 'record-modules.js');
  fs.writeFileSync(
    hook,
    "process.on('exit', () => require('fs').writeFileSync(process.env.TSRUN_TEST_MODULES_OUT, JSON.stringify(Object.keys(require.cache))));\n",
  );
  root = makeTestRoot('lazy');
  bundle = makeBundle((spec) => {
    spec.process.args = ['sleep', '30'];
    spec.process.terminal = false;
    return spec;
  });
});

afterAll(() => {
  root?.cleanup();
  bundle?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('lazy image code', () => {
  it('the main bundle has none of it; the image chunk has it', () => {
    const main = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'tsrun.js'), 'utf8');
    const chunk = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'image.js'), 'utf8');
    for (const marker of ['RepositoryClient', 'unpackLayer', 'Header exceeds max size', 'GetAuthorizationTokenCommand', 'manifest schema 1']) {
      expect(main).not.toContain(marker);
      expect(chunk).toContain(marker);
    }
  });

  it('the main bundle has no network code; the network chunk has it', () => {
    const main = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'tsrun.js'), 'utf8');
    const chunk = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'network.js'), 'utf8');
    for (const marker of ['CNI_CONTAINERID', 'TSRUN-ISOLATION-1', 'Pool overlaps with other one']) {
      expect(main).not.toContain(marker);
      expect(chunk).toContain(marker);
    }
  });

  it('the main bundle has no tsrun container code; the container-run chunk has it', () => {
    const main = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'tsrun.js'), 'utf8');
    const chunk = fs.readFileSync(path.join(PROJECT_ROOT, 'dist', 'bundle', 'container-run.js'), 'utf8');
    for (const marker of ['tsrun-monitor', 'volume is in use', 'bind source path does not exist', 'unable to find user']) {
      expect(main).not.toContain(marker);
      expect(chunk).toContain(marker);
    }
  });

  for (const [label, script] of [
    ['the bundle', CLI_ENTRY],
    ['the per-module build', CLI_MAIN],
  ] as const) {
    it(`state and create load none of it (${label}); images, network ls and volume ls load theirs`, () => {
      const id = uniqueId('lazy');
      const created = loaded(script, ['create', '--bundle', bundle.dir, id]);
      try {
        expect(created.output).toBe('');
        expect(created.code).toBe(0);
        expect(created.modules.length).toBeGreaterThan(0);
        expect(created.modules.filter(LAZY_MODULES)).toEqual([]);
        const state = loaded(script, ['state', id]);
        expect(state.code).toBe(0);
        expect(state.output).toContain('"status": "created"');
        expect(state.modules.filter(LAZY_MODULES)).toEqual([]);
      } finally {
        spawnSync(process.execPath, [CLI_ENTRY, '--root', root.root, 'delete', '--force', id], { env: cliEnv() });
      }
      const images = loaded(script, ['--image-root', path.join(dir, 'images'), 'images']);
      expect(images.code).toBe(0);
      expect(images.modules.filter((m) => IMAGE_MODULES.test(m)).length).toBeGreaterThan(0);
      const networks = loaded(script, ['--image-root', path.join(dir, 'images'), 'network', 'ls', '-q']);
      expect(networks.code).toBe(0);
      expect(networks.modules.filter((m) => NETWORK_MODULES.test(m)).length).toBeGreaterThan(0);
      expect(networks.modules.filter((m) => IMAGE_MODULES.test(m) || CONTAINER_RUN_MODULES.test(m))).toEqual([]);
      const volumes = loaded(script, ['--image-root', path.join(dir, 'images'), 'volume', 'ls', '-q']);
      expect(volumes.code).toBe(0);
      expect(volumes.modules.filter((m) => CONTAINER_RUN_MODULES.test(m)).length).toBeGreaterThan(0);
    });
  }
});
