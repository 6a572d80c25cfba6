// The one harness for tests that run real containers through the built CLI.
//
// `containerLab(label, options)` gives a test file (or a describe block) its
// own state root and scratch directory, registered with vitest: before its
// tests it notes what exists; after them it force-deletes every container it
// made, removes its bundles and fails on anything left behind (mounts, cgroups,
// processes, state-root entries) that carries this test process's tag, so
// other test runs on the machine do not count.
//
// Containers come in the shapes tests need: `run` (foreground), `create`
// (stdio on files: the init keeps inherited pipes open), `runDetached`,
// `start` (create + start of a busybox shell script with its own cgroupsPath,
// for resource tests), `runOnTerminal` (a console socket receiving the pty).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stringifyJson } from '../../oci-spec/json';
import { native } from '../../src/native';
import { SECCOMP_CACHE_DIR } from '../../src/state/types';
import { buildStaticProbe } from '../integration/helpers/cbuild';
import { deepMerge, makeBundle, type Bundle, type SpecDoc, type SpecOverride } from './bundle';
import { makeTestRoot, uniqueId, type TestRoot } from './ids';
import { assertNoLeftovers, snapshotLeftovers, type LeftoverSnapshot } from './leftovers';
import { readMaybe } from './proc';
import { CLI_ENTRY, cliEnv, PROJECT_ROOT, tsrun, type TsrunOptions, type TsrunResult } from './tsrun';
import { sleep } from './wait';

/** Where the escape probe sits in bundles of a lab made with `probe: true`. */
export const PROBE_IN_CONTAINER = '/bin/escape-probe';

export interface LabOptions {
  /** build the static escape probe (test/integration/helpers/escape-probe.c) into every `bundle()` */
  probe?: boolean;
  /** remove the containers made by `start()` after each test, not only at the end */
  removeAfterEach?: boolean;
  /** runs before the leftover check (e.g. to stop helpers the tests started) */
  cleanup?: () => void | Promise<void>;
}

/** The test spec with room for the fields the default spec leaves out (sysctl, oomScoreAdj, ...). */
type LabSpec = SpecDoc & {
  process: SpecDoc['process'] & Record<string, unknown>;
  linux: SpecDoc['linux'] & Record<string, unknown>;
};
export type LabOverride = Record<string, unknown> | ((spec: LabSpec) => void | LabSpec);

/** A container made by `start()`: a busybox shell script with its own cgroupsPath. */
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
  cli(args: string[], opts?: TsrunOptions): Promise<TsrunResult>;
  state(): Promise<OciStateView>;
}

export interface StartOptions {
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

/** What `tsrun state` prints. */
export type OciStateView = { status: string; pid: number } & Record<string, unknown>;

/** A tsrun run whose stdout/stderr went to files (read them when needed). */
export interface Detached {
  code: number | null;
  stdout(): string;
  stderr(): string;
}

export interface StoredStateView {
  initPid: number;
  cgroup: { hierarchies: Array<{ key: string; controllers: string[]; dir: string }> };
}

/** A background `tsrun events` whose stdout lines are collected as they come. */
export interface EventStream {
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stop(): void;
}

export class ContainerLab {
  readonly root: string;
  /** scratch space of this lab (bundles go here); removed at the end */
  readonly work: string;
  /** bundles removed at the end (`bundle()` adds its own; push others here) */
  readonly bundles: Bundle[] = [];
  /** the static escape probe on the host (labs made with `probe: true`) */
  readonly probe?: string;
  private readonly testRoot: TestRoot;
  private readonly ids = new Set<string>();
  private readonly started: TestContainer[] = [];
  private before?: LeftoverSnapshot;
  private seq = 0;

  constructor(label: string, private readonly opts: LabOptions = {}) {
    this.testRoot = makeTestRoot(label);
    this.root = this.testRoot.root;
    this.work = path.dirname(this.root);
    if (opts.probe) this.probe = buildStaticProbe(this.work);
  }

  /** What exists before the tests (containerLab() calls it in beforeAll). */
  snapshot(): void {
    this.before = snapshotLeftovers({ root: this.root });
  }

  /** A busybox bundle in this lab (with the escape probe when the lab has one). */
  bundle(override?: LabOverride): Bundle {
    const b = makeBundle(undefined, { parent: this.work });
    if (typeof override === 'function') b.spec = override(b.spec as LabSpec) ?? b.spec;
    else if (override) b.spec = deepMerge(b.spec, override) as SpecDoc;
    if (this.probe) {
      fs.copyFileSync(this.probe, path.join(b.rootfs, PROBE_IN_CONTAINER));
      fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
    }
    // stringifyJson: a spec may carry bigint values (exact uint64)
    b.writeConfig = () => fs.writeFileSync(b.configPath, stringifyJson(b.spec, '\t'));
    b.writeConfig();
    this.bundles.push(b);
    return b;
  }

  /** A bundle whose process runs `sh -c script`, after `override` is applied (in `parent`, default the lab's dir). */
  shBundle(script: string, override?: SpecOverride, opts: { parent?: string } = {}): Bundle {
    const b = makeBundle(
      (spec) => {
        spec.process.args = ['sh', '-c', script];
        if (typeof override === 'function') return override(spec) ?? spec;
        if (override) return deepMerge(spec, override) as SpecDoc;
        return spec;
      },
      { parent: opts.parent ?? this.work },
    );
    this.bundles.push(b);
    return b;
  }

  /** A fresh container id, force-deleted at the end. */
  id(label: string): string {
    const id = uniqueId(label);
    this.ids.add(id);
    return id;
  }

  /** The CLI with this lab's --root. */
  cli(args: readonly string[], opts: TsrunOptions = {}): Promise<TsrunResult> {
    return tsrun(['--root', this.root, ...args], opts);
  }

  /** `tsrun run` in the foreground: the container's output and exit status. */
  run(b: Bundle, id: string, opts: TsrunOptions = {}): Promise<TsrunResult> {
    return this.cli(['run', '--bundle', b.dir, id], opts);
  }

  /** `tsrun run [flags] --bundle dir ID` with a new id; returns the result and the id used. */
  async runBundle(b: Bundle, opts: TsrunOptions & { id?: string; flags?: string[] } = {}): Promise<TsrunResult & { id: string }> {
    const id = opts.id ?? this.id('run');
    const r = await this.cli(['run', '--bundle', b.dir, ...(opts.flags ?? []), id], opts);
    return { ...r, id };
  }

  /** `tsrun create`, its stdout/stderr in files (the init inherits them and keeps pipes open). */
  create(b: Bundle, id: string, opts: { global?: string[]; extraFds?: number[] } = {}): Promise<TsrunResult> {
    return this.cliDetached([...(opts.global ?? []), 'create', '--bundle', b.dir, id], opts.extraFds);
  }

  /** The CLI with stdout/stderr in files; resolves when tsrun exits, whoever still holds them. */
  cliDetached(args: string[], extraFds: number[] = []): Promise<TsrunResult> {
    const out = path.join(this.work, `out-${++this.seq}`);
    const err = `${out}.err`;
    const o = fs.openSync(out, 'w+');
    const e = fs.openSync(err, 'w+');
    return new Promise<TsrunResult>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_ENTRY, '--root', this.root, ...args], {
        cwd: PROJECT_ROOT,
        env: cliEnv(),
        stdio: ['ignore', o, e, ...extraFds],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8'), extra: [] });
      });
    }).finally(() => {
      fs.closeSync(o);
      fs.closeSync(e);
    });
  }

  /** The CLI (`run -d`, `exec --detach`, ...) with stdio on files `<dir>/<label>.out|.err`; resolves when tsrun exits. */
  runDetached(args: readonly string[], dir: string = this.work, label = 'detached'): Promise<Detached> {
    const outPath = path.join(dir, `${label}.out`);
    const errPath = path.join(dir, `${label}.err`);
    const out = fs.openSync(outPath, 'w');
    const err = fs.openSync(errPath, 'w');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_ENTRY, '--root', this.root, ...args], { env: cliEnv(), stdio: ['ignore', out, err] });
      fs.closeSync(out);
      fs.closeSync(err);
      child.on('error', reject);
      child.on('exit', (code) =>
        resolve({ code, stdout: () => fs.readFileSync(outPath, 'utf8'), stderr: () => fs.readFileSync(errPath, 'utf8') }),
      );
    });
  }

  /** `create` whose stdio (inherited by the container) is a log file in the bundle, not a pipe. */
  createLogged(b: Bundle, id: string): Promise<{ code: number | null; log: string }> {
    const logFile = path.join(b.dir, 'create.log');
    const fd = fs.openSync(logFile, 'a');
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(process.execPath, [CLI_ENTRY, '--root', this.root, 'create', '--bundle', b.dir, id], {
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

  /**
   * A busybox shell script as a container with its own cgroupsPath: `create`
   * (stdio to a log file) and, unless `startIt` is false, `start`. A failed
   * start deletes it again. Removed after the test with `removeAfterEach`,
   * else at the end.
   */
  async start(opts: StartOptions): Promise<TestContainer> {
    const id = this.id('res');
    const cgroupsPath = `/${id}`;
    const bundle = makeBundle(
      (spec) => {
        spec.root.readonly = false;
        spec.process.args = ['sh', '-c', opts.script];
        const linux = spec.linux as Record<string, unknown>; // the default spec's type does not list every field
        linux.cgroupsPath = cgroupsPath;
        if (opts.resources) linux.resources = { ...(linux.resources as object), ...opts.resources };
        opts.edit?.(spec);
      },
      { parent: this.work },
    );
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
      cli: (args, o = {}) => this.cli(args, o),
      state: () => this.state(id),
    };
    const created = await this.createLogged(bundle, id);
    if (created.code !== 0) {
      bundle.cleanup();
      throw new Error(`create ${id} failed (${created.code}): ${created.log}`);
    }
    this.started.push(c);
    if (opts.startIt === false) return c;
    const started = await c.cli(['start', id]);
    if (started.code !== 0) {
      await this.remove(c);
      throw new Error(`start ${id} failed: ${started.stderr}`);
    }
    return c;
  }

  /** delete --force, then remove the bundle. */
  async remove(c: TestContainer | undefined): Promise<void> {
    if (!c) return;
    await c.cli(['delete', '--force', c.id]);
    c.bundle.cleanup();
    const i = this.started.indexOf(c);
    if (i >= 0) this.started.splice(i, 1);
  }

  /** What `tsrun state` prints. */
  async state(id: string): Promise<OciStateView> {
    const r = await this.cli(['state', id]);
    if (r.code !== 0) throw new Error(`tsrun state ${id} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as OciStateView;
  }

  async waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state(id);
      if (s.status === status) return;
      if (Date.now() > deadline) throw new Error(`${id}: still ${s.status}, expected ${status}`);
      await sleep(50);
    }
  }

  /** state.json as tsrun stored it. */
  storedState(id: string): StoredStateView {
    return JSON.parse(fs.readFileSync(path.join(this.root, id, 'state.json'), 'utf8')) as StoredStateView;
  }

  /** The container's v1 freezer directory (hybrid/v1 hosts), if any. */
  freezerDir(id: string): string | undefined {
    return this.storedState(id).cgroup.hierarchies.find((h) => h.controllers.includes('freezer'))?.dir;
  }

  /** `delete --force`; the result, for tests that check it. */
  forceDelete(id: string): Promise<TsrunResult> {
    return this.cli(['delete', '--force', id]);
  }

  /** A background `tsrun events --interval=<interval> <id>`. */
  streamEvents(id: string, interval: string): EventStream {
    const child = spawn(process.execPath, [CLI_ENTRY, '--root', this.root, 'events', `--interval=${interval}`, id], {
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

  /**
   * `tsrun run` with a terminal: a console socket in the bundle receives the
   * pty master; `input` is typed into it; resolves with what the terminal
   * showed and run's exit status. `received` is false when no master came.
   */
  async runOnTerminal(b: Bundle, id: string, input: string): Promise<TsrunResult & { screen: string; received: boolean }> {
    const n = native();
    const sock = path.join(b.dir, `console-${++this.seq}.sock`);
    const lfd = n.listenUnix(sock);
    let master = -1;
    try {
      const run = this.cli(['run', '--console-socket', sock, '--bundle', b.dir, id]);
      let conn = -1;
      try {
        conn = n.acceptUnix(lfd, 20_000);
        master = n.recvFd(conn, 20_000).fd;
      } catch {
        // create failed before sending the master
      } finally {
        if (conn >= 0) fs.closeSync(conn);
      }
      if (master < 0) return { ...(await run), screen: '', received: false };
      fs.writeSync(master, input);
      let screen = '';
      const reader = new Promise<void>((resolve) => {
        const buf = Buffer.alloc(4096);
        const next = (): void =>
          fs.read(master, buf, 0, buf.length, null, (err, nb) => {
            if (err || nb === 0) return resolve();
            screen += buf.subarray(0, nb).toString();
            next();
          });
        next();
      });
      const r = await run;
      await reader;
      return { ...r, screen, received: true };
    } finally {
      fs.closeSync(lfd);
      if (master >= 0) fs.closeSync(master);
    }
  }

  /** The containers made by `start()` so far, removed (containerLab() calls it after each test with removeAfterEach). */
  async removeStarted(): Promise<void> {
    for (const c of [...this.started]) await this.remove(c);
  }

  /** Remove everything, then fail on leftovers (containerLab() calls it in afterAll). */
  async cleanup(): Promise<void> {
    try {
      await this.opts.cleanup?.();
      await this.removeStarted();
      for (const id of this.ids) await this.forceDelete(id);
      for (const b of this.bundles) b.cleanup();
      // compiled seccomp filters are cached in the root by design: tsrun's, not a container's
      fs.rmSync(path.join(this.root, SECCOMP_CACHE_DIR), { recursive: true, force: true });
      if (this.before) assertNoLeftovers(this.before);
    } finally {
      this.testRoot.cleanup();
    }
  }
}

/**
 * A lab for the calling test file or describe block: snapshot before its
 * tests, cleanup and the leftover check after them.
 */
export function containerLab(label: string, opts: LabOptions = {}): ContainerLab {
  const lab = new ContainerLab(label, opts);
  beforeAll(() => lab.snapshot());
  if (opts.removeAfterEach) afterEach(() => lab.removeStarted());
  afterAll(() => lab.cleanup());
  return lab;
}
