// uid_map/gid_map of a new user namespace, written by tsrun (outside it).
import * as fs from 'node:fs';
import type { IdMapping } from '../../oci-spec';
import { fromNodeError } from '../errors';

export function idMapText(mappings: readonly IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

export function writeIdMaps(pid: number, uid: readonly IdMapping[], gid: readonly IdMapping[], containerId: string): void {
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
