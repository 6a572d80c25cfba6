// Compiled filters kept on disk, keyed by everything that decides the BPF:
// the normalised profile, the addon's compiler revision, libseccomp's
// version, the kernel's seccomp support and release, the CPU architecture.
// libseccomp needs ~30 ms for Docker's profile with three ABIs; engines send
// the same profile for every container, so a hit saves nearly all of it
// (crun keeps such a cache too).
//
// A cached filter is as trusted as the code that loads it, so the directory
// must belong to us and be writable by nobody else; otherwise it is ignored.
import type * as Crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompiledSeccomp, NativeSeccompProfile, SeccompInfo } from '../native';

const FORMAT = 1;

export function cacheKey(profile: NativeSeccompProfile, info: SeccompInfo): string {
  const material = JSON.stringify(
    {
      format: FORMAT,
      compiler: info.compilerRevision,
      libseccomp: info.libseccompVersion,
      kernel: os.release(),
      arch: process.arch,
      actions: info.actions,
      flags: info.flags,
      profile,
    },
    (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v),
  );
  // loaded here, not at the top: ~6 ms, paid only when the config has a filter
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof Crypto;
  return createHash('sha256').update(material).digest('hex');
}

/** Whether dir is ours and closed to others (creating it 0700 if missing). */
function usableDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = process.geteuid?.() ?? 0;
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function isCompiled(v: unknown): v is { filter: string; flags: number; warnings: CompiledSeccomp['warnings']; unknownSyscalls: string[] } {
  const o = v as Record<string, unknown>;
  return (
    !!o &&
    typeof o.filter === 'string' &&
    typeof o.flags === 'number' &&
    Array.isArray(o.warnings) &&
    Array.isArray(o.unknownSyscalls)
  );
}

export function readCached(dir: string, key: string): CompiledSeccomp | undefined {
  if (!usableDir(dir)) return undefined;
  try {
    const v: unknown = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8'));
    if (!isCompiled(v)) return undefined;
    const filter = Buffer.from(v.filter, 'base64');
    if (filter.length === 0 || filter.length % 8 !== 0 || filter.length > 4096 * 8) return undefined;
    return { filter, flags: v.flags, warnings: v.warnings, unknownSyscalls: v.unknownSyscalls };
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only costs the next compile. */
export function writeCached(dir: string, key: string, c: CompiledSeccomp): void {
  if (!usableDir(dir)) return;
  const file = path.join(dir, `${key}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const body = JSON.stringify({ ...c, filter: c.filter.toString('base64') });
    fs.writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
