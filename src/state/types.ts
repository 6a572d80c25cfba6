import type { Config } from '../../oci-spec';
import type { CgroupDescriptor } from '../cgroups/manager';
// What tsrun keeps in <root>/<id>/state.json. Everything `state`, `list`,
// `kill`, `delete` and `exec` need later comes from here, because config.json
// edits after create must have no effect.

/** Bump when the layout changes incompatibly; readers refuse newer formats. */
export const STATE_FORMAT_VERSION = 1;

export interface StoredState {
  /** layout version of this file (STATE_FORMAT_VERSION) */
  formatVersion: number;
  id: string;
  /** host pid of the container's init */
  initPid: number;
  /** /proc/<initPid>/stat field 22 at create time: guards against PID reuse */
  initStartTime: number;
  /** absolute bundle directory */
  bundle: string;
  /** absolute root filesystem path */
  rootfs: string;
  /** RFC 3339 (nanoseconds, UTC) creation time, as runc prints it */
  created: string;
  /** the `owner` printed by `state`; "" for root, as runc */
  owner: string;
  /** config.json annotations */
  annotations: Record<string, string>;
  /** the full OCI config as loaded at create */
  config: Config;
  /** the cgroup manager's descriptor (loadCgroupManager rebuilds it) */
  cgroup: CgroupDescriptor;
  /** a delete/cleanup step failed; the container is reported as dead */
  cleanupFailed?: boolean;
  /** created with --no-new-keyring: exec'd processes keep the caller's session keyring too */
  noNewKeyring?: boolean;
}

/** Files inside a container's state directory. */
export const STATE_FILE = 'state.json';
export const LOCK_FILE = '.lock';
/**
 * The init's start FIFOs (made by the init's first stage): present while the
 * init waits for `start`, which writes a byte to START_FIFO and reads the
 * init's error, or EOF once it has exec'd, from START_REPLY.
 */
export const START_FIFO = 'start.fifo';
export const START_REPLY = 'start.reply';
/**
 * <root>/:seccomp-cache holds compiled seccomp filters. ':' never occurs in a
 * container id, so no container can be named like it and `list` skips it.
 */
export const SECCOMP_CACHE_DIR = ':seccomp-cache';
