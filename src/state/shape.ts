// What is wrong with a stored document, in words for the user: state.json and
// journal.json are ours, but a disk, an editor or a half-finished copy can
// damage them, and `delete --force` must then still find what to undo. Each
// function returns undefined for a sound document, else the first problem.
// Cheap hand-written checks (no schema library): `state` and `list` read
// state.json on every call.
import { STATE_FORMAT_VERSION } from './types';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPid = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isTicks = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function field(o: Obj, name: string, ok: (v: unknown) => boolean, expected: string): string | undefined {
  return ok(o[name]) ? undefined : `${name} is ${name in o ? describe(o[name]) : 'missing'}, expected ${expected}`;
}

/** A cgroup descriptor a manager can be rebuilt from, with absolute paths below each mount point. */
export function descriptorProblem(v: unknown): string | undefined {
  if (!isObject(v)) return `the cgroup descriptor is ${describe(v)}`;
  if (v.version !== 1) return `the cgroup descriptor has version ${describe(v.version)}, expected 1`;
  if (v.layout !== 'v1' && v.layout !== 'v2' && v.layout !== 'hybrid') return `the cgroup layout is ${describe(v.layout)}`;
  if (!Array.isArray(v.hierarchies) || v.hierarchies.length === 0) return 'the cgroup descriptor lists no hierarchy';
  const mounts: string[] = [];
  for (const h of v.hierarchies as unknown[]) {
    if (!isObject(h) || typeof h.key !== 'string' || !isStringArray(h.controllers) || typeof h.mountpoint !== 'string' || typeof h.dir !== 'string') {
      return 'a cgroup hierarchy entry is not {key, controllers, mountpoint, dir}';
    }
    if (!h.mountpoint.startsWith('/') || !isBelow(h.dir, h.mountpoint)) return `cgroup dir ${JSON.stringify(h.dir)} is not below ${JSON.stringify(h.mountpoint)}`;
    mounts.push(h.mountpoint);
  }
  if (!isStringArray(v.created)) return 'the list of cgroup dirs create made is not a list of paths';
  const stray = v.created.find((d) => !mounts.some((m) => isBelow(d, m)));
  if (stray !== undefined) return `cgroup dir ${JSON.stringify(stray)} is not below a hierarchy of the descriptor`;
  if (typeof v.containerId !== 'string' || typeof v.cgroupsPath !== 'string' || !isObject(v.resources) || !isStringArray(v.configDevicePaths)) {
    return 'the cgroup descriptor lacks containerId, cgroupsPath, resources or configDevicePaths';
  }
  return undefined;
}

/** `dir` is a normalised absolute path strictly below `mount`. */
function isBelow(dir: string, mount: string): boolean {
  if (!dir.startsWith('/') || dir.split('/').some((part) => part === '.' || part === '..')) return false;
  const base = mount.endsWith('/') ? mount : `${mount}/`;
  return dir.startsWith(base) && dir.length > base.length;
}

/** state.json as StoredState describes it. */
export function stateProblem(v: unknown, id: string): string | undefined {
  if (!isObject(v)) return `it holds ${describe(v)}, not an object`;
  if (typeof v.formatVersion !== 'number') return field(v, 'formatVersion', () => false, 'a number');
  if (v.formatVersion > STATE_FORMAT_VERSION) return `it has format ${v.formatVersion}; this tsrun reads up to ${STATE_FORMAT_VERSION}`;
  if (v.id !== id) return `it belongs to ${describe(v.id)}, not ${JSON.stringify(id)}`;
  return (
    field(v, 'initPid', isPid, 'a pid') ??
    field(v, 'initStartTime', isTicks, 'a start time in clock ticks') ??
    field(v, 'bundle', (x) => typeof x === 'string', 'a path') ??
    field(v, 'rootfs', (x) => typeof x === 'string', 'a path') ??
    field(v, 'created', (x) => typeof x === 'string', 'a timestamp') ??
    field(v, 'owner', (x) => typeof x === 'string', 'a string') ??
    field(v, 'annotations', isObject, 'an object') ??
    field(v, 'config', isObject, 'the OCI config') ??
    descriptorProblem(v.cgroup)
  );
}

/** The process entries of a journal. */
export function journalProblem(v: unknown, id: string): string | undefined {
  if (!isObject(v)) return `it holds ${describe(v)}, not an object`;
  if (v.formatVersion !== 1) return field(v, 'formatVersion', () => false, '1');
  if (v.id !== id) return `it belongs to ${describe(v.id)}, not ${JSON.stringify(id)}`;
  const bad = field(v, 'bundle', (x) => typeof x === 'string', 'a path') ?? field(v, 'processes', Array.isArray, 'a list');
  if (bad) return bad;
  for (const p of v.processes as unknown[]) {
    if (!isObject(p) || p.role !== 'init' || !isPid(p.pid) || !isTicks(p.startTime)) {
      return 'a process entry is not {role, pid, startTime}';
    }
  }
  return descriptorProblem(v.cgroup);
}
