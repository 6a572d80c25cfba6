// `events`: container statistics and OOM notices as JSON lines (runc's
// types.Event). `--stats` prints one stats record; otherwise a stats record
// every interval plus {"type":"oom","id":...} whenever the cgroup's OOM-kill
// count grows, until the container stops (exit 0). Reads the state without
// the lock: a long stream must not block kill or delete.
import { isFrozen } from '../cgroups/freezer-probe';
import { loadCgroupManager, type CgroupManager } from '../cgroups/manager';
import { statsToJson } from '../cgroups/stats';
import { log } from '../log';
import { writeAllSync } from '../write-all';
import { deriveStatus } from '../state/status';
import { StateStore } from '../state/store';
import { assertCan } from '../state/transitions';
import type { EventsOptions, RuntimeContext } from './options';

export interface EventsDeps {
  out: (text: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** how often the OOM count and the container's status are checked */
  pollMs: number;
}

const defaultDeps = (): EventsDeps => ({
  out: (t) => writeAllSync(1, t),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  pollMs: 100,
});

/** A container's cgroup statistics and OOM kill count, for an in-process caller (the shim). */
export interface ContainerStats {
  layout: CgroupManager['layout'];
  stats: ReturnType<CgroupManager['stats']>;
  oomKills: number;
}

function managerOf(ctx: RuntimeContext, id: string): CgroupManager {
  return loadCgroupManager(new StateStore(ctx.root).read(id).cgroup, { warn: (msg) => log.warn(msg) });
}

export function containerStats(ctx: RuntimeContext, id: string): ContainerStats {
  const m = managerOf(ctx, id);
  return { layout: m.layout, stats: m.stats(), oomKills: m.oomKillCount() };
}

/** OOM kills in the container's cgroup so far. */
export function containerOomKills(ctx: RuntimeContext, id: string): number {
  return managerOf(ctx, id).oomKillCount();
}

export function statsEvent(id: string, m: CgroupManager): string {
  return `${statsToJson({ type: 'stats', id, data: m.stats() })}\n`;
}

export function oomEvent(id: string): string {
  return `${JSON.stringify({ type: 'oom', id })}\n`;
}

export async function eventsContainer(ctx: RuntimeContext, opts: EventsOptions, deps: EventsDeps = defaultDeps()): Promise<void> {
  const store = new StateStore(ctx.root);
  const stored = store.read(opts.id);
  const dir = store.dirOf(opts.id);
  const status = () => deriveStatus(stored, dir, { isPaused: (s) => isFrozen(s.cgroup) }).status;
  const stopped = () => status() === 'stopped';
  assertCan('events', status(), opts.id);
  const m = loadCgroupManager(stored.cgroup, { warn: (msg) => log.warn(msg) });
  if (opts.stats) {
    deps.out(statsEvent(opts.id, m));
    return;
  }
  let ooms = m.oomKillCount();
  const reportOoms = () => {
    const now = m.oomKillCount();
    for (; ooms < now; ooms++) deps.out(oomEvent(opts.id));
  };
  let nextStats = deps.now() + opts.intervalMs;
  for (;;) {
    reportOoms();
    // an OOM kill of the init stops the container: report it before leaving
    if (stopped()) return reportOoms();
    if (deps.now() >= nextStats) {
      deps.out(statsEvent(opts.id, m));
      nextStats += opts.intervalMs;
      if (nextStats <= deps.now()) nextStats = deps.now() + opts.intervalMs; // fell behind: no burst
    }
    await deps.sleep(Math.max(1, Math.min(deps.pollMs, nextStats - deps.now())));
  }
}
