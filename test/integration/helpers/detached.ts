// Real containers through the built CLI, for tests that need one running:
// start a detached container (its stdio goes to files, so nothing waits on
// pipes the container keeps open), read its state, remove it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_MAIN, cliEnv, tsrun } from '../../helpers';

export interface Detached {
  code: number | null;
  /** what tsrun and the container wrote to stdout / stderr so far */
  stdout(): string;
  stderr(): string;
}

/** `tsrun run -d` (or any argv) with stdio on files in `dir`; resolves when tsrun exits. */
export function runDetached(args: readonly string[], dir: string, label = 'detached'): Promise<Detached> {
  const outPath = path.join(dir, `${label}.out`);
  const errPath = path.join(dir, `${label}.err`);
  const out = fs.openSync(outPath, 'w');
  const err = fs.openSync(errPath, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: cliEnv(), stdio: ['ignore', out, err] });
    fs.closeSync(out);
    fs.closeSync(err);
    child.on('error', reject);
    child.on('exit', (code) =>
      resolve({ code, stdout: () => fs.readFileSync(outPath, 'utf8'), stderr: () => fs.readFileSync(errPath, 'utf8') }),
    );
  });
}

export interface StoredStateView {
  initPid: number;
  cgroup: { hierarchies: Array<{ key: string; controllers: string[]; dir: string }> };
}

export function storedState(root: string, id: string): StoredStateView {
  return JSON.parse(fs.readFileSync(path.join(root, id, 'state.json'), 'utf8')) as StoredStateView;
}

export async function ociState(root: string, id: string): Promise<{ status: string; pid: number }> {
  const r = await tsrun(['--root', root, 'state', id]);
  if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

export async function waitForStatus(root: string, id: string, status: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await ociState(root, id);
    if (s.status === status) return;
    if (Date.now() > deadline) throw new Error(`${id}: still ${s.status}, expected ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function forceDelete(root: string, id: string): Promise<void> {
  const r = await tsrun(['--root', root, 'delete', '--force', id]);
  if (r.code !== 0) throw new Error(`delete --force ${id}: ${r.stderr}`);
}

/** The container's v1 freezer directory (hybrid/v1 hosts), if any. */
export function freezerDir(root: string, id: string): string | undefined {
  return storedState(root, id).cgroup.hierarchies.find((h) => h.controllers.includes('freezer'))?.dir;
}

/**
 * Freeze or thaw the container's cgroup behind tsrun's back, as another tool
 * would: the v1 freezer where the host has one, else cgroup.freeze of the
 * cgroup2 directory (key '').
 */
export function setFrozen(root: string, id: string, frozen: boolean): void {
  const v1 = freezerDir(root, id);
  if (v1) {
    fs.writeFileSync(path.join(v1, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
    return;
  }
  const unified = storedState(root, id).cgroup.hierarchies.find((h) => h.key === '');
  if (!unified) throw new Error(`container ${id} has neither a v1 freezer nor a cgroup2 directory`);
  fs.writeFileSync(path.join(unified.dir, 'cgroup.freeze'), frozen ? '1' : '0');
}

/** Is `pid` still running (not gone, not a zombie)? */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
