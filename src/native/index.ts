// The one typed facade over the C addon. Everything that needs the kernel beyond
// what Node offers goes through `Native`; orchestration code takes a `Native`
// parameter (defaulting to the real addon) so it can be unit-tested without root.
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { InitPlan } from './plan';

export interface Native {
  /** flock(2); returns false only when nonblocking and the lock is held elsewhere */
  flock(fd: number, exclusive: boolean, nonblocking: boolean): boolean;
  /** mkfifo(3) with exactly `mode` (umask not applied) */
  mkfifo(path: string, mode: number): void;

  /** fork stage 1 of a container init carrying out `plan` (see plan.ts) */
  spawnInit(plan: InitPlan): { pid: number; syncFd: number };
  /** one message from the child; null when it closed its end (exited) */
  syncRecv(fd: number): SyncMessage | null;
  syncSend(fd: number, type: number, value: number, text: string): void;
  /** waitpid(2); null when noHang and the child is still running */
  waitPid(pid: number, noHang: boolean): WaitResult | null;
  /** waitpid(2) of one child on a worker thread */
  waitPidAsync(pid: number): Promise<WaitResult>;
  setChildSubreaper(on: boolean): void;
  /** connect a SOCK_SEQPACKET unix socket (paths longer than sun_path work) */
  connectSeqpacket(path: string): number;
  closeFd(fd: number): void;
}

export interface SyncMessage {
  type: number;
  value: number;
  /** errno reported by the child (0: none) */
  err: number;
  text: string;
}

export interface WaitResult {
  pid: number;
  exitCode: number | null;
  signal: number | null;
}

let loaded: Native | undefined;

/** Load the addon on first use (tsrun state must not pay for what it does not need). */
export function native(): Native {
  if (!loaded) loaded = require(addonPath()) as Native;
  return loaded;
}

/** Replace the addon (tests only). */
export function setNativeForTests(n: Native | undefined): void {
  loaded = n;
}

function addonPath(): string {
  // src/native (vitest) and dist/src/native (built) both sit below the project root
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'native', 'build', 'Release', 'tsrun.node');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('tsrun native addon not found: run `npm run build:native`');
}
