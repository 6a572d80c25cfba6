// Fault injection for crash safety (docs/reliability.md): tsrun is SIGKILLed
// at seeded random instants spread over the whole duration of `create`,
// `start`, `run` and `delete --force`, then `delete --force` must leave
// nothing of the container — no process, no cgroup dir in any hierarchy, no
// mount, no state dir — and the same id must be creatable again.
//
// Each lane has its own id, bundles and state root, and runs its share of
// the kill points; lanes run side by side (a loaded machine gives each
// process its share of the CPU, so several lanes finish sooner than one).
// Before killing, each lane measures every command (three whole runs), and
// the kill instants for a command are stratified over [0, its duration):
// kill k of n falls in the k-th n-th of it, at a seeded random place. The
// duration is the median of the command's last five whole runs in the lane
// (the re-creations, starts and cleanups keep measuring), as load drifts. Rounds
// take the commands in turn (create, start, delete, run), so that the
// `create` proving the id is usable again is also the next round's container.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from './bundle';
import type { ContainerLab } from './lab';
import { findCgroupDirs } from './leftovers';
import { CLI_ENTRY, cliEnv, PROJECT_ROOT } from './tsrun';
import { sleep } from './wait';

type FaultCommand = 'create' | 'start' | 'run' | 'delete';
const FAULT_COMMANDS: readonly FaultCommand[] = ['create', 'start', 'run', 'delete'];

export interface FaultOptions {
  /** kill points per command, over all lanes */
  killsPerCommand: number;
  lanes: number;
  seed: number;
  /** per CLI call, ms (a hung call fails the run, it does not hang it) */
  callTimeoutMs?: number;
  /** the cgroup tree to search for leftover dirs */
  cgroupMount?: string;
  /** progress lines */
  log?: (line: string) => void;
}

interface FaultFailure {
  command: FaultCommand;
  lane: number;
  /** ms after spawn */
  killAt: number;
  problems: string[];
}

export interface FaultReport {
  seed: number;
  /** median duration of each command as measured before killing, then at the end (per lane, ms) */
  durations: Record<FaultCommand, string[]>;
  /** kill points tried per command */
  kills: Record<FaultCommand, number>;
  /** of those, how many hit the command before it exited by itself */
  killedMidway: Record<FaultCommand, number>;
  failures: FaultFailure[];
  /** a line per command, for the test log and the report */
  summary: string[];
}

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Lane {
  readonly root: string;
  readonly pidFile: string;
  private readonly sleeper: Bundle;
  private readonly quick: Bundle;

  constructor(
    readonly index: number,
    readonly id: string,
    lab: ContainerLab,
    private readonly timeoutMs: number,
    private readonly cgroupMount: string | undefined,
  ) {
    const dir = fs.mkdtempSync(path.join(lab.work, `lane${index}-`));
    this.root = path.join(dir, 'state');
    this.pidFile = path.join(dir, 'init.pid');
    this.sleeper = lab.bundle((spec) => {
      spec.process.args = ['sleep', '600'];
    });
    this.quick = lab.bundle((spec) => {
      spec.process.args = ['true'];
    });
  }

  /** The CLI on this lane's root; SIGKILLed `killAt` ms after spawn when given. */
  cli(args: string[], killAt?: number): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      // stdout to /dev/null: a surviving init would hold a pipe open
      const child = spawn(process.execPath, [CLI_ENTRY, '--root', this.root, ...args], {
        cwd: PROJECT_ROOT,
        env: cliEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const kill = killAt === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAt);
      const guard = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.on('error', reject);
      // 'exit', not 'close': after a kill, whatever the init inherited may stay open until delete
      child.on('exit', (code, signal) => {
        clearTimeout(guard);
        if (kill) clearTimeout(kill);
        resolve({ code, signal, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      });
    });
  }

  argsOf(command: FaultCommand): string[] {
    switch (command) {
      case 'create':
        return ['create', '--bundle', this.sleeper.dir, '--pid-file', this.pidFile, this.id];
      case 'start':
        return ['start', this.id];
      case 'run':
        return ['run', '--bundle', this.quick.dir, '--pid-file', this.pidFile, this.id];
      case 'delete':
        return ['delete', '--force', this.id];
    }
  }

  async mustSucceed(command: FaultCommand, args: string[], what: string): Promise<string | undefined> {
    const r = await this.whole(command, args);
    return r.code === 0 ? undefined : `${what}: \`tsrun ${args.join(' ')}\` exited ${r.code ?? r.signal}: ${r.stderr.trim()}`;
  }

  /** A created container of this id exists (the last proof left it). */
  private ready = false;
  /** how long each command took when it ran to its end, most recent last */
  readonly took: Record<FaultCommand, number[]> = { create: [], start: [], run: [], delete: [] };

  /** The duration to spread kill points over: the median of the last five whole runs (load drifts). */
  duration(command: FaultCommand): number {
    const recent = this.took[command].slice(-5).sort((a, b) => a - b);
    return recent[Math.floor(recent.length / 2)]!;
  }

  /** Run a command that is not killed, noting how long it took. */
  async whole(command: FaultCommand, args: string[]): Promise<CliResult> {
    const r = await this.cli(args);
    if (r.code === 0) this.took[command].push(r.ms);
    return r;
  }

  /**
   * What must exist before `command` runs: nothing (create, run), a created
   * container (start), a created or running one in turn (delete).
   */
  async prepare(command: FaultCommand, round: number): Promise<string | undefined> {
    if (command === 'create' || command === 'run') {
      if (this.ready) await this.cli(['delete', '--force', this.id]);
      this.ready = false;
      return undefined;
    }
    if (!this.ready) {
      const created = await this.mustSucceed('create', this.argsOf('create'), 'create before the kill');
      if (created) return created;
    }
    this.ready = false;
    if (command === 'start' || round % 2 === 0) return undefined;
    return this.mustSucceed('start', ['start', this.id], 'start before the kill');
  }

  /**
   * The same id again, to the end: nothing stale may stand in the way. Before
   * a round that needs a container, `create` (which stays for it); else a
   * whole `run` of `true`, which removes its container itself.
   */
  async createAgain(next: FaultCommand | undefined): Promise<string | undefined> {
    if (next === 'start' || next === 'delete') {
      const problem = await this.mustSucceed('create', this.argsOf('create'), 'create again after the cleanup');
      this.ready = problem === undefined;
      return problem;
    }
    return this.mustSucceed('run', this.argsOf('run'), 'run again (create, start, delete) after the cleanup');
  }

  async finish(): Promise<void> {
    await this.cli(['delete', '--force', this.id]);
    this.ready = false;
  }

  /** Three whole runs of `command` before any kill: the first estimate of its duration. */
  async measure(command: FaultCommand): Promise<number> {
    for (let i = 0; i < 3; i++) {
      const problem = await this.prepare(command, 1);
      if (problem) throw new Error(problem);
      const r = await this.whole(command, this.argsOf(command));
      if (r.code !== 0) throw new Error(`measuring ${command}: exited ${r.code}: ${r.stderr}`);
      await this.finish();
    }
    return this.duration(command);
  }

  /** Everything of this lane's container that is still there, in words. */
  leftovers(): Promise<string[]> {
    return containerLeftovers(this.id, this.root, [this.sleeper.dir, this.quick.dir], this.cgroupMount);
  }
}

/**
 * What is left of container `id` after `delete --force`, in words: live
 * processes (in a cgroup named after it, or a tsrun fork with the id in its
 * argv), cgroup dirs named after it, mounts of its bundles, its entry (or an
 * abandoned `:creating:` one) in the state root.
 */
export async function containerLeftovers(id: string, root: string, bundleDirs: readonly string[], cgroupMount?: string): Promise<string[]> {
  const problems: string[] = [];
  // a process sent SIGKILL by the kernel (parent-death signal) may still be on its way out: give it time
  let procs = containerProcesses(id);
  for (let waited = 0; procs.length > 0 && waited < 10_000; waited += 50) {
    await sleep(50);
    procs = containerProcesses(id);
  }
  for (const p of procs) problems.push(`process left: ${p}`);
  for (const d of findCgroupDirs(id, cgroupMount)) problems.push(`cgroup dir left: ${d}`);
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (bundleDirs.some((b) => line.includes(b)) || line.includes(id)) problems.push(`mount left: ${line}`);
  }
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(root);
  } catch {
    // no root yet
  }
  for (const e of entries) {
    if (e === id || e.startsWith(':creating:')) problems.push(`state root entry left: ${path.join(root, e)}`);
  }
  return problems;
}

/** Live processes of container `id`: in a cgroup named after it, or a tsrun fork still carrying it in argv. */
function containerProcesses(id: string): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const cgroups = fs.readFileSync(`/proc/${p}/cgroup`, 'utf8');
      const inCgroup = cgroups.split('\n').some((l) => l.split('/').includes(id));
      if (inCgroup || argv.includes(id)) out.push(`${p} (${state}) ${argv.join(' ').trim()}`);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Where in a command's duration each kill of one lane falls: stratified over [0, 1). */
function killFractions(n: number, random: () => number, offset: number, stride: number): number[] {
  const out: number[] = [];
  for (let k = offset; k < n; k += stride) out.push((k + random()) / n);
  return out;
}

export async function runFaultInjection(lab: ContainerLab, opts: FaultOptions): Promise<FaultReport> {
  const log = opts.log ?? (() => undefined);
  const lanes = Array.from({ length: opts.lanes }, (_, i) => new Lane(i, lab.id(`fault${i}`), lab, opts.callTimeoutMs ?? 60_000, opts.cgroupMount));
  const report: FaultReport = {
    seed: opts.seed,
    durations: { create: [], start: [], run: [], delete: [] },
    kills: { create: 0, start: 0, run: 0, delete: 0 },
    killedMidway: { create: 0, start: 0, run: 0, delete: 0 },
    failures: [],
    summary: [],
  };
  await Promise.all(
    lanes.map(async (lane) => {
      const random = seededRandom(opts.seed + lane.index * 7919);
      const measured = {} as Record<FaultCommand, number>;
      for (const c of FAULT_COMMANDS) measured[c] = await lane.measure(c);
      const before = await lane.leftovers();
      if (before.length) throw new Error(`lane ${lane.index} is not clean after measuring: ${before.join('; ')}`);
      const points = Object.fromEntries(
        FAULT_COMMANDS.map((c) => [c, killFractions(opts.killsPerCommand, random, lane.index, opts.lanes)]),
      ) as Record<FaultCommand, number[]>;
      // round by round, the commands in turn: each proof of re-creation serves the next command
      const order: FaultCommand[] = ['create', 'start', 'delete', 'run'];
      const steps = points.create.flatMap((_, round) => order.map((command) => ({ command, round, fraction: points[command][round]! })));
      for (const [i, { command, round, fraction }] of steps.entries()) {
        const problems: string[] = [];
        const prep = await lane.prepare(command, round);
        if (prep) problems.push(prep);
        const killAt = fraction * lane.duration(command);
        const killed = await lane.cli(lane.argsOf(command), killAt);
        report.kills[command]++;
        if (killed.signal === 'SIGKILL') report.killedMidway[command]++;
        else if (killed.code === 0) lane.took[command].push(killed.ms);
        const cleanup = await lane.whole('delete', ['delete', '--force', lane.id]);
        if (cleanup.code !== 0) problems.push(`delete --force exited ${cleanup.code ?? cleanup.signal}: ${cleanup.stderr.trim()}`);
        problems.push(...(await lane.leftovers()));
        const again = await lane.createAgain(steps[i + 1]?.command);
        if (again) problems.push(again);
        if (problems.length) {
          report.failures.push({ command, lane: lane.index, killAt: Math.round(killAt), problems });
          log(`FAIL ${command} lane ${lane.index} killed at ${killAt.toFixed(0)} ms: ${problems.join('; ')}`);
          await lane.finish(); // a clean slate for the next point
        }
        if (round % 10 === 9 && command === 'run') log(`lane ${lane.index}: ${round + 1} rounds of ${points.create.length}`);
      }
      await lane.finish();
      for (const c of FAULT_COMMANDS) report.durations[c].push(`${Math.round(measured[c])}→${Math.round(lane.duration(c))}`);
    }),
  );
  for (const c of FAULT_COMMANDS) {
    const failed = report.failures.filter((f) => f.command === c).length;
    report.summary.push(
      `${c}: ${report.kills[c]} kill points over ${report.durations[c].join(', ')} ms (per lane: measured first→at the end), ${report.killedMidway[c]} killed mid-command, ${failed} failures`,
    );
  }
  return report;
}
