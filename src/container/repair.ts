// `delete --force` when state.json cannot be used (docs/reliability.md): undo
// what the container's directory still records, or, with no record at all,
// what sits in the id's default cgroup path. Sources, best first:
//   1. state.json that parses but is unsound: its cgroup descriptor and init
//      pid, where those parts are sound;
//   2. journal.json, which create writes before each side effect;
//   3. the default cgroup path of the id (linux.cgroupsPath unset).
// Everything recorded is killed (a pid only while its start time still
// matches), the cgroups are emptied with SIGKILL rounds and removed, then the
// state directory. The user is told what was damaged and what was used.
import { detectCgroupHost } from '../cgroups/detect';
import { cgroupManagerFor, loadCgroupManager, type CgroupDescriptor, type CgroupManager } from '../cgroups/manager';
import { log } from '../log';
import { SIGKILL } from '../native/linux-constants';
import { readProcStat, waitGone } from '../state/proc';
import { descriptorProblem } from '../state/shape';
import type { StateDirReport } from '../state/store';
import type { RuntimeContext } from './options';

interface Recorded {
  pid: number;
  startTime: number;
}

interface RepairSource {
  /** in words, for the warning */
  what: string;
  cgroup?: CgroupManager;
  /** no record of what create made: remove the container's own dirs (never parents) */
  includeUnrecordedLeaf: boolean;
  processes: Recorded[];
}

const warnOf = (m: string) => log.warn(m);

/** The hierarchies of `desc` are this host's cgroup mounts (a damaged path must not send rmdir elsewhere). */
function onThisHost(desc: CgroupDescriptor): boolean {
  const host = detectCgroupHost();
  const mounts = new Set([...host.v1.map((h) => h.mountpoint), ...(host.unified ? [host.unified.mountpoint] : [])]);
  return desc.hierarchies.every((h) => mounts.has(h.mountpoint));
}

function usableDescriptor(v: unknown): CgroupDescriptor | undefined {
  return descriptorProblem(v) === undefined && onThisHost(v as CgroupDescriptor) ? (v as CgroupDescriptor) : undefined;
}

/** The container's default cgroup (linux.cgroupsPath unset); undefined with --systemd-cgroup, whose default differs. */
function defaultCgroup(ctx: RuntimeContext, id: string): CgroupManager | undefined {
  if (ctx.systemdCgroup) return undefined;
  return cgroupManagerFor({ containerId: id, warn: warnOf });
}

function chooseSource(ctx: RuntimeContext, id: string, report: StateDirReport): RepairSource {
  const processes: Recorded[] = [];
  const damaged = report.damagedState as Record<string, unknown> | undefined;
  const fromState = damaged && typeof damaged === 'object' ? usableDescriptor(damaged.cgroup) : undefined;
  if (damaged && typeof damaged === 'object' && Number.isSafeInteger(damaged.initPid) && Number.isSafeInteger(damaged.initStartTime)) {
    processes.push({ pid: damaged.initPid as number, startTime: damaged.initStartTime as number });
  }
  const journal = report.journal;
  if (journal) processes.push(...journal.processes);
  if (fromState) {
    return { what: "the cgroup paths state.json still holds", cgroup: loadCgroupManager(fromState, { warn: warnOf }), includeUnrecordedLeaf: false, processes };
  }
  const fromJournal = journal ? usableDescriptor(journal.cgroup) : undefined;
  if (fromJournal) {
    return { what: 'the create journal (journal.json)', cgroup: loadCgroupManager(fromJournal, { warn: warnOf }), includeUnrecordedLeaf: false, processes };
  }
  const cgroup = defaultCgroup(ctx, id);
  const where = cgroup ? `the default cgroup path (${cgroup.dirs()[0]!.dir}${cgroup.dirs().length > 1 ? ', …' : ''})` : 'no cgroup record';
  return { what: where, cgroup, includeUnrecordedLeaf: true, processes };
}

function killRecorded(processes: readonly Recorded[]): void {
  for (const p of processes) {
    const st = readProcStat(p.pid);
    if (!st || st.startTime !== p.startTime || st.state === 'Z') continue;
    try {
      process.kill(p.pid, SIGKILL);
    } catch {
      // gone already
    }
  }
}

/** Undo what a container whose state.json is missing or unsound left, then remove its directory. */
export async function repairFromLeftovers(ctx: RuntimeContext, id: string, report: StateDirReport): Promise<void> {
  const source = chooseSource(ctx, id, report);
  const damage = [...report.damage];
  if (report.stateMissing) damage.unshift('state.json is missing (a create that did not finish, or a delete cut short)');
  if (!report.journal && !damage.some((d) => d.startsWith('journal.json'))) damage.push('there is no journal.json');
  warnOf(`container ${id}: ${damage.join('; ')}; cleaning up from ${source.what}`);
  killRecorded(source.processes);
  source.cgroup?.destroy({ includeUnrecordedLeaf: source.includeUnrecordedLeaf });
  for (const p of source.processes) await waitGone(p.pid, p.startTime);
  report.handle.destroy();
}

/**
 * No state directory at all: if the id's default cgroup exists, a container
 * of this id lost its directory while it ran (or a create was killed and its
 * directory removed by hand). Kill what is in it and remove it.
 */
export function removeOrphanCgroups(ctx: RuntimeContext, id: string): void {
  const cgroup = defaultCgroup(ctx, id);
  if (!cgroup?.exists()) return;
  const pids = cgroup.pids();
  warnOf(
    `container ${id} has no state directory, but its default cgroup ${cgroup.dirs()[0]!.dir} exists` +
      `${pids.length ? ` with ${pids.length} process(es): killing them and removing the cgroup` : ': removing it'}`,
  );
  cgroup.destroy({ includeUnrecordedLeaf: true });
}
