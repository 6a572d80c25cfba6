// The corpus of configs other tools write: the engine fixtures in
// test/fixtures/oci (containerd, Docker, podman, runc's own, a config using
// every Linux field) and what `runc spec` and `tsrun spec` write, with and
// without --rootless. Each is run as it is, except for what names the machine
// it was written on: the rootfs, host paths of bind sources and hooks, the
// cgroup path (made unique), a terminal (the harness has none), and args
// (the probe).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJsonText } from '../../../oci-spec/json';
import { INNER_HOOKS_LOG, TOKENS } from './bundle';
import { probeArgs, type DiffCase, type Spec } from './case';
import { callerEnv, PROJECT_ROOT, RUNC, tsrunCommand } from './env';

const FIXTURE_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'oci');

const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

type Hook = { path: string; args?: string[]; env?: string[]; timeout?: number };
type Mount = { destination: string; type?: string; source?: string; options?: string[] };

/** A hook of `kind` that runs the probe in hook mode, logging where the harness reads it. */
export function probeHook(kind: string, h: Partial<Hook> = {}, extraArgs: string[] = []): Hook {
  const inContainer = kind === 'startContainer';
  const hook: Hook = {
    path: inContainer ? '/bin/probe' : TOKENS.probe,
    args: [h.args?.[0] ?? kind, '--hook', kind, inContainer ? INNER_HOOKS_LOG : `${TOKENS.run}/hooks.log`, ...extraArgs],
  };
  if (h.env) hook.env = h.env;
  if (h.timeout !== undefined) hook.timeout = h.timeout;
  return hook;
}

function looksLikeFile(dest: string): boolean {
  return /(resolv\.conf|hostname|hosts|\.containerenv|\.[a-z]+)$/.test(path.basename(dest));
}

/** Make a config from elsewhere runnable here without changing what it asks of the runtime. */
function adaptConfig(input: Spec): Spec {
  const c = structuredClone(input) as Spec & Record<string, any>;
  c.root = { ...(c.root as object), path: 'rootfs' };
  const proc = (c.process ??= {}) as Record<string, any>;
  proc.terminal = false;
  delete proc.consoleSize;
  proc.args = ['/bin/probe', ...probeArgs(c)];
  for (const m of (c.mounts ?? []) as Mount[]) {
    const bind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (bind && m.source && !m.source.startsWith(TOKENS.run) && m.source !== '/sys') {
      m.source = looksLikeFile(m.destination) ? `${TOKENS.run}/host/file` : `${TOKENS.run}/host/dir`;
    }
  }
  const hooks = c.hooks as Record<string, Hook[]> | undefined;
  if (hooks) {
    for (const kind of HOOK_KINDS) {
      if (hooks[kind]) hooks[kind] = hooks[kind]!.map((h) => probeHook(kind, h));
    }
  }
  const linux = (c.linux ?? {}) as Record<string, any>;
  if (linux.cgroupsPath !== undefined) linux.cgroupsPath = `/${TOKENS.cgroup}/${TOKENS.id}`;
  return c;
}

function fixtureCases(): DiffCase[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: `fixture ${f}`, config: adaptConfig(parseJsonText(fs.readFileSync(path.join(FIXTURE_DIR, f), 'utf8'), f) as Spec) }));
}

/** `<runtime> spec [--rootless]`, written into a scratch dir. */
function specOutput(runtime: 'runc' | 'tsrun', rootless: boolean): Spec {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-diffspec-'));
  try {
    const flags = ['spec', ...(rootless ? ['--rootless'] : [])];
    if (runtime === 'runc') execFileSync(RUNC, flags, { cwd: dir, env: callerEnv() });
    else {
      const t = tsrunCommand();
      execFileSync(t.cmd, [...t.args, ...flags], { cwd: dir, env: callerEnv() });
    }
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Spec;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function specCases(): DiffCase[] {
  const out: DiffCase[] = [];
  for (const runtime of ['runc', 'tsrun'] as const) {
    for (const rootless of [false, true]) {
      out.push({ name: `${runtime} spec${rootless ? ' --rootless' : ''}`, config: adaptConfig(specOutput(runtime, rootless)) });
    }
  }
  return out;
}

/** The whole corpus: fixtures and spec outputs, plus each with --no-new-keyring. */
export function corpusCases(): DiffCase[] {
  const base = [...fixtureCases(), ...specCases()];
  return [...base, ...base.map((c) => ({ ...c, name: `${c.name} --no-new-keyring`, noNewKeyring: true }))];
}
