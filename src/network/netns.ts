// The network namespace of a container that uses a network, created by tsrun
// before the container (as podman and the CRI do): attach runs on a namespace
// that exists, the container joins it by path (linux.namespaces), and it
// stays nameable by a file until detach, whatever happened to the container
// (no /proc/PID/ns/net whose pid could be reused). The namespace is made by
// util-linux unshare(1) in a child (node is multithreaded: no unshare(2) in
// it) and pinned by a bind mount on <store>/netns/<id>.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { native } from '../native';
import { NetworkError } from './errors';
import type { NetworkStore } from './store';

const MNT_DETACH = 2;

export function netnsFile(store: NetworkStore, containerId: string): string {
  return path.join(store.dir, 'netns', containerId);
}

export function createNetns(store: NetworkStore, containerId: string): string {
  const file = netnsFile(store, containerId);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, '', { mode: 0o444, flag: 'wx' });
  const r = spawnSync('unshare', [`--net=${file}`, 'true'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    fs.rmSync(file, { force: true });
    throw new NetworkError(`create the network namespace of ${containerId}: unshare --net=${file}: ${r.error?.message ?? r.stderr.trim()}`, {
      containerId,
      path: file,
    });
  }
  return file;
}

const NSFS_MAGIC = 0x6e736673;

/**
 * The file left where a namespace was never pinned (tsrun killed between the
 * record and unshare) or was unpinned by hand is removed, so the CNI DEL sees
 * a namespace that is gone (which the plugins accept) and not a plain file
 * (which they refuse: "unknown FS magic").
 */
export function dropUnpinnedNetns(store: NetworkStore, containerId: string): void {
  const file = netnsFile(store, containerId);
  try {
    if (fs.statfsSync(file).type !== NSFS_MAGIC) fs.rmSync(file, { force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Unpin and remove (the namespace goes when its last process does); nothing there is fine. */
export function removeNetns(store: NetworkStore, containerId: string): void {
  const file = netnsFile(store, containerId);
  if (!fs.existsSync(file)) return;
  native().unmount(file, MNT_DETACH);
  fs.rmSync(file, { force: true });
}
