// Running real containers from tests: bundles whose process is a shell
// script, the kernel's view of a process (/proc/<pid>/status), and polling.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { deepMerge, makeBundle, type Bundle, type SpecDoc, type SpecOverride } from './bundle';
import { makeTestRoot, PROCESS_TAG, uniqueId } from './ids';
import { assertNoLeftovers, snapshotLeftovers, type LeftoverSnapshot } from './leftovers';
import { tsrun, type TsrunOptions, type TsrunResult } from './tsrun';

/** A bundle whose process runs `sh -c script`, after `override` is applied. */
export function shBundle(script: string, override?: SpecOverride, opts: { parent?: string } = {}): Bundle {
  return makeBundle((spec) => {
    spec.process.args = ['sh', '-c', script];
    if (typeof override === 'function') return override(spec) ?? spec;
    if (override) return deepMerge(spec, override) as SpecDoc;
    return spec;
  }, opts);
}

/** `tsrun --root root run --bundle dir id` (foreground); returns the result and the id used. */
export async function runBundle(
  root: string,
  bundle: Bundle,
  opts: TsrunOptions & { id?: string; flags?: string[] } = {},
): Promise<TsrunResult & { id: string }> {
  const id = opts.id ?? uniqueId('run');
  const r = await tsrun(['--root', root, 'run', '--bundle', bundle.dir, ...(opts.flags ?? []), id], opts);
  return { ...r, id };
}

/** Fields of /proc/<pid>/status (undefined when the process is gone). */
export function procStatus(pid: number | string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatus(text);
}

export function parseStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** The command name of a process (comm), or undefined when gone. */
export function procComm(pid: number | string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Is `pid` alive and not a zombie? */
export function isAlive(pid: number): boolean {
  const st = procStatus(pid);
  return st !== undefined && !st.State?.startsWith('Z') && !st.State?.startsWith('X');
}

/** Poll `fn` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | undefined | false | null, what: string, timeoutMs = 10_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The status JSON of `tsrun state`. */
export async function stateOf(root: string, id: string): Promise<{ status: string; pid: number } & Record<string, unknown>> {
  const r = await tsrun(['--root', root, 'state', id]);
  if (r.code !== 0) throw new Error(`tsrun state ${id} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number } & Record<string, unknown>;
}

/** Capability names -> the hex mask /proc/<pid>/status prints (16 digits). */
export function capMask(names: readonly string[]): string {
  // kernel numbering, as in linux/capability.h
  const order = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
    'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
    'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
    'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
    'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
    'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  ];
  let mask = 0n;
  for (const n of names) {
    const bit = order.indexOf(n);
    if (bit < 0) throw new Error(`unknown capability ${n}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

export interface ContainerSuite {
  /** this test file's --root */
  root: string;
  /** a scratch dir beside it */
  work: string;
  /** bundles to remove after the file's tests */
  bundles: Bundle[];
}

/**
 * A test file's state root, registered with vitest: after all its tests the
 * bundles go, and nothing may be left behind (mounts, cgroups, processes,
 * state dirs of this test process).
 */
export function containerSuite(label: string, opts: { cleanup?: () => Promise<void> | void } = {}): ContainerSuite {
  const testRoot = makeTestRoot(label);
  const suite: ContainerSuite = { root: testRoot.root, work: path.dirname(testRoot.root), bundles: [] };
  let before: LeftoverSnapshot;
  beforeAll(() => {
    before = snapshotLeftovers({ root: suite.root, match: PROCESS_TAG });
  });
  afterAll(async () => {
    await opts.cleanup?.();
    for (const b of suite.bundles) b.cleanup();
    assertNoLeftovers(before);
    testRoot.cleanup();
  });
  return suite;
}
