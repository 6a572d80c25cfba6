// What the rootfs holds at the mount point of each proc and sysfs mount,
// looked at before any side effect so that create refuses a symlink there
// with the JSON path (config-checks: checkSpecialMountTargets). The init
// checks again when it mounts (native/src/rootfs.c), since the rootfs may
// change in between, and resolves the path inside the rootfs, which this
// walk does not try to: it stops at a symlink on the way.
import fs from 'node:fs';
import path from 'node:path';
import type { Mount } from '../../oci-spec';

/** mount index -> "a symlink" | "not a directory", for proc/sysfs mounts whose target is not a directory. */
export function inspectSpecialMountTargets(rootfs: string, mounts: readonly Mount[]): Map<number, string> {
  const out = new Map<number, string>();
  mounts.forEach((m, i) => {
    if ((m.type !== 'proc' && m.type !== 'sysfs') || !m.destination) return;
    const parts = path.posix.normalize(`/${m.destination}`).split('/').filter(Boolean);
    let cur = rootfs;
    for (const [j, part] of parts.entries()) {
      cur = path.join(cur, part);
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(cur, { throwIfNoEntry: false });
      } catch {
        return; // ENOTDIR, EACCES: the init reports it when it mounts
      }
      if (!st) return; // missing: the init makes a directory there
      const last = j === parts.length - 1;
      if (last && st.isSymbolicLink()) out.set(i, 'a symlink');
      else if (last && !st.isDirectory()) out.set(i, 'not a directory');
      if (!st.isDirectory()) return;
    }
  });
  return out;
}
