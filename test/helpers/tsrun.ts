// Run the built CLI the way bin/tsrun and an engine do: a separate process
// running dist/src/cli/entry.js (the bundled CLI through its code cache, built
// by the integration globalSetup), captured output. CLI_MAIN is the
// per-module build, for tests that load the CLI in-process.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testTempDir } from './ids';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const CLI_MAIN = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
export const CLI_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'entry.js');

export interface TsrunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** what arrived on each extra 'pipe' entry of `extraStdio` (index = fd - 3) */
  extra: string[];
}

export interface TsrunOptions {
  /** written to stdin, then closed (default: stdin is /dev/null) */
  input?: string;
  /** extra or overriding environment; a value of undefined removes a variable */
  env?: Record<string, string | undefined>;
  /** kill after this many ms (default 30 s) */
  timeout?: number;
  cwd?: string;
  /** fds 3, 4, ... of the tsrun process: an open fd number to pass, or 'pipe' to collect what is written to it */
  extraStdio?: Array<number | 'pipe'>;
  /** open fds handed to tsrun as its fds 3, 4, ... (what a leaky caller does); same as numbers in extraStdio */
  extraFds?: number[];
  /** the stdout/stderr of tsrun: pipes (default, captured) or an fd to pass as-is */
  stdout?: number;
  stderr?: number;
  /** a command that runs tsrun, e.g. setpriv with a smaller bounding set: the environment an engine may give it */
  wrapper?: string[];
  /**
   * capture stdout/stderr through temporary files instead of pipes: for `create`,
   * whose init keeps the pipes open until the container exits
   */
  viaFiles?: boolean;
}

export interface TsrunProcess {
  child: ChildProcess;
  /** resolves when tsrun has exited and every holder of its output pipes closed them */
  done: Promise<TsrunResult>;
  /** resolves as soon as tsrun itself has exited (a container may still hold its pipes) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment bin/tsrun would give node. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  delete env.NODE_EXTRA_CA_CERTS;
  // vitest's own markers must not change the CLI's behaviour
  delete env.VITEST;
  delete env.VITEST_POOL_ID;
  delete env.VITEST_WORKER_ID;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export async function tsrun(args: readonly string[], opts: TsrunOptions = {}): Promise<TsrunResult> {
  if (!opts.viaFiles) return tsrunSpawn(args, opts).done;
  const dir = testTempDir('out');
  const out = fs.openSync(path.join(dir, 'stdout'), 'w+');
  const err = fs.openSync(path.join(dir, 'stderr'), 'w+');
  try {
    const r = await tsrunSpawn(args, { ...opts, viaFiles: false, stdout: out, stderr: err }).done;
    return { ...r, stdout: fs.readFileSync(path.join(dir, 'stdout'), 'utf8'), stderr: fs.readFileSync(path.join(dir, 'stderr'), 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Like tsrun(), but hands out the child process too (to signal it, or read its pid). */
export function tsrunSpawn(args: readonly string[], opts: TsrunOptions = {}): TsrunProcess {
  const extraStdio = opts.extraStdio ?? opts.extraFds ?? [];
  const [command, ...argv] = [...(opts.wrapper ?? []), process.execPath, CLI_ENTRY, ...args];
  const child = spawn(command!, argv, {
    cwd: opts.cwd ?? PROJECT_ROOT,
    env: cliEnv(opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe', ...extraStdio],
  });
  const done = new Promise<TsrunResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const extra: string[] = extraStdio.map(() => '');
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    extraStdio.forEach((e, i) => {
      const s = child.stdio[3 + i] as NodeJS.ReadableStream | null | undefined;
      if (e === 'pipe' && s) s.setEncoding('utf8').on('data', (d: string) => (extra[i] += d));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, extra });
    });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  if (opts.input !== undefined) {
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input);
  }
  return { child, done, exited };
}
