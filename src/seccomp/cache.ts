// Compiled filters kept on disk, keyed by everything that decides the BPF:
// the normalised profile, the addon's compiler revision, libseccomp's
// version, the kernel's seccomp support and release, the CPU architecture.
// libseccomp needs ~30 ms for Docker's profile with three ABIs; engines send
// the same profile for every container, so a hit saves nearly all of it
// (crun keeps such a cache too).
//
// A cached filter is as trusted as the code that loads it, so the directory
// must belong to us and be writable by nobody else; otherwise it is ignored.
//
// An entry is named by a 64-bit FNV-1a hash of its key and stores the key
// itself; it is used only when the stored key matches exactly, so a name
// collision costs a recompile, never a wrong filter. (A sha256 name would
// need node:crypto, ~6 ms of start-up on every create.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompiledSeccomp, NativeSeccompProfile, SeccompInfo } from '../native';

const FORMAT = 2;

/** Everything that decides the BPF, as one string (the entry's full key). */
export function cacheKey(profile: NativeSeccompProfile, info: SeccompInfo): string {
  return JSON.stringify(
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
}

/** File name of a key's entry: FNV-1a over the UTF-16 units, two 32-bit lanes. */
function entryName(key: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}.json`;
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
    const v: unknown = JSON.parse(fs.readFileSync(path.join(dir, entryName(key)), 'utf8'));
    if (!isCompiled(v) || (v as { key?: unknown }).key !== key) return undefined;
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
  const file = path.join(dir, entryName(key));
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const body = JSON.stringify({ key, ...c, filter: c.filter.toString('base64') });
    fs.writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
