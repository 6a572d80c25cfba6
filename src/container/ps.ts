// `ps`: the processes in the container's cgroup (every hierarchy, sub-cgroups
// included), as host pids. `--format json` prints the pid list; the table
// format runs the host's ps(1) (default `-ef`) and keeps its header and the
// rows whose PID column is one of the container's.
import type * as ChildProcess from 'node:child_process';
import { loadCgroupManager } from '../cgroups/manager';
import { TsrunError } from '../errors';
import { log } from '../log';
import { writeAllSync } from '../write-all';
import { StateStore } from '../state/store';
import type { PsOptions, RuntimeContext } from './options';

export interface PsDeps {
  out: (text: string) => void;
  /** runs ps(1) with these arguments; returns its stdout */
  runPs: (args: string[]) => string;
}

const defaultDeps = (): PsDeps => ({ out: (t) => writeAllSync(1, t), runPs: runHostPs });

function runHostPs(args: string[]): string {
  // loaded here, not at the top: node:child_process (with net and streams) costs every other command ~3 ms
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof ChildProcess;
  const r = spawnSync('ps', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new TsrunError(`ps ${args.join(' ')}: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) throw new TsrunError(`ps ${args.join(' ')} exited with status ${r.status ?? r.signal}: ${(r.stderr + r.stdout).trim()}`);
  return r.stdout;
}

/** ps(1) output reduced to its header and the rows of `pids`. */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const pidIndex = header.trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new TsrunError(`couldn't find PID field in ps output (header: ${JSON.stringify(header)})`);
  const want = new Set(pids);
  const rows = lines.slice(1).filter((line) => {
    if (line.trim() === '') return false;
    const field = line.trim().split(/\s+/)[pidIndex] ?? '';
    if (!/^\d+$/.test(field)) throw new TsrunError(`unable to parse pid ${JSON.stringify(field)} in ps output line ${JSON.stringify(line)}`);
    return want.has(Number(field));
  });
  return [header, ...rows].map((l) => `${l}\n`).join('');
}

/** Host pids of every process in the container's cgroups (a reader: no lock, like state). */
export function containerPids(ctx: RuntimeContext, id: string): number[] {
  const stored = new StateStore(ctx.root).read(id);
  return loadCgroupManager(stored.cgroup, { warn: (m) => log.warn(m) }).pids();
}

export function psContainer(ctx: RuntimeContext, opts: PsOptions, deps: PsDeps = defaultDeps()): void {
  // a reader: no lock, like state (an `events` stream or a hook may be running)
  const pids = containerPids(ctx, opts.id);
  if (opts.format === 'json') {
    deps.out(`${JSON.stringify(pids)}\n`);
    return;
  }
  deps.out(filterPsOutput(deps.runPs(opts.psArgs.length > 0 ? opts.psArgs : ['-ef']), pids));
}
