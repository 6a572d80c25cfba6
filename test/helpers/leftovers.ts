// What a test may leave behind by mistake: mounts, cgroup directories named
// after test ids, processes whose command line names a test id (a half-built
// init is a fork of the tsrun CLI, so it carries the CLI's argv), and entries
// in the state root. Take a snapshot before, assert after.
import fs from 'node:fs';
import path from 'node:path';
import { PROCESS_TAG } from './ids';

export interface LeftoverSnapshot {
  /** "mountpoint fstype source" per mount whose mountpoint or source carries `match` or this
   *  process's tag (multiset as sorted list); other programs' mounts are not ours to judge */
  mounts: string[];
  /** cgroup directories whose name contains `match` */
  cgroups: string[];
  /** "pid cmdline" of processes (other than this one) whose command line contains `match` */
  processes: string[];
  /** entries of the state root (empty when it does not exist) */
  rootEntries: string[];
  root?: string;
  match: string;
}

export interface SnapshotOptions {
  /** the --root to watch */
  root?: string;
  /**
   * substring identifying the test's cgroups and processes. Default: this test
   * process's tag, which every uniqueId() carries, so test runs going on in
   * parallel (other files, other checkouts) do not trip the check
   */
  match?: string;
  cgroupMount?: string;
}

/** Every mount of this mount namespace as "mountpoint fstype source", sorted. */
function readMounts(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pre, post = ''] = line.split(' - ');
      const f = (pre ?? '').split(' ');
      const g = post.split(' ');
      return `${f[4]} ${g[0]} ${g[1]}`;
    })
    .sort();
}

export function findCgroupDirs(match: string, mount = '/sys/fs/cgroup', maxDepth = 8): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > maxDepth) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name.includes(match)) found.push(p);
      walk(p, depth + 1);
    }
  };
  walk(mount, 0);
  return found.sort();
}

function findProcesses(match: string): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(match)) continue;
    // a zombie is already dead (its parent reaps it); only the living count
    try {
      if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'))) continue;
    } catch {
      continue;
    }
    out.push(`${p} ${cmdline.split('\0').join(' ').trim()}`);
  }
  return out.sort();
}

export function snapshotLeftovers(opts: SnapshotOptions = {}): LeftoverSnapshot {
  const match = opts.match ?? PROCESS_TAG;
  let rootEntries: string[] = [];
  if (opts.root) {
    try {
      rootEntries = fs.readdirSync(opts.root).sort();
    } catch {
      rootEntries = [];
    }
  }
  const ours = (m: string): boolean => m.includes(match) || m.includes(PROCESS_TAG);
  return {
    mounts: readMounts().filter(ours),
    cgroups: findCgroupDirs(match, opts.cgroupMount),
    processes: findProcesses(match),
    rootEntries,
    root: opts.root,
    match,
  };
}

function added(before: readonly string[], after: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const b of before) counts.set(b, (counts.get(b) ?? 0) + 1);
  const out: string[] = [];
  for (const a of after) {
    const n = counts.get(a) ?? 0;
    if (n > 0) counts.set(a, n - 1);
    else out.push(a);
  }
  return out;
}

/** Throws, listing every new mount, cgroup dir and state-root entry since `before`. */
export function assertNoLeftovers(before: LeftoverSnapshot, opts: { cgroupMount?: string } = {}): void {
  const after = snapshotLeftovers({ root: before.root, match: before.match, cgroupMount: opts.cgroupMount });
  const problems: string[] = [];
  for (const m of added(before.mounts, after.mounts)) problems.push(`mount left behind: ${m}`);
  for (const c of added(before.cgroups, after.cgroups)) problems.push(`cgroup left behind: ${c}`);
  for (const p of added(before.processes, after.processes)) problems.push(`process left behind: ${p}`);
  for (const r of added(before.rootEntries, after.rootEntries)) problems.push(`state root entry left behind: ${path.join(before.root ?? '', r)}`);
  if (problems.length > 0) throw new Error(`leftovers after test:\n  ${problems.join('\n  ')}`);
}
