// Turn a probe's raw view into what is comparable across runtimes: paths of
// the run directory and the container id become placeholders, inode numbers
// of pipes and sockets go, namespaces and the session keyring are described
// relative to the caller's ("host" = shared with the runtime's caller), pids
// seen from the host are not compared, peer group numbers of shared mounts go.

import fs from 'node:fs';
import path from 'node:path';

type Obj = Record<string, unknown>;

export interface HostView {
  ns: Record<string, string>;
  keyring: { serial?: number; describe?: string; error?: string };
  /** CapBnd of the runtimes' caller */
  boundingSet: bigint;
}

export interface NormaliseContext {
  host: HostView;
  runDir: string;
  id: string;
}

/**
 * The run dir as mountinfo shows it in a bind's root: relative to the root of
 * the filesystem holding it (a tmpfs /tmp shows /tsrun-test-...).
 */
function pathInItsFilesystem(p: string): string {
  let best = { point: '/', root: '/' };
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const point = f[4];
    if (!point || !f[3]) continue;
    if ((p === point || p.startsWith(point === '/' ? '/' : `${point}/`)) && point.length >= best.point.length) best = { point, root: f[3] };
  }
  const rest = best.point === '/' ? p : p.slice(best.point.length);
  return path.posix.join(best.root, rest);
}

export function replaceContextStrings<T>(value: T, ctx: Pick<NormaliseContext, 'runDir' | 'id'>): T {
  let text = JSON.stringify(value).replaceAll(ctx.runDir, '@RUN@');
  const inFs = pathInItsFilesystem(ctx.runDir);
  if (inFs !== ctx.runDir) text = text.replaceAll(`"${inFs}`, '"@RUN@').replaceAll(`${inFs}/`, '@RUN@/');
  return JSON.parse(text.replaceAll(ctx.id, '@ID@')) as T;
}

const PEER = /^(shared|master|propagate_from):\d+$/;

export function normaliseMounts(mounts: unknown): unknown {
  if (!Array.isArray(mounts)) return mounts;
  const list = (mounts as Obj[]).map((m) => ({
    target: m.target,
    fstype: m.fstype,
    source: m.source,
    root: m.root,
    opts: m.opts,
    super: m.super,
    propagation: ((m.optional as string[]) ?? []).map((o) => o.replace(PEER, '$1')).sort().join(',') || 'private',
  }));
  // by target; mounts stacked on one target keep their order (the last is on top)
  return list.map((m, i) => ({ m, i })).sort((a, b) => (a.m.target === b.m.target ? a.i - b.i : String(a.m.target) < String(b.m.target) ? -1 : 1)).map((x) => x.m);
}

function normaliseFdTarget(t: string): string {
  return t.replace(/^(pipe|socket):\[\d+\]$/, '$1').replace(/^anon_inode:\[([^\]]+)\]$/, 'anon_inode:$1');
}

/**
 * v1 devices.list is a set of exceptions (the kernel prints them in the order
 * they were added); memory.oom_control carries event counters.
 */
export function normaliseCgroupFiles(files: Record<string, string>): Record<string, string> {
  const out = { ...files };
  const dl = out['devices/devices.list'];
  if (typeof dl === 'string') out['devices/devices.list'] = dl.split('\n').sort().join('\n');
  const oc = out['memory/memory.oom_control'];
  if (typeof oc === 'string') out['memory/memory.oom_control'] = oc.split('\n').filter((l) => l.startsWith('oom_kill_disable')).join('\n');
  return out;
}

export function normaliseProbe(raw: Obj, ctx: NormaliseContext): Obj {
  const p = replaceContextStrings(raw, ctx);
  const out: Obj = { ...p };
  const ns = (p.ns ?? {}) as Record<string, string>;
  out.ns = Object.fromEntries(
    Object.entries(ns).map(([k, v]) => [k, v.startsWith('E') ? v : v === ctx.host.ns[k] ? 'host' : 'own']),
  );
  const pidShared = ns.pid !== undefined && ns.pid === ctx.host.ns.pid;
  if (pidShared) {
    out.pid = 'host pid';
    out.ppid = 'host pid';
  }
  const kr = (p.keyring ?? {}) as { serial?: number; describe?: string; error?: string };
  if (kr.serial !== undefined) {
    out.keyring = { session: kr.serial === ctx.host.keyring.serial ? "caller's" : 'own', describe: kr.describe };
  }
  if (Array.isArray(p.fds)) {
    out.fds = (p.fds as Obj[]).map((f) => ({ ...f, target: normaliseFdTarget(String(f.target)) }));
  }
  out.mounts = normaliseMounts(p.mounts);
  if (p.cgroupFiles && typeof p.cgroupFiles === 'object') out.cgroupFiles = normaliseCgroupFiles(p.cgroupFiles as Record<string, string>);
  return out;
}

/** Field paths where two normalised probes differ ("caps.effective", "mounts", ...). */
export function diffFields(a: unknown, b: unknown, prefix = '', depth = 0): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (depth < 2 && isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffFields(a[k], b[k], prefix ? `${prefix}.${k}` : k, depth + 1));
  }
  return [prefix || '(root)'];
}

/** A short human account of how a field differs (for the report). */
export function describeDifference(a: unknown, b: unknown): string {
  if (Array.isArray(a) && Array.isArray(b)) {
    const sa = a.map((x) => JSON.stringify(x));
    const sb = b.map((x) => JSON.stringify(x));
    const onlyA = sa.filter((x) => !sb.includes(x));
    const onlyB = sb.filter((x) => !sa.includes(x));
    if (onlyA.length || onlyB.length) return [...onlyA.map((x) => `  runc  only: ${x}`), ...onlyB.map((x) => `  tsrun only: ${x}`)].join('\n');
    return `  same elements, other order:\n  runc:  ${sa.join(' ')}\n  tsrun: ${sb.join(' ')}`;
  }
  return `  runc:  ${JSON.stringify(a)}\n  tsrun: ${JSON.stringify(b)}`;
}
