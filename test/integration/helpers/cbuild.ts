// Builds the small C programs the integration tests drive. The seccomp
// harness links tsrun's own loader sources (native/src/seccomp_load.c,
// fdpass.c, unix_addr.c), so the code the container init runs is what the kernel sees.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { testTempDir } from '../../helpers/ids';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NATIVE_SRC = path.join(ROOT, 'native', 'src');
const HELPERS = __dirname;

export interface CHelpers {
  dir: string;
  /** seccomp-harness: install a filter with tsrun's loader, then exec */
  harness: string;
  /** notify-responder: answers seccomp notifications on fd 3 */
  responder: string;
  /** nsprobe: raw syscalls for the default profile */
  nsprobe: string;
  /** fdsend: sends N fds + data to a unix socket */
  fdsend: string;
  cleanup(): void;
}

function gcc(out: string, sources: string[], extra: string[] = []): void {
  execFileSync('gcc', ['-std=gnu11', '-D_GNU_SOURCE', '-O1', '-Wall', '-Werror', `-I${NATIVE_SRC}`, ...sources, '-o', out, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function buildCHelpers(): CHelpers {
  const dir = testTempDir('seccomp');
  const h = (n: string) => path.join(HELPERS, n);
  const out = (n: string) => path.join(dir, n);
  try {
    gcc(out('harness'), [
      h('seccomp-harness.c'),
      path.join(NATIVE_SRC, 'seccomp_load.c'),
      path.join(NATIVE_SRC, 'fdpass.c'),
      path.join(NATIVE_SRC, 'unix_addr.c'),
    ]);
    gcc(out('responder'), [h('notify-responder.c')]);
    gcc(out('nsprobe'), [h('nsprobe.c')]);
    gcc(out('fdsend'), [h('fdsend.c')]);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building the C test helpers failed (gcc needed):\n${stderr}`, { cause: e });
  }
  return {
    dir,
    harness: out('harness'),
    responder: out('responder'),
    nsprobe: out('nsprobe'),
    fdsend: out('fdsend'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * escape-probe.c linked statically (glibc's libc.a), so it runs inside a
 * busybox rootfs. Built once per test process into `dir`.
 */
export function buildStaticProbe(dir: string): string {
  const out = path.join(dir, 'escape-probe');
  try {
    gcc(out, [path.join(HELPERS, 'escape-probe.c')], ['-static']);
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`building the static escape probe failed (gcc and libc6-dev needed):\n${stderr}`, { cause: e });
  }
  return out;
}

export interface StaticHelpers {
  path(name: string): string;
  cleanup(): void;
}

/** Build test/integration/helpers/<name>.c as static binaries (they run inside busybox rootfses). */
export function buildStaticHelpers(names: string[]): StaticHelpers {
  const dir = testTempDir('static');
  try {
    for (const n of names) {
      execFileSync('gcc', ['-static', '-O1', '-Wall', '-Werror', '-o', path.join(dir, n), path.join(HELPERS, `${n}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`building static test helpers failed (gcc with static libc needed): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`, { cause: e });
  }
  return { path: (n) => path.join(dir, n), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
