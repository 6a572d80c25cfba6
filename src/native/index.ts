// The one typed facade over the C addon. Everything that needs the kernel beyond
// what Node offers goes through `Native`; orchestration code takes a `Native`
// parameter (defaulting to the real addon) so it can be unit-tested without root.
import * as path from 'node:path';
import * as fs from 'node:fs';

export interface Native {
  /** flock(2); returns false only when nonblocking and the lock is held elsewhere */
  flock(fd: number, exclusive: boolean, nonblocking: boolean): boolean;
  /** mkfifo(3) with exactly `mode` (umask not applied) */
  mkfifo(path: string, mode: number): void;
  /**
   * cgroup v2 device filter: BPF_PROG_LOAD `insns` (struct bpf_insn[], see
   * src/cgroups/v2/devices-ebpf.ts) as BPF_PROG_TYPE_CGROUP_DEVICE, attach it to
   * the cgroup dir with BPF_F_ALLOW_MULTI, then detach the device programs that
   * were attached before. Errors carry .syscall ("bpf(BPF_PROG_LOAD)", ...) and,
   * for a rejected program, .verifierLog.
   */
  loadDeviceFilter(cgroupPath: string, insns: Buffer): void;
  /** ids of the BPF_CGROUP_DEVICE programs attached to a cgroup v2 dir */
  queryDeviceFilters(cgroupPath: string): number[];
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
