// OCI hooks (runtime-spec config.md#posix-platform-hooks): each hook runs in
// order; `path` is what is executed, `args` is its full argv (args[0] is
// argv[0]), its environment is exactly `env` (without one, tsrun's own, as
// runc's hooks inherit runc's), the container state JSON arrives
// on stdin, and `timeout` (seconds) bounds it. A hook that fails, times out or
// cannot be started stops the sequence with a HookRunError naming the hook.
//
// The spawn step is injectable: createContainer hooks must run inside the
// container's namespaces, which the addon does; tests use the default.
import type * as ChildProcess from 'node:child_process';
import { HookError, describeErrno } from '../errors';

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** One entry of config.json `hooks.<kind>`. */
export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  /** seconds, > 0 */
  timeout?: number;
}

export interface HookInvocation {
  kind: HookKind;
  index: number;
  hook: Hook;
  /** the state JSON, written to the hook's stdin */
  stdin: string;
  /** kill the hook after this many milliseconds */
  timeoutMs?: number;
  cwd?: string;
}

interface HookOutcome {
  /** exit status, or null when killed by a signal */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** the hook was killed because it ran past its timeout */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Runs one hook to completion. Rejects only when it cannot be started. */
export type HookSpawner = (inv: HookInvocation) => Promise<HookOutcome>;

export interface RunHooksOptions {
  spawn?: HookSpawner;
  containerId?: string;
  /** working directory for the hooks (default: tsrun's) */
  cwd?: string;
  /**
   * when given, a failing hook is handed to it and the remaining hooks still
   * run (poststop: runtime-spec says warn and continue)
   */
  onFailure?: (err: HookRunError) => void;
}

export interface HookFailure {
  kind: HookKind;
  index: number;
  path: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

export class HookRunError extends HookError {
  readonly failure: HookFailure;
  constructor(message: string, failure: HookFailure, ctx: { containerId?: string; cause?: unknown } = {}) {
    super(message, ctx);
    this.failure = failure;
  }
}

/** Keep at most this much of a hook's output (for the error message). */
const OUTPUT_LIMIT = 64 * 1024;
/** After the hook exits, wait this long for its output pipes to close (a daemonised child may hold them). */
const DRAIN_GRACE_MS = 1000;

export async function runHooks(kind: HookKind, hooks: readonly Hook[] | undefined, state: unknown, opts: RunHooksOptions = {}): Promise<void> {
  if (!hooks || hooks.length === 0) return;
  const spawnHook = opts.spawn ?? spawnHookProcess;
  const stdin = typeof state === 'string' ? state : JSON.stringify(state);
  for (let index = 0; index < hooks.length; index++) {
    try {
      await runOne(kind, hooks, index, stdin, spawnHook, opts);
    } catch (err) {
      if (!opts.onFailure || !(err instanceof HookRunError)) throw err;
      opts.onFailure(err);
    }
  }
}

async function runOne(
  kind: HookKind,
  hooks: readonly Hook[],
  index: number,
  stdin: string,
  spawnHook: HookSpawner,
  opts: RunHooksOptions,
): Promise<void> {
  const hook = hooks[index] as Hook;
  const label = `hook ${kind}[${index}] ${hook.path}`;
  const timeoutMs = hook.timeout !== undefined && hook.timeout > 0 ? hook.timeout * 1000 : undefined;
  let outcome: HookOutcome;
  try {
    outcome = await spawnHook({ kind, index, hook, stdin, timeoutMs, cwd: opts.cwd });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = typeof code === 'string' ? describeErrno(code) : (e as Error).message;
    throw new HookRunError(
      `${label}: cannot run it: ${why}`,
      { kind, index, path: hook.path, exitCode: null, signal: null, timedOut: false, stderr: '' },
      { containerId: opts.containerId, cause: e },
    );
  }
  const failure: HookFailure = {
    kind,
    index,
    path: hook.path,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    stderr: outcome.stderr.trim(),
  };
  if (outcome.timedOut) {
    throw new HookRunError(`${label} timed out after ${hook.timeout}s${detail(outcome)}`, failure, { containerId: opts.containerId });
  }
  if (outcome.exitCode !== 0) {
    const how = outcome.signal ? `killed by signal ${outcome.signal}` : `exit status ${outcome.exitCode}`;
    throw new HookRunError(`${label} failed: ${how}${detail(outcome)}`, failure, { containerId: opts.containerId });
  }
}

function detail(o: HookOutcome): string {
  const parts: string[] = [];
  const err = o.stderr.trim();
  const out = o.stdout.trim();
  if (err) parts.push(`stderr: ${err}`);
  if (out) parts.push(`stdout: ${out}`);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/** "K=V" entries to an env object; the hook sees exactly these (last one wins, like execve's getenv). */
function envArrayToObject(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** The default spawner: a child process in tsrun's own namespaces. */
export const spawnHookProcess: HookSpawner = (inv) =>
  new Promise<HookOutcome>((resolve, reject) => {
    const { hook } = inv;
    const argv = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    // loaded here, not at the top: it costs ~5 ms, and most containers have no hooks
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof ChildProcess;
    const child = spawn(hook.path, argv.slice(1), {
      argv0: argv[0],
      // no env in the config: tsrun's own, as runc's hooks get runc's
      env: hook.env === undefined ? process.env : envArrayToObject(hook.env),
      cwd: inv.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (settled || !exit) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ exitCode: exit.code, signal: exit.signal, timedOut, stdout, stderr });
    };

    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += d.slice(0, OUTPUT_LIMIT - stdout.length);
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += d.slice(0, OUTPUT_LIMIT - stderr.length);
    });
    child.on('error', (e) => {
      if (settled) return;
      if (child.pid === undefined) {
        settled = true;
        if (timer) clearTimeout(timer);
        reject(e);
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (timer) clearTimeout(timer);
      graceTimer = setTimeout(finish, DRAIN_GRACE_MS);
    });
    child.on('close', () => finish());

    if (inv.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, inv.timeoutMs);
    }
    // a hook need not read its stdin; EPIPE then is not an error
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(inv.stdin);
  });
