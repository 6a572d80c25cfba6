// The uid_map/gid_map of a rootless container's user namespace. A writer
// without privilege may map only its own uid (and gid), one id each, and may
// write gid_map only once setgroups is denied in that namespace
// (user_namespaces(7)); any other mapping (a range from /etc/subuid and
// /etc/subgid) goes through the setuid helpers newuidmap/newgidmap, which
// check it against those files, as runc and podman do.
import type * as ChildProcess from 'node:child_process';
import * as fs from 'node:fs';
import type { IdMapping } from '../../oci-spec';
import { fromNodeError, TsrunError } from '../errors';

type MapKind = 'uid' | 'gid';

const HELPER: Record<MapKind, string> = { uid: 'newuidmap', gid: 'newgidmap' };
const RANGES_FILE: Record<MapKind, string> = { uid: '/etc/subuid', gid: '/etc/subgid' };

export function idMapText(mappings: readonly IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** One id, the caller's own: what the kernel lets an unprivileged process write itself. */
export function isOwnIdOnly(mappings: readonly IdMapping[], ownId: number): boolean {
  return mappings.length === 1 && mappings[0]!.hostID === ownId && mappings[0]!.size === 1;
}

/** newuidmap/newgidmap arguments: the pid, then "inside outside count" per mapping. */
export function helperArgs(pid: number, mappings: readonly IdMapping[]): string[] {
  return [String(pid), ...mappings.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
}

function writeProcFile(pid: number, name: string, text: string, containerId: string): void {
  const p = `/proc/${pid}/${name}`;
  try {
    fs.writeFileSync(p, text);
  } catch (err) {
    throw fromNodeError(`write ${name} of the user namespace`, err, { containerId, path: p });
  }
}

function runHelper(kind: MapKind, pid: number, mappings: readonly IdMapping[], containerId: string): void {
  const helper = HELPER[kind];
  try {
    // loaded here, not at the top: node:child_process (with net and streams) costs every other command ~3 ms
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFileSync } = require('node:child_process') as typeof ChildProcess;
    execFileSync(helper, helperArgs(pid, mappings), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; status?: number };
    const why = e.code === 'ENOENT' ? `${helper} is not installed (Debian: apt-get install uidmap)` : (e.stderr ?? '').trim() || `exit status ${e.status}`;
    throw new TsrunError(
      `rootless: linux.${kind}Mappings ${JSON.stringify(idMapText(mappings).trim().split('\n'))} need ${helper} and ranges of this user in ${RANGES_FILE[kind]}: ${why}`,
      { containerId, cause: err },
    );
  }
}

/**
 * Map the user namespace of `pid` as an unprivileged user: the own id directly
 * (setgroups denied first for the gid map), anything else through the helpers.
 */
export function writeRootlessIdMaps(pid: number, uid: readonly IdMapping[], gid: readonly IdMapping[], containerId: string, own: { uid: number; gid: number }): void {
  if (isOwnIdOnly(uid, own.uid)) writeProcFile(pid, 'uid_map', idMapText(uid), containerId);
  else runHelper('uid', pid, uid, containerId);
  if (isOwnIdOnly(gid, own.gid)) {
    writeProcFile(pid, 'setgroups', 'deny', containerId);
    writeProcFile(pid, 'gid_map', idMapText(gid), containerId);
  } else {
    runHelper('gid', pid, gid, containerId);
  }
}
