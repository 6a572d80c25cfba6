// linux.cgroupsPath → the container's directory in every hierarchy.
//
//   absolute "/a/b": below each hierarchy's mount point (runc, crun).
//   relative "a/b":  v2: below the *parent* of the runtime's own cgroup (runc's
//                    fs2 rule: the caller's own cgroup may hold processes, and a
//                    sibling keeps the no-internal-process rule intact).
//                    v1 and hybrid: below the caller's own cgroup in each
//                    hierarchy, the unified tree included (runc's fs rule).
//   empty:           the relative path "<container id>" (runc).
// ".." can never climb above the hierarchy root: paths are cleaned like runc does.
import * as path from 'node:path';
import { CgroupError } from '../errors';
import type { CgroupHost } from './detect';

/** One hierarchy the container is in: key as in /proc/<pid>/cgroup ("" = cgroup2). */
export interface HierarchyDir {
  key: string;
  /** controllers of a v1 hierarchy; for cgroup2 the empty list */
  controllers: string[];
  mountpoint: string;
  /** absolute host path of the container's cgroup directory */
  dir: string;
}

/** runc's cleaning: absolute paths are normalised, relative ones cannot escape upwards. */
export function cleanCgroupsPath(p: string): string {
  if (p === '') return '';
  if (p.startsWith('/')) return path.posix.normalize(p).replace(/(.)\/$/, '$1');
  const rooted = path.posix.normalize('/' + p);
  return rooted === '/' ? '' : rooted.slice(1).replace(/\/$/, '');
}

/** Where the container's cgroup lives in each hierarchy of `host`. */
export function resolveCgroupDirs(host: CgroupHost, cgroupsPath: string | undefined, containerId: string): HierarchyDir[] {
  let inner = cleanCgroupsPath(cgroupsPath ?? '');
  if (inner === '') inner = cleanCgroupsPath(containerId);
  if (inner === '' || inner === '/') {
    throw new CgroupError(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath ?? '')} names the root cgroup; a container needs its own`, { containerId });
  }
  const absolute = inner.startsWith('/');
  const out: HierarchyDir[] = [];
  for (const h of host.v1) {
    const base = absolute ? '/' : host.own[h.key] ?? '/';
    out.push({ key: h.key, controllers: h.controllers, mountpoint: h.mountpoint, dir: path.posix.join(h.mountpoint, base, inner) });
  }
  if (host.unified) {
    let base = '/';
    if (!absolute) {
      const own = host.own[''] ?? '/';
      base = host.layout === 'v2' ? path.posix.dirname(own) : own;
    }
    out.push({ key: '', controllers: [], mountpoint: host.unified.mountpoint, dir: path.posix.join(host.unified.mountpoint, base, inner) });
  }
  if (out.length === 0) throw new CgroupError('no cgroup hierarchy is mounted on this host', { containerId });
  return out;
}
