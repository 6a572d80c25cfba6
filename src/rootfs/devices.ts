// /dev contents: the default device nodes (runtime-linux.md), linux.devices,
// and the standard symlinks. Pure.
import type { Device } from '../../oci-spec';
import type { DevicePlan, SymlinkPlan } from '../native/plan';
import { S_IFBLK, S_IFCHR, S_IFIFO } from '../native/linux-constants';

const DEFAULT_DEVICES: readonly DevicePlan[] = [
  { path: '/dev/null', fileType: S_IFCHR, major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', fileType: S_IFCHR, major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', fileType: S_IFCHR, major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', fileType: S_IFCHR, major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', fileType: S_IFCHR, major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', fileType: S_IFCHR, major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
];

const FILE_TYPE: Record<string, number> = { c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO };

function devicePlan(d: Device): DevicePlan {
  return {
    path: d.path,
    fileType: FILE_TYPE[d.type] ?? S_IFCHR,
    major: Number(d.major ?? 0),
    minor: Number(d.minor ?? 0),
    mode: d.fileMode ?? 0o666,
    uid: d.uid ?? 0,
    gid: d.gid ?? 0,
  };
}

/** Defaults first, then the config's devices (a config entry replaces a default at the same path). */
export function plannedDevices(configDevices: readonly Device[] = []): DevicePlan[] {
  const byPath = new Map<string, DevicePlan>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, d);
  for (const d of configDevices) byPath.set(d.path, devicePlan(d));
  return [...byPath.values()];
}

export function devSymlinks(hostHasKcore: boolean): SymlinkPlan[] {
  const links: SymlinkPlan[] = [
    { target: '/proc/self/fd', linkPath: '/dev/fd' },
    { target: '/proc/self/fd/0', linkPath: '/dev/stdin' },
    { target: '/proc/self/fd/1', linkPath: '/dev/stdout' },
    { target: '/proc/self/fd/2', linkPath: '/dev/stderr' },
    { target: 'pts/ptmx', linkPath: '/dev/ptmx' },
  ];
  if (hostHasKcore) links.push({ target: '/proc/kcore', linkPath: '/dev/core' });
  return links;
}
