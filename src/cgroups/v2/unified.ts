// linux.resources.unified: cgroup v2 files written verbatim, one write per line.
import { CgroupError } from '../../errors';
import type { CgroupWrite } from '../fsio';

/** The controller a unified key belongs to: "memory.high" → "memory". */
export function unifiedKeyController(key: string): string {
  const dot = key.indexOf('.');
  return dot > 0 ? key.slice(0, dot) : '';
}

/** Why a unified key is unusable as a file name (undefined when fine). */
export function unifiedKeyProblem(key: string): string | undefined {
  if (key === '' || key.includes('/') || key.includes('\0')) return 'must be a file name in the container cgroup (no "/")';
  if (key.includes('..') || key === '.') return 'must not contain ".."';
  if (unifiedKeyController(key) === '') return 'must have the form <controller>.<file>, e.g. "memory.high"';
  return undefined;
}

/**
 * Writes for `unified`. `enabled` lists the controllers enabled for the
 * container cgroup (its cgroup.controllers); "cgroup.*" files are always there.
 */
export function unifiedWrites(unified: Record<string, string> | undefined, enabled: ReadonlySet<string>, base = 'linux.resources.unified'): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const [key, value] of Object.entries(unified ?? {})) {
    const field = `${base}[${JSON.stringify(key)}]`;
    const problem = unifiedKeyProblem(key);
    if (problem) throw new CgroupError(`${field}: ${problem}`);
    const ctrl = unifiedKeyController(key);
    if (ctrl !== 'cgroup' && !enabled.has(ctrl)) {
      throw new CgroupError(`${field}: the ${ctrl} controller is not enabled for this cgroup (enabled: ${[...enabled].join(' ') || 'none'})`);
    }
    for (const line of String(value).split('\n')) {
      if (line !== '' || value === '') out.push({ file: key, value: line, field });
    }
  }
  return out;
}
