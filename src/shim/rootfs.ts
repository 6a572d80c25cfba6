// The rootfs containerd hands over in Create: a list of mounts (an overlay of
// the snapshot's layers, or a bind of one directory) to stack on
// <bundle>/rootfs, as containerd's mount.Mount does. Unmounted again on
// Delete, and by the cleanup of a dead shim.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromNodeError, TsrunError } from '../errors';
import type { Native } from '../native';
import { MS } from '../native/linux-constants';
import { parseMountOptions } from '../rootfs/mount-options';
import type { Mount } from './proto/messages';

/** mount(2) takes one page of options; containerd shortens overlay's lowerdirs below this. */
const PAGE_SIZE = 4096;
const MNT_DETACH = 2;
const BUSY_RETRIES = 50;

export interface MountCall {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
  /** run mount(2) from this directory (relative lowerdirs); "" = no chdir */
  chdir: string;
}

/**
 * Overlay options over a page: the lowerdirs share a long parent directory;
 * mount from there with relative names (containerd's compactLowerdirOption).
 */
export function compactLowerdirs(options: readonly string[]): { chdir: string; options: string[] } {
  const i = options.findIndex((o) => o.startsWith('lowerdir='));
  if (i < 0) return { chdir: '', options: [...options] };
  const dirs = options[i]!.slice('lowerdir='.length).split(':');
  if (dirs.length < 2) return { chdir: '', options: [...options] };
  let common = path.dirname(dirs[0]!);
  for (const d of dirs) while (common !== '/' && !d.startsWith(`${common}/`)) common = path.dirname(common);
  if (common === '/') return { chdir: '', options: [...options] };
  const out = [...options];
  out[i] = `lowerdir=${dirs.map((d) => path.relative(common, d)).join(':')}`;
  return { chdir: common, options: out };
}

/** The mount(2) calls for one containerd mount onto `target`, in order. */
export function mountCalls(m: Pick<Mount, 'type' | 'source' | 'options'>, target: string): MountCall[] {
  let chdir = '';
  let options = m.options;
  if (m.type === 'overlay' && options.join(',').length >= PAGE_SIZE - 512) ({ chdir, options } = compactLowerdirs(options));
  const o = parseMountOptions(options);
  if (o.data.length > PAGE_SIZE) throw new TsrunError(`rootfs mount ${m.type} ${m.source}: mount options are too long`);
  const bind = (o.bind ? MS.BIND : 0) | (o.recursiveBind ? MS.REC : 0);
  const calls: MountCall[] = [];
  if (!(o.flags & MS.REMOUNT) || o.data !== '') {
    calls.push({ source: m.source, target, fstype: m.type, flags: o.flags | bind, data: o.data, chdir });
  }
  for (const p of o.propagation) calls.push({ source: '', target, fstype: '', flags: p, data: '', chdir: '' });
  if (o.bind && o.flags & MS.RDONLY) {
    calls.push({ source: '', target, fstype: '', flags: o.flags | bind | MS.REMOUNT, data: '', chdir: '' });
  }
  return calls;
}

/** Mount every layer of the rootfs on <bundle>/rootfs; on failure, unmount what was mounted. */
export function mountRootfs(n: Pick<Native, 'mount' | 'unmount'>, mounts: readonly Mount[], target: string): void {
  try {
    fs.mkdirSync(target, { mode: 0o711 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromNodeError('create the rootfs directory', err, { path: target });
  }
  try {
    for (const m of mounts) {
      for (const c of mountCalls(m, target)) {
        try {
          n.mount(c.source, c.target, c.fstype, c.flags, c.data, c.chdir);
        } catch (err) {
          throw fromNodeError(`mount the rootfs (${m.type} ${m.source})`, err, { path: target });
        }
      }
    }
  } catch (err) {
    unmountAll(n, target);
    throw err;
  }
}

/** Unmount everything stacked on `target` (containerd's UnmountAll); a busy mount is retried, then detached. */
export function unmountAll(n: Pick<Native, 'unmount'>, target: string): void {
  let busy = 0;
  for (;;) {
    try {
      if (!n.unmount(target, 0)) return;
      busy = 0;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY' && busy++ < BUSY_RETRIES) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      if (code === 'EBUSY') {
        n.unmount(target, MNT_DETACH);
        continue;
      }
      throw fromNodeError('unmount the rootfs', err, { path: target });
    }
  }
}
