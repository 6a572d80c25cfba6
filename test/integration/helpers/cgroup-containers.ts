// Real containers for the resource tests: a busybox bundle with a writable
// rootfs and its own cgroupsPath, started detached by the built CLI, plus
// small polling helpers. Everything is removed by `cleanup()`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  assertNoLeftovers,
  CLI_ENTRY,
  cliEnv,
  makeBundle,
  makeTestRoot,
  PROJECT_ROOT,
  snapshotLeftovers,
  TEST_PREFIX,
  tsrun,
  uniqueId,
  type Bundle,
  type LeftoverSnapshot,
  type SpecDoc,
  type TsrunResult,
} from '../../helpers';
import { testTempDir } from '../../helpers/ids';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

export function readMaybe(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The label of every container id startContainer makes. */
export const CONTAINER_LABEL = 'res';

/**
 * What this test process's containers are named like (uniqueId's format), so
 * leftover checks are not confused by other test runs on the same machine.
 */
export const OWN_MATCH = `${TEST_PREFIX}${CONTAINER_LABEL}-${process.pid.toString(36)}-`;

export interface TestContainer {
  id: string;
  bundle: Bundle;
  /** the absolute linux.cgroupsPath ("/tsrun-test-...") */
  cgroupsPath: string;
  /** a file in the rootfs, as the host sees it */
  file(p: string): string;
  /** the container's dir in a v1 hierarchy (e.g. "memory"), or in cgroup2 with "" */
  cgroupDir(controller: string): string;
  /** run the CLI against this container's root */
  cli(args: string[], opts?: { input?: string; timeout?: number }): Promise<TsrunResult>;
  state(): Promise<{ status: string; pid: number }>;
}

export interface ContainerOptions {
  root: string;
  /** the init's shell script (run by /bin/sh -c) */
  script: string;
  resources?: Record<string, unknown>;
  /** further spec edits */
  edit?: (spec: SpecDoc) => void;
  /** cgroup mount root of the host (v1 controllers below it, or the v2 tree itself) */
  cgroupRoot?: string;
  /** host files copied into the rootfs (path inside → host path), mode 0755 */
  rootfsFiles?: Record<string, string>;
  /** false: only `create` (default: create + start) */
  startIt?: boolean;
}

/**
 * `create` + `start` through the CLI (a failed start leaves the container to
 * the caller's cleanup only if it is returned: it is deleted here), with stdout/stderr of create (which the
 * container inherits) going to a log file in the bundle: a pipe would stay
 * open as long as the container lives.
 */
export async function startContainer(opts: ContainerOptions): Promise<TestContainer> {
  const id = uniqueId(CONTAINER_LABEL);
  const cgroupsPath = `/${id}`;
  const bundle = makeBundle((spec) => {
    spec.root.readonly = false;
    spec.process.args = ['sh', '-c', opts.script];
    const linux = spec.linux as Record<string, unknown>; // the default spec's type does not list every field
    linux.cgroupsPath = cgroupsPath;
    if (opts.resources) linux.resources = { ...(linux.resources as object), ...opts.resources };
    opts.edit?.(spec);
  });
  for (const [inside, src] of Object.entries(opts.rootfsFiles ?? {})) {
    const dest = path.join(bundle.rootfs, inside);
    fs.copyFileSync(src, dest);
    fs.chmodSync(dest, 0o755);
  }
  const cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const c: TestContainer = {
    id,
    bundle,
    cgroupsPath,
    file: (p) => path.join(bundle.rootfs, p),
    cgroupDir: (ctrl) => (ctrl === '' ? path.join(cgroupRoot, cgroupsPath) : path.join(cgroupRoot, ctrl, cgroupsPath)),
    cli: (args, o = {}) => tsrun(['--root', opts.root, ...args], o),
    state: async () => {
      const r = await tsrun(['--root', opts.root, 'state', id]);
      if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
      return JSON.parse(r.stdout) as { status: string; pid: number };
    },
  };
  const created = await createDetached(opts.root, bundle, id);
  if (created.code !== 0) {
    bundle.cleanup();
    throw new Error(`create ${id} failed (${created.code}): ${created.log}`);
  }
  if (opts.startIt === false) return c;
  const started = await c.cli(['start', id]);
  if (started.code !== 0) {
    await removeContainer(c);
    throw new Error(`start ${id} failed: ${started.stderr}`);
  }
  return c;
}

/** `create` whose stdio (inherited by the container) is a log file, not a pipe. */
export function createDetached(root: string, bundle: Bundle, id: string): Promise<{ code: number | null; log: string }> {
  const logFile = path.join(bundle.dir, 'create.log');
  const fd = fs.openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'create', '--bundle', bundle.dir, id], {
        cwd: PROJECT_ROOT,
        env: cliEnv(),
        stdio: ['ignore', fd, fd],
      });
    } finally {
      fs.closeSync(fd);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, log: readMaybe(logFile) ?? '' });
    });
  });
}

/** delete --force (ignores errors), then remove the bundle. */
export async function removeContainer(c: TestContainer | undefined): Promise<void> {
  if (!c) return;
  await c.cli(['delete', '--force', c.id]);
  c.bundle.cleanup();
}

/** A background `tsrun events` whose stdout lines are collected as they come. */
export interface EventStream {
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stop(): void;
}

export function streamEvents(root: string, id: string, interval: string): EventStream {
  const child = spawn(process.execPath, [CLI_ENTRY, '--root', root, 'events', `--interval=${interval}`, id], {
    cwd: PROJECT_ROOT,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { lines, exited, stop: () => child.kill('SIGKILL') };
}

/** The file's text once a complete line is in it (a shell creates the file before it writes). */
export function completeText(file: string): string | undefined {
  const t = readMaybe(file);
  return t && t.endsWith('\n') ? t : undefined;
}

/** The number of lines of a counter file the container appends to (one number per line). */
export function lastCount(file: string): number {
  const lines = (readMaybe(file) ?? '').trim().split('\n');
  return Number(lines[lines.length - 1] || 0);
}

export interface StaticHelpers {
  path(name: string): string;
  cleanup(): void;
}

/** Build test/integration/helpers/<name>.c as static binaries (they run inside busybox rootfses). */
export function buildStaticHelpers(names: string[]): StaticHelpers {
  const dir = testTempDir('static');
  try {
    for (const n of names) {
      execFileSync('gcc', ['-static', '-O1', '-Wall', '-Werror', '-o', path.join(dir, n), path.join(__dirname, `${n}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`building static test helpers failed (gcc with static libc needed): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  }
  return { path: (n) => path.join(dir, n), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface ResourceSuite {
  /** this describe block's --root */
  root: string;
  /** startContainer under this root; the container is removed after the test */
  start(opts: Omit<ContainerOptions, 'root'>): Promise<TestContainer>;
}

/**
 * For a describe block: a state root, every container started through it
 * removed after each test, and nothing of this test process left behind
 * (cgroups, mounts, state dirs) once the block is done.
 */
export function resourceSuite(label: string): ResourceSuite {
  const testRoot = makeTestRoot(label);
  const started: TestContainer[] = [];
  let before: LeftoverSnapshot;
  beforeAll(() => {
    before = snapshotLeftovers({ root: testRoot.root, match: OWN_MATCH });
  });
  afterEach(async () => {
    for (const c of started.splice(0)) await removeContainer(c);
  });
  afterAll(() => {
    assertNoLeftovers(before);
    testRoot.cleanup();
  });
  return {
    root: testRoot.root,
    start: async (opts) => {
      const c = await startContainer({ ...opts, root: testRoot.root });
      started.push(c);
      return c;
    },
  };
}
