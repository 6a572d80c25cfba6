// uid_map/gid_map of a new user namespace, written by tsrun (outside it): as
// root directly, unprivileged within what the kernel and the setuid helpers
// allow (src/rootless).
import * as fs from 'node:fs';
import type { IdMapping } from '../../oci-spec';
import { fromNodeError } from '../errors';
import { idMapText, writeRootlessIdMaps } from '../rootless/idmap';

export function writeIdMaps(pid: number, uid: readonly IdMapping[], gid: readonly IdMapping[], containerId: string): void {
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0) return writeRootlessIdMaps(pid, uid, gid, containerId, { uid: euid, gid: process.getegid?.() ?? 0 });
  for (const [file, maps] of [
    ['uid_map', uid],
    ['gid_map', gid],
  ] as const) {
    const p = `/proc/${pid}/${file}`;
    try {
      fs.writeFileSync(p, idMapText(maps));
    } catch (err) {
      throw fromNodeError(`write ${file} of the user namespace`, err, { containerId, path: p });
    }
  }
}
