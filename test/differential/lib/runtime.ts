// One run of one config under one runtime: `<runtime> --root R run --bundle B
// <id>` in the foreground, as a shim-like caller would (fixed environment,
// stdin /dev/null, soft RLIMIT_NOFILE 1024), with the probe as the container
// process. Collects what the probe printed, the exit status, the hooks' log
// and anything the run left behind.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { callerEnv, RUNC, tsrunCommand } from './env';

export type RuntimeName = 'runc' | 'tsrun';

export interface RunRequest {
  runtime: RuntimeName;
  id: string;
  /** the state root (one per runtime and suite) */
  root: string;
  bundle: string;
  noNewKeyring?: boolean;
  timeoutMs: number;
  /** the runtime runs in these namespaces (joined with nsenter) instead of the test's */
  callerNs?: CallerNamespaces;
}

/** The kinds a generated config may join by the caller's path (/proc/self/ns/<kind>). */
const CALLER_NS_KINDS = ['net', 'uts', 'ipc'] as const;
type CallerNsKind = (typeof CALLER_NS_KINDS)[number];

/** Fresh namespaces held by bind mounts (files in a run directory), one per kind. */
export interface CallerNamespaces {
  files: Record<CallerNsKind, string>;
  /** as /proc/PID/ns/<kind> reads for a process in them ("uts:[4026532210]") */
  links: Record<CallerNsKind, string>;
}

/**
 * Network, UTS and IPC namespaces of one run's own for the runtime to run in.
 * A generated config may join its caller's namespaces by path (the container
 * then shares them and may set their hostname, domainname and sysctls): with
 * the test process's own, that would be this machine's, and a case running
 * beside it would see what the other set. Released by releaseCallerNamespaces.
 */
export function makeCallerNamespaces(dir: string): CallerNamespaces {
  fs.mkdirSync(dir, { recursive: true });
  const files = Object.fromEntries(CALLER_NS_KINDS.map((k) => [k, path.join(dir, k)])) as Record<CallerNsKind, string>;
  for (const f of Object.values(files)) fs.writeFileSync(f, '');
  execFileSync('unshare', CALLER_NS_KINDS.map((k) => `--${k}=${files[k]}`).concat('true'), { stdio: ['ignore', 'ignore', 'pipe'] });
  // the inode of a bound nsfs file is the namespace's
  const links = Object.fromEntries(CALLER_NS_KINDS.map((k) => [k, `${k}:[${fs.statSync(files[k]).ino}]`])) as Record<CallerNsKind, string>;
  return { files, links };
}

/** Unmounts the namespaces' files (the namespaces go when nothing else holds them). */
export function releaseCallerNamespaces(ns: CallerNamespaces): void {
  for (const f of Object.values(ns.files)) {
    try {
      execFileSync('umount', [f], { stdio: 'ignore' });
    } catch {
      // not mounted: makeCallerNamespaces failed half-way
    }
  }
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** the probe's JSON, when it ran and printed it */
  probe?: Record<string, unknown>;
  /** stdout outside the probe's markers, and stderr: the runtime's own words */
  stdout: string;
  stderr: string;
  ms: number;
}

const BEGIN = '\n@@probe-begin@@\n';
const END = '@@probe-end@@\n';

function command(req: RunRequest): { cmd: string; args: string[] } {
  const flags = ['--root', req.root, 'run', '--bundle', req.bundle, ...(req.noNewKeyring ? ['--no-new-keyring'] : []), req.id];
  if (req.runtime === 'runc') return { cmd: RUNC, args: flags };
  const t = tsrunCommand();
  return { cmd: t.cmd, args: [...t.args, ...flags] };
}

export function runOnce(req: RunRequest): Promise<RunResult> {
  const { cmd, args } = command(req);
  const started = Date.now();
  // prlimit: the caller's soft open-file limit, as a login shell or a Go
  // shim (which restores it for its children) passes it on
  const limited = ['prlimit', '--nofile=1024:', '--', cmd, ...args];
  const ns = req.callerNs;
  const argv = ns ? ['nsenter', ...CALLER_NS_KINDS.map((k) => `--${k}=${ns.files[k]}`), '--', ...limited] : limited;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: req.bundle,
    env: callerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  let hang = '';
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      hang = describeProcessTree(child.pid!);
    } catch (e) {
      hang = `  (could not read /proc: ${(e as Error).message})`;
    }
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, req.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r: RunResult = { exitCode: code, signal, timedOut, stdout, stderr: hang ? `${stderr}\n[harness] hung processes when the time ran out:\n${hang}` : stderr, ms: Date.now() - started };
      const b = stdout.indexOf(BEGIN);
      const e = b >= 0 ? stdout.indexOf(END, b + BEGIN.length) : -1;
      if (b >= 0 && e >= 0) {
        const text = stdout.slice(b + BEGIN.length, e);
        try {
          r.probe = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          r.stderr += `\n[harness] probe output is not JSON: ${(err as Error).message}`;
        }
        // the syscall probes come after the block, one line each
        const rest: string[] = [];
        const syscalls: Record<string, string> = {};
        for (const line of stdout.slice(e + END.length).split('\n')) {
          const m = /^@@sys (\S+) (\S+)$/.exec(line);
          if (m) syscalls[m[1]!] = m[2]!;
          else if (line) rest.push(line);
        }
        if (r.probe) r.probe.syscalls = syscalls;
        r.stdout = [stdout.slice(0, b), ...rest].join('\n');
      }
      resolve(r);
    });
  });
}

/**
 * Where each process under `root` (the run's nsenter/prlimit/runtime, the
 * container init, hooks) is waiting: pid, parent, state, name, wchan and the
 * kernel stack, so a run that hung says why.
 */
function describeProcessTree(root: number): string {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    // comm may hold spaces and parentheses: the fields after the last ")"
    const stat = read(`/proc/${name}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[1] !== undefined) parents.set(Number(name), Number(fields[1]));
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree
    .map((pid) => {
      const stat = read(`/proc/${pid}/stat`);
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
      const stack = read(`/proc/${pid}/stack`).trim().split('\n').slice(0, 8).join(' < ');
      return `  ${pid} (parent ${parents.get(pid)}) ${state} ${read(`/proc/${pid}/comm`).trim()} wchan=${read(`/proc/${pid}/wchan`) || '?'} ${read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim().slice(0, 160)}\n    stack: ${stack || '?'}`;
    })
    .join('\n');
}

/** `delete --force` what a timed-out or failed run may have left. */
export function forceDelete(req: Pick<RunRequest, 'runtime' | 'root' | 'id'>): Promise<void> {
  const flags = ['--root', req.root, 'delete', '--force', req.id];
  const c = req.runtime === 'runc' ? { cmd: RUNC, args: flags } : (() => {
    const t = tsrunCommand();
    return { cmd: t.cmd, args: [...t.args, ...flags] };
  })();
  return new Promise((resolve) => {
    const child = spawn(c.cmd, c.args, { env: callerEnv(), stdio: 'ignore' });
    child.on('close', () => resolve());
    child.on('error', () => resolve());
  });
}

/** Did the runtime leave state for `id` under its root? */
export function stateLeft(root: string, id: string): boolean {
  return fs.existsSync(path.join(root, id));
}
