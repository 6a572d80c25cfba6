// -v, --mount and --tmpfs as Docker reads them, into VolumeSpecs. Pure.
import * as path from 'node:path';
import { UsageError } from '../../errors';
import type { VolumeSpec } from './types';

/** Docker's volume name rule */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function target(flag: string, raw: string, t: string | undefined): string {
  if (!t || !path.isAbsolute(t)) throw new UsageError(`${flag} ${raw}: the container path must be absolute`);
  if (t.includes('\0') || t.split('/').includes('..')) throw new UsageError(`${flag} ${raw}: the container path must not contain '..'`);
  return path.posix.normalize(t);
}

function access(flag: string, raw: string, mode: string | undefined): boolean {
  if (mode === undefined || mode === '') return false;
  const opts = mode.split(',');
  for (const o of opts) if (!['ro', 'rw', 'z', 'Z'].includes(o)) throw new UsageError(`${flag} ${raw}: unknown mode ${JSON.stringify(o)} (ro or rw)`);
  return opts.includes('ro');
}

/** `-v NAME:/dst[:ro]`, `-v /host:/dst[:ro]`, `-v /dst`; host paths relative to cwd are Docker's error too */
export function parseVolumeFlag(raw: string): VolumeSpec {
  const parts = raw.split(':');
  if (parts.length === 1) return { kind: 'anonymous', target: target('-v', raw, parts[0]), readonly: false };
  if (parts.length > 3) throw new UsageError(`-v ${raw}: expected SOURCE:DESTINATION[:ro]`);
  const [src, dst, mode] = parts as [string, string, string | undefined];
  const readonly = access('-v', raw, mode);
  if (path.isAbsolute(src)) return { kind: 'bind', source: path.normalize(src), target: target('-v', raw, dst), readonly };
  if (!VOLUME_NAME.test(src)) {
    throw new UsageError(`-v ${raw}: "${src}" is not a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+) nor an absolute host path`);
  }
  return { kind: 'named', name: src, target: target('-v', raw, dst), readonly };
}

/** `--mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=…][,tmpfs-mode=…]` */
export function parseMountFlag(raw: string): VolumeSpec {
  const kv = new Map<string, string>();
  for (const field of raw.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim();
    const value = eq < 0 ? 'true' : field.slice(eq + 1);
    kv.set({ src: 'source', dst: 'target', destination: 'target', ro: 'readonly' }[key] ?? key, value);
  }
  const known = new Set(['type', 'source', 'target', 'readonly', 'tmpfs-size', 'tmpfs-mode']);
  for (const k of kv.keys()) if (!known.has(k)) throw new UsageError(`--mount ${raw}: unknown field ${JSON.stringify(k)}`);
  const readonly = kv.has('readonly') && kv.get('readonly') !== 'false' && kv.get('readonly') !== '0';
  const dst = target('--mount', raw, kv.get('target'));
  const src = kv.get('source');
  switch (kv.get('type') ?? 'volume') {
    case 'bind':
      if (!src || !path.isAbsolute(src)) throw new UsageError(`--mount ${raw}: a bind mount needs an absolute source`);
      return { kind: 'bind', source: path.normalize(src), target: dst, readonly };
    case 'volume':
      if (!src) return { kind: 'anonymous', target: dst, readonly };
      if (!VOLUME_NAME.test(src)) throw new UsageError(`--mount ${raw}: "${src}" is not a volume name`);
      return { kind: 'named', name: src, target: dst, readonly };
    case 'tmpfs': {
      if (src) throw new UsageError(`--mount ${raw}: a tmpfs takes no source`);
      const options = ['nosuid', 'nodev'];
      const size = kv.get('tmpfs-size');
      const mode = kv.get('tmpfs-mode');
      if (size !== undefined) {
        if (!/^\d+[kmg]?$/i.test(size)) throw new UsageError(`--mount ${raw}: tmpfs-size ${JSON.stringify(size)} is not a size`);
        options.push(`size=${size}`);
      }
      if (mode !== undefined) {
        if (!/^[0-7]{3,4}$/.test(mode)) throw new UsageError(`--mount ${raw}: tmpfs-mode ${JSON.stringify(mode)} is not an octal mode`);
        options.push(`mode=${mode}`);
      }
      if (readonly) options.push('ro');
      return { kind: 'tmpfs', target: dst, options };
    }
    default:
      throw new UsageError(`--mount ${raw}: type must be bind, volume or tmpfs`);
  }
}

const TMPFS_OPTIONS = /^(ro|rw|nosuid|suid|nodev|dev|noexec|exec|size=\d+[kmg%]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+[kmg]?)$/i;

/** `--tmpfs /dst[:opt,opt]`: Docker's defaults noexec,nosuid,nodev */
export function parseTmpfsFlag(raw: string): VolumeSpec {
  const colon = raw.indexOf(':');
  const dst = target('--tmpfs', raw, colon < 0 ? raw : raw.slice(0, colon));
  const extra = colon < 0 ? [] : raw.slice(colon + 1).split(',').filter(Boolean);
  for (const o of extra) if (!TMPFS_OPTIONS.test(o)) throw new UsageError(`--tmpfs ${raw}: unknown option ${JSON.stringify(o)}`);
  return { kind: 'tmpfs', target: dst, options: ['noexec', 'nosuid', 'nodev', ...extra] };
}

/** Docker's --env-file: KEY=VALUE lines, `KEY` alone takes the caller's value, # comments */
export function parseEnvFile(file: string, text: string, callerEnv: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/^\s+/, '').replace(/\r$/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    if (!key || /\s/.test(key)) throw new UsageError(`--env-file ${file}: line ${i + 1}: variable name ${JSON.stringify(key)} contains whitespace or is empty`);
    if (eq >= 0) out.push(line);
    else if (callerEnv[key] !== undefined) out.push(`${key}=${callerEnv[key]}`);
  });
  return out;
}
