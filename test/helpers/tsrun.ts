// Run the built CLI the way bin/tsrun and an engine do: a separate process
// running dist/src/cli/entry.js (the bundled CLI through its code cache, built
// by the integration globalSetup), captured output. CLI_MAIN is the
// per-module build, for tests that load the CLI in-process.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const CLI_MAIN = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
/** TSRUN_TEST_CLI: another copy of entry.js (the cgroup v2 VM runs one unpacked on its tmpfs: 9p is slow) */
export const CLI_ENTRY = process.env.TSRUN_TEST_CLI || path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'entry.js');

export interface TsrunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface TsrunOptions {
  /** written to stdin, then closed (default: stdin is /dev/null) */
  input?: string;
  /** extra or overriding environment; a value of undefined removes a variable */
  env?: Record<string, string | undefined>;
  /** kill after this many ms (default 30 s) */
  timeout?: number;
  cwd?: string;
  /** open fds handed to tsrun as its fds 3, 4, ... (what a leaky caller does) */
  extraFds?: number[];
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

export function tsrun(args: readonly string[], opts: TsrunOptions = {}): Promise<TsrunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: cliEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input);
    }
  });
}
