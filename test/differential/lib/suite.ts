// Runs differential cases: each config under runc and under tsrun (in their
// own run directories, with their own ids), then compares the outcomes after
// normalisation and after the deliberate-difference rules (rules.ts). A
// runtime's leftovers (state, cgroups, mounts) are reported too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { materialize, prepareRunDir, probeSet, shiftRootfsOwners, type IdMapping, type ProbeSet, type RunDir } from './bundle';
import type { DiffCase, Spec } from './case';
import { describeDifference, diffFields, normaliseProbe, replaceContextStrings, type HostView } from './normalise';
import { forceDelete, makeCallerNamespaces, releaseCallerNamespaces, runOnce, stateLeft, type RunResult, type RuntimeName } from './runtime';
import { applyRules, RULES, type Rule, type View } from './rules';

export interface SuiteOptions {
  /** scratch directory (removed by the caller) */
  work: string;
  /** the probe binary (buildProbe) */
  probe: string;
  host: HostView;
  /** a short tag unique to this suite run: ids and the cgroup parent carry it */
  tag: string;
  concurrency?: number;
  timeoutMs?: number;
  rules?: readonly Rule[];
  /** keep each run directory (bundle, hooks log) for a look afterwards */
  keep?: boolean;
  /** called after each case (progress) */
  onResult?: (r: CaseResult, done: number, total: number) => void;
}

type Outcome = 'ran' | 'refused' | 'timeout';

interface RuntimeOutcome {
  outcome: Outcome;
  exit: string;
  probe?: Record<string, unknown>;
  hooks: { host: unknown[]; container: unknown[] };
  leftovers: string[];
  stderr: string;
  ms: number;
}

type Verdict = 'identical' | 'explained' | 'diverged';

interface CaseResult {
  name: string;
  summary?: string;
  verdict: Verdict;
  /** fields that differ (after rules) */
  fields: string[];
  /** the rules that explained a difference in this case */
  rules: string[];
  details: string;
  runc: RuntimeOutcome;
  tsrun: RuntimeOutcome;
}

function outcomeOf(r: RunResult): Outcome {
  if (r.timedOut) return 'timeout';
  return r.probe ? 'ran' : 'refused';
}

function exitOf(r: RunResult): string {
  if (r.timedOut) return 'timeout';
  return r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`;
}

/** Mounts of this (the caller's) mount namespace at or under `dir`. */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
}

function unmountAll(mounts: string[]): void {
  for (const m of [...mounts].reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // gone with its parent
    }
  }
}

/** cgroup directories named `id` under the suite's parent or the caller's own cgroup. */
/** Each cgroup hierarchy this process is in, with its own path there. */
function cgroupHierarchies(): { dir: string; callerPath: string }[] {
  const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
  const base = '/sys/fs/cgroup';
  const hierarchies: { dir: string; callerPath: string }[] = [];
  const unifiedOnly = fs.existsSync(path.join(base, 'cgroup.controllers'));
  for (const line of own) {
    const [, ctrls, p] = line.split(':') as [string, string, string];
    if (ctrls === '') hierarchies.push({ dir: unifiedOnly ? base : path.join(base, 'unified'), callerPath: p });
    else for (const c of ctrls.replace('name=', '').split(',')) hierarchies.push({ dir: path.join(base, c), callerPath: p });
  }
  return hierarchies;
}

function cgroupsLeft(id: string, parent: string): string[] {
  const found: string[] = [];
  for (const h of cgroupHierarchies()) {
    for (const d of [path.join(h.dir, parent, id), path.join(h.dir, h.callerPath, id), path.join(h.dir, id)]) {
      if (fs.existsSync(d) && !found.includes(d)) found.push(d);
    }
  }
  return found;
}

/** The suite's parent cgroup (runc leaves parents by design): removed bottom-up once every case is done. */
function removeSuiteCgroup(parent: string): void {
  const rmTree = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    fs.rmdirSync(dir);
  };
  for (const h of cgroupHierarchies()) {
    for (const d of [path.join(h.dir, parent), path.join(h.dir, h.callerPath, parent)]) {
      if (fs.existsSync(d)) rmTree(d);
    }
  }
}

/** The probe files linked into every rootfs, made once per suite in its work dir. */
const probeSets = new Map<string, ProbeSet>();
function probeSetOf(opts: SuiteOptions): ProbeSet {
  let set = probeSets.get(opts.work);
  if (!set) {
    const dir = path.join(opts.work, 'probe');
    fs.mkdirSync(dir, { recursive: true });
    set = probeSet(opts.probe, dir);
    probeSets.set(opts.work, set);
  }
  return set;
}

const suiteCgroup = (opts: SuiteOptions): string => `tsrun-diff-${opts.tag}`;

async function runRuntime(
  c: DiffCase,
  config: Spec,
  runtime: RuntimeName,
  idx: number,
  opts: SuiteOptions,
): Promise<RuntimeOutcome & { runDir: string; id: string; callerNs: Record<string, string> }> {
  const id = `diff-${opts.tag}-${idx}-${runtime === 'runc' ? 'r' : 't'}`;
  const dir = path.join(opts.work, String(idx), runtime);
  const linux = (config.linux ?? {}) as { uidMappings?: IdMapping[]; gidMappings?: IdMapping[] };
  const shift = linux.uidMappings !== undefined && linux.gidMappings !== undefined;
  const rd: RunDir = prepareRunDir(dir, probeSetOf(opts), shift);
  // searchable by the ids of a user namespace (mkdtemp makes the work dir 0700)
  for (let d = dir; d.startsWith(opts.work); d = path.dirname(d)) fs.chmodSync(d, 0o755);
  const cgroup = suiteCgroup(opts);
  fs.writeFileSync(path.join(rd.bundle, 'config.json'), materialize(config, { run: dir, probe: opts.probe, id, cgroup }));
  if (shift) shiftRootfsOwners(rd.rootfs, linux.uidMappings!, linux.gidMappings!);
  const root = path.join(opts.work, `state-${runtime}`);
  const callerNs = makeCallerNamespaces(path.join(dir, 'caller-ns'));
  const req = { runtime, id, root, bundle: rd.bundle, noNewKeyring: c.noNewKeyring, timeoutMs: opts.timeoutMs ?? 120_000, callerNs };
  const r = await runOnce(req);
  const leftovers: string[] = [];
  if (stateLeft(root, id)) {
    leftovers.push(`state ${path.join(root, id)}`);
    await forceDelete(req);
  }
  releaseCallerNamespaces(callerNs);
  for (const cg of cgroupsLeft(id, cgroup)) {
    leftovers.push(`cgroup ${cg}`);
    try {
      fs.rmdirSync(cg);
    } catch {
      // busy: reported
    }
  }
  const mounts = mountsUnder(dir);
  for (const m of mounts) leftovers.push(`mount ${m}`);
  unmountAll(mounts);
  const hooks = { host: readLog(rd.hooksLog), container: readLog(rd.innerHooksLog) };
  if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  return {
    outcome: outcomeOf(r),
    exit: exitOf(r),
    probe: r.probe,
    hooks,
    leftovers: replaceContextStrings(leftovers, { runDir: dir, id }),
    stderr: r.stderr.trim(),
    ms: r.ms,
    runDir: dir,
    id,
    callerNs: callerNs.links,
  };
}

function readLog(file: string): unknown[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        return { unparsable: l };
      }
    });
}

/** A hook's view, comparable: the state it was given (pid and timestamps vary), env, cwd, ids. */
function normaliseHooks(h: unknown[]): Record<string, unknown>[] {
  return h.map((x) => {
    const e = { ...(x as Record<string, unknown>) };
    try {
      const st = JSON.parse(String(e.state)) as Record<string, unknown>;
      if (typeof st.pid === 'number') st.pid = st.pid > 0 ? 'pid' : st.pid;
      delete st.annotations;
      e.state = st;
    } catch {
      // not JSON: compared as text
    }
    return e;
  });
}

async function runCase(c: DiffCase, idx: number, opts: SuiteOptions): Promise<CaseResult> {
  const rules = opts.rules ?? RULES;
  const prepared = applyRules(rules, c, { boundingSet: opts.host.boundingSet });
  const [runc, tsrun] = [
    await runRuntime(c, prepared.reference, 'runc', idx, opts),
    await runRuntime(c, c.config, 'tsrun', idx, opts),
  ];
  const view = (o: typeof runc): View => {
    const v: View = {
      outcome: o.outcome,
      hooks: replaceContextStrings({ host: normaliseHooks(o.hooks.host), container: normaliseHooks(o.hooks.container) }, { runDir: o.runDir, id: o.id }),
      said: o.stderr,
    };
    if (o.outcome === 'ran') v.exit = o.exit;
    // "host" namespaces are the caller's: the run's own network, UTS and IPC ones
    const host = { ...opts.host, ns: { ...opts.host.ns, ...o.callerNs } };
    if (o.probe) v.probe = normaliseProbe(o.probe, { host, runDir: o.runDir, id: o.id });
    return v;
  };
  const a = view(runc);
  const b = view(tsrun);
  const ruleNames = prepared.reconcile(a, b);
  const compared = (v: View) => ({ outcome: v.outcome, exit: v.exit, probe: v.probe, hooks: v.hooks });
  const fields = diffFields(compared(a), compared(b));
  const problems: string[] = [];
  for (const f of fields) {
    const get = (o: unknown) => f.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
    problems.push(`${f}:\n${describeDifference(get(compared(a)), get(compared(b)))}`);
  }
  if (tsrun.leftovers.length > 0) {
    fields.push('leftovers');
    problems.push(`leftovers:\n  ${tsrun.leftovers.join('\n  ')}`);
  }
  if (a.outcome !== b.outcome) problems.push(`runc said: ${gist(runc.stderr)}\ntsrun said: ${gist(tsrun.stderr)}`);
  const verdict: Verdict = fields.length > 0 ? 'diverged' : ruleNames.length > 0 ? 'explained' : 'identical';
  return {
    name: c.name,
    summary: c.summary,
    verdict,
    fields,
    rules: ruleNames,
    details: problems.join('\n'),
    runc: strip(runc),
    tsrun: strip(tsrun),
  };
}

/** A runtime's error lines (or its last words), short. */
function gist(stderr: string): string {
  const lines = stderr.split('\n');
  const errors = lines.filter((l) => /level=(error|fatal)|panic:|error running hook/.test(l));
  return (errors.length ? errors : lines.slice(-3)).join('\n').slice(0, 1200);
}

function strip(o: RuntimeOutcome & { runDir: string; id: string }): RuntimeOutcome {
  const { runDir: _r, id: _i, ...rest } = o;
  return rest;
}

export interface Summary {
  tried: number;
  identical: number;
  explained: number;
  diverged: number;
  /** both runtimes started the probe (the rest: both refused, or outcomes differ) */
  bothRan: number;
  bothRefused: number;
  /** field -> number of cases diverging on it */
  byField: Record<string, number>;
  /** rule -> number of cases it explained */
  byRule: Record<string, number>;
  results: CaseResult[];
}

export async function runSuite(cases: readonly DiffCase[], opts: SuiteOptions): Promise<Summary> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= cases.length) return;
      results[i] = await runCase(cases[i]!, i, opts);
      done += 1;
      opts.onResult?.(results[i]!, done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  removeSuiteCgroup(suiteCgroup(opts));
  return summarize(results);
}

function summarize(results: CaseResult[]): Summary {
  const s: Summary = { tried: results.length, identical: 0, explained: 0, diverged: 0, bothRan: 0, bothRefused: 0, byField: {}, byRule: {}, results };
  for (const r of results) {
    s[r.verdict] += 1;
    if (r.runc.outcome === 'ran' && r.tsrun.outcome === 'ran') s.bothRan += 1;
    if (r.runc.outcome === 'refused' && r.tsrun.outcome === 'refused') s.bothRefused += 1;
    for (const f of r.fields) s.byField[f] = (s.byField[f] ?? 0) + 1;
    for (const rule of r.rules) s.byRule[rule] = (s.byRule[rule] ?? 0) + 1;
  }
  return s;
}

const byCount = (o: Record<string, number>): string =>
  Object.entries(o)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** One line: tried, identical, explained, diverged (with the fields). */
function summaryLine(s: Summary, label: string): string {
  const fields = byCount(s.byField);
  return (
    `differential ${label}: ${s.tried} tried, ${s.identical} identical, ${s.explained} explained by rules, ` +
    `${s.diverged} diverged${fields ? ` (${fields})` : ''}; both ran ${s.bothRan}, both refused ${s.bothRefused}`
  );
}

/** Print the summary, the rules used and every divergence (with the config's knobs); optionally a JSON report. */
export function reportSummary(s: Summary, label: string): void {
  const lines = [summaryLine(s, label)];
  if (Object.keys(s.byRule).length) lines.push(`  rules: ${byCount(s.byRule)}`);
  for (const r of s.results) {
    if (r.verdict !== 'diverged') continue;
    lines.push(`  DIVERGED ${r.name}: ${r.fields.join(', ')}${r.summary ? `\n    [${r.summary}]` : ''}`);
    lines.push(...r.details.split('\n').map((l) => `    ${l}`));
  }
  console.log(lines.join('\n'));
  const file = process.env.TSRUN_DIFF_REPORT;
  if (file) {
    // what the probe saw is kept for the cases that diverged
    const results = s.results.map((r) => (r.verdict === 'diverged' ? r : { ...r, runc: { ...r.runc, probe: undefined }, tsrun: { ...r.tsrun, probe: undefined } }));
    fs.writeFileSync(file, JSON.stringify({ label, ...s, results }, null, 1));
  }
}
