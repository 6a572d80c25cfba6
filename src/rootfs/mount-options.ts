// OCI mount options -> mount(2) flags, fs data, propagation and mount_setattr
// attributes. Pure; the C side only executes the result.
import { MS, MOUNT_ATTR } from '../native/linux-constants';

export interface ParsedMountOptions {
  bind: boolean;
  recursiveBind: boolean;
  /** MS_* flags other than bind/propagation */
  flags: number;
  /** comma-joined fs-specific options */
  data: string;
  /** MS_SHARED|... (| MS_REC), in order */
  propagation: number[];
  recursiveAttrSet: number;
  recursiveAttrClr: number;
}

// option -> [set flag, clear flag]
const FLAG_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { clear: MS.NOEXEC },
  sync: { set: MS.SYNCHRONOUS },
  async: { clear: MS.SYNCHRONOUS },
  dirsync: { set: MS.DIRSYNC },
  remount: { set: MS.REMOUNT },
  mand: { set: MS.MANDLOCK },
  nomand: { clear: MS.MANDLOCK },
  atime: { clear: MS.NOATIME },
  noatime: { set: MS.NOATIME },
  diratime: { clear: MS.NODIRATIME },
  nodiratime: { set: MS.NODIRATIME },
  relatime: { set: MS.RELATIME },
  norelatime: { clear: MS.RELATIME },
  strictatime: { set: MS.STRICTATIME },
  nostrictatime: { clear: MS.STRICTATIME },
  lazytime: { set: MS.LAZYTIME },
  nolazytime: { clear: MS.LAZYTIME },
  silent: { set: MS.SILENT },
  loud: { clear: MS.SILENT },
  nosymfollow: { set: MS.NOSYMFOLLOW },
  symfollow: { clear: MS.NOSYMFOLLOW },
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

// recursive (mount_setattr AT_RECURSIVE) options -> [set, clear]
const RECURSIVE_OPTIONS: Record<string, { set?: number; clear?: number }> = {
  rro: { set: MOUNT_ATTR.RDONLY },
  rrw: { clear: MOUNT_ATTR.RDONLY },
  rnosuid: { set: MOUNT_ATTR.NOSUID },
  rsuid: { clear: MOUNT_ATTR.NOSUID },
  rnodev: { set: MOUNT_ATTR.NODEV },
  rdev: { clear: MOUNT_ATTR.NODEV },
  rnoexec: { set: MOUNT_ATTR.NOEXEC },
  rexec: { clear: MOUNT_ATTR.NOEXEC },
  rnodiratime: { set: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clear: MOUNT_ATTR.NODIRATIME },
  rrelatime: { set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MASK },
  rnorelatime: { clear: MOUNT_ATTR.ATIME_MASK },
  rnoatime: { set: MOUNT_ATTR.NOATIME },
  ratime: { clear: MOUNT_ATTR.ATIME_MASK },
  rstrictatime: { set: MOUNT_ATTR.STRICTATIME },
  rnostrictatime: { clear: MOUNT_ATTR.ATIME_MASK },
  rnosymfollow: { set: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clear: MOUNT_ATTR.NOSYMFOLLOW },
};

/** MS_* propagation flags of "rprivate", "shared", ...; undefined for anything else. */
export function propagationFlag(name: string): number | undefined {
  return PROPAGATION_OPTIONS[name];
}

/** Options tsrun recognises (for `tsrun features`). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [
  'bind', 'rbind',
  ...Object.keys(FLAG_OPTIONS),
  ...Object.keys(PROPAGATION_OPTIONS),
  ...Object.keys(RECURSIVE_OPTIONS),
].sort();

/** Options that need a kernel feature tsrun does not use yet. */
const UNSUPPORTED = new Set(['idmap', 'ridmap']);

export class MountOptionError extends Error {}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const out: ParsedMountOptions = {
    bind: false,
    recursiveBind: false,
    flags: 0,
    data: '',
    propagation: [],
    recursiveAttrSet: 0,
    recursiveAttrClr: 0,
  };
  const data: string[] = [];
  for (const opt of options) {
    if (opt === 'bind' || opt === 'rbind') {
      out.bind = true;
      if (opt === 'rbind') out.recursiveBind = true;
      continue;
    }
    const flag = FLAG_OPTIONS[opt];
    if (flag) {
      if (flag.set) out.flags |= flag.set;
      if (flag.clear) out.flags &= ~flag.clear;
      continue;
    }
    const prop = PROPAGATION_OPTIONS[opt];
    if (prop !== undefined) {
      out.propagation.push(prop);
      continue;
    }
    const rec = RECURSIVE_OPTIONS[opt];
    if (rec) {
      if (rec.set !== undefined) {
        out.recursiveAttrSet |= rec.set;
        out.recursiveAttrClr &= ~rec.set;
      }
      if (rec.clear !== undefined) {
        out.recursiveAttrClr |= rec.clear;
        out.recursiveAttrSet &= ~rec.clear;
      }
      continue;
    }
    if (UNSUPPORTED.has(opt)) throw new MountOptionError(`mount option "${opt}" is not supported`);
    // anything else is for the filesystem itself (size=, mode=, gid=, newinstance, ...)
    data.push(opt);
  }
  out.data = data.join(',');
  return out;
}
