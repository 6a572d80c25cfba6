// Real containers for the seccomp and escape tests: busybox bundles run with
// the built CLI under a private --root, the static escape probe copied into
// the rootfs, and force-delete of everything a test created.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringifyJson } from '../../../oci-spec/json';
import { native } from '../../../src/native';
import { SECCOMP_CACHE_DIR } from '../../../src/state/types';
import {
  CLI_MAIN,
  cliEnv,
  deepMerge,
  PROJECT_ROOT,
  makeBundle,
  makeTestRoot,
  snapshotLeftovers,
  tsrun,
  uniqueId,
  type Bundle,
  type LeftoverSnapshot,
  type SpecDoc,
  type TestRoot,
  type TsrunOptions,
  type TsrunResult,
} from '../../helpers';
import { buildStaticProbe } from './cbuild';
import { testTempDir } from '../../helpers/ids';

export const PROBE_IN_CONTAINER = '/bin/escape-probe';

/** The test spec with room for the fields the default spec leaves out (sysctl, oomScoreAdj, ...). */
export type LabSpec = SpecDoc & {
  process: SpecDoc['process'] & Record<string, unknown>;
  linux: SpecDoc['linux'] & Record<string, unknown>;
};
export type LabOverride = Record<string, unknown> | ((spec: LabSpec) => void | LabSpec);

export class ContainerLab {
  readonly root: TestRoot;
  readonly work: string;
  readonly probe: string;
  private readonly bundles: Bundle[] = [];
  private readonly ids = new Set<string>();
  private before?: LeftoverSnapshot;
  private seq = 0;

  constructor(label: string) {
    this.root = makeTestRoot(label);
    this.work = testTempDir(`${label}-work`);
    this.probe = buildStaticProbe(this.work);
  }

  /** call in beforeAll: what exists before the tests */
  snapshot(): void {
    this.before = snapshotLeftovers({ root: this.root.root });
  }

  /**
   * Only what this lab made counts: other test processes on the machine add
   * and remove their own mounts and cgroups meanwhile. The compiled-filter
   * cache in the state root is tsrun's, not a container's.
   */
  private mine(s: LeftoverSnapshot): LeftoverSnapshot {
    const ids = [...this.ids];
    const ours = (x: string) => x.includes(this.work) || x.includes(this.root.root) || ids.some((id) => x.includes(id));
    return {
      ...s,
      mounts: s.mounts.filter(ours),
      cgroups: s.cgroups.filter(ours),
      rootEntries: s.rootEntries.filter((e) => e !== SECCOMP_CACHE_DIR),
    };
  }

  /** A busybox bundle with the probe at /bin/escape-probe. */
  bundle(override?: LabOverride): Bundle {
    const b = makeBundle(undefined, { parent: this.work });
    if (typeof override === 'function') b.spec = override(b.spec as LabSpec) ?? b.spec;
    else if (override) b.spec = deepMerge(b.spec, override) as SpecDoc;
    fs.copyFileSync(this.probe, path.join(b.rootfs, PROBE_IN_CONTAINER));
    fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
    // stringifyJson: a spec may carry bigint values (exact uint64)
    b.writeConfig = () => fs.writeFileSync(b.configPath, stringifyJson(b.spec, '\t'));
    b.writeConfig();
    this.bundles.push(b);
    return b;
  }

  id(label: string): string {
    const id = uniqueId(label);
    this.ids.add(id);
    return id;
  }

  cli(args: string[], opts: TsrunOptions = {}): Promise<TsrunResult> {
    return tsrun(['--root', this.root.root, ...args], opts);
  }

  /** `tsrun run` in the foreground: the container's output and exit status. */
  run(b: Bundle, id: string, opts: TsrunOptions = {}): Promise<TsrunResult> {
    return this.cli(['run', '--bundle', b.dir, id], opts);
  }

  /**
   * `tsrun create`: its stdout/stderr go to files, since the init inherits
   * them and keeps pipes open (the result comes when tsrun exits).
   */
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
      const child = spawn(process.execPath, [CLI_MAIN, '--root', this.root.root, ...args], {
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

  async state(id: string): Promise<{ status: string; pid: number }> {
    const r = await this.cli(['state', id]);
    if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { status: string; pid: number };
  }

  async forceDelete(id: string): Promise<void> {
    await this.cli(['delete', '--force', id]);
  }

  /** call in afterAll */
  async cleanup(): Promise<void> {
    for (const id of this.ids) await this.forceDelete(id);
    for (const b of this.bundles) b.cleanup();
    fs.rmSync(this.work, { recursive: true, force: true });
    try {
      if (this.before) {
        const after = this.mine(snapshotLeftovers({ root: this.root.root }));
        const before = this.mine(this.before);
        const problems = [
          ...after.mounts.filter((m) => !before.mounts.includes(m)).map((m) => `mount left behind: ${m}`),
          ...after.cgroups.filter((c) => !before.cgroups.includes(c)).map((c) => `cgroup left behind: ${c}`),
          ...after.rootEntries.map((e) => `state root entry left behind: ${e}`),
        ];
        if (problems.length) throw new Error(`leftovers after test:\n  ${problems.join('\n  ')}`);
      }
    } finally {
      this.root.cleanup();
    }
  }
}

/** "dev:ino" of a host file, the way fstat sees it inside a container. */
export function devIno(file: string): string {
  const st = fs.statSync(file);
  return `${st.dev}:${st.ino}`;
}

/** The pid of a host process as its innermost pid namespace numbers it. */
export function nsPid(hostPid: number): number {
  const status = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
  const pids = (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
  return pids[pids.length - 1] ?? hostPid;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `cond` holds (or throw after `ms`). */
export async function waitFor(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
