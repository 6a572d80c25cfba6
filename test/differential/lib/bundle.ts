// A differential case's config is written once with placeholders and made
// concrete per runtime, each in its own run directory with a fresh copy of
// the same rootfs, so neither runtime sees what the other created:
//   @RUN@    the run directory (host): bundle/, host/ (bind sources), hooks.log
//   @PROBE@  the probe on the host (host-side and createContainer hooks)
//   @ID@     the container id
//   @CG@     this suite's cgroup parent
import fs from 'node:fs';
import path from 'node:path';
import { stringifyJson } from '../../../oci-spec/json';

export const TOKENS = { run: '@RUN@', probe: '@PROBE@', id: '@ID@', cgroup: '@CG@' } as const;

export interface RunDir {
  dir: string;
  bundle: string;
  rootfs: string;
  hooksLog: string;
  /** the log container-side hooks (startContainer) append to, inside the rootfs */
  innerHooksLog: string;
}

/** in a directory anyone may write to: startContainer hooks run as the container's user */
export const INNER_HOOKS_LOG = '/hooklog/hooks.log';

/** Directory symlinks in every case's rootfs (absolute targets): configs may name a path through them. */
export const ROOTFS_DIR_LINKS: Readonly<Record<string, string>> = { '/data/link': '/data/sub' };

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n';
const GROUP = 'root:x:0:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\nuser:x:1000:\n';

/**
 * Put a file of the probe set in place: a hard link (cheap; no runtime
 * changes them), or a copy when its owner is going to change.
 */
function place(from: string, to: string, copy: boolean): void {
  if (copy) {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, fs.statSync(from).mode & 0o7777);
  } else {
    fs.linkSync(from, to);
  }
}

/** The rootfs every case starts from: the probe in /bin (and a link to it), a few files to point args and mounts at. */
function makeRootfs(rootfs: string, probe: ProbeSet, copy: boolean): void {
  for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'proc', 'sys', 'dev', 'etc', 'root', 'tmp', 'home/user', 'data/sub', 'run', 'hooklog']) {
    fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.chmodSync(path.join(rootfs, 'hooklog'), 0o1777);
  fs.chmodSync(path.join(rootfs, 'root'), 0o700);
  fs.chownSync(path.join(rootfs, 'home/user'), 1000, 1000);
  place(probe.probe, path.join(rootfs, 'bin', 'probe'), copy);
  fs.symlinkSync('probe', path.join(rootfs, 'bin', 'probe-link'));
  // executable only by its owner (root): what uid 1000 may not run
  place(probe.rootOnly, path.join(rootfs, 'usr', 'local', 'bin', 'probe-root-only'), copy);
  fs.writeFileSync(path.join(rootfs, 'bin', 'not-executable'), 'plain text\n', { mode: 0o644 });
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), PASSWD);
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), GROUP);
  fs.writeFileSync(path.join(rootfs, 'etc', 'hostname'), 'image\n');
  fs.writeFileSync(path.join(rootfs, 'data', 'file'), 'data\n');
  fs.writeFileSync(path.join(rootfs, 'data', 'sub', 'file'), 'sub\n');
  for (const [link, target] of Object.entries(ROOTFS_DIR_LINKS)) fs.symlinkSync(target, path.join(rootfs, link));
}

/** Bind-mount sources on the host side. */
function makeHostDir(dir: string): void {
  fs.mkdirSync(path.join(dir, 'dir', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dir', 'a'), 'a\n');
  fs.writeFileSync(path.join(dir, 'dir', 'sub', 'b'), 'b\n');
  fs.writeFileSync(path.join(dir, 'file'), 'file\n');
}

/** The probe (0755) and a copy only root may execute (0700), made once per suite. */
export interface ProbeSet {
  probe: string;
  rootOnly: string;
}

export function probeSet(probe: string, dir: string): ProbeSet {
  const set = { probe: path.join(dir, 'probe'), rootOnly: path.join(dir, 'probe-root-only') };
  fs.copyFileSync(probe, set.probe);
  fs.chmodSync(set.probe, 0o755);
  fs.copyFileSync(probe, set.rootOnly);
  fs.chmodSync(set.rootOnly, 0o700);
  return set;
}

/** A run directory; `copy`: the rootfs gets copies, not links (its owners are going to be shifted). */
export function prepareRunDir(dir: string, probe: ProbeSet, copy = false): RunDir {
  const bundle = path.join(dir, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  makeRootfs(rootfs, probe, copy);
  makeHostDir(path.join(dir, 'host'));
  // what a hook with a relative path finds in the runtime's cwd (the bundle)
  place(probe.probe, path.join(bundle, 'probe-hook'), false);
  return { dir, bundle, rootfs, hooksLog: path.join(dir, 'hooks.log'), innerHooksLog: path.join(rootfs, INNER_HOOKS_LOG.slice(1)) };
}

export type IdMapping = { containerID: number; hostID: number; size: number };

function mapId(mappings: IdMapping[], id: number): number | undefined {
  const m = mappings.find((x) => id >= x.containerID && id < x.containerID + x.size);
  return m ? m.hostID + (id - m.containerID) : undefined;
}

/**
 * With a user namespace, the rootfs belongs to the container's users, as an
 * engine would prepare it: every file's owner is shifted by the mappings
 * (root's files to the host id of container root, user 1000's to its).
 */
export function shiftRootfsOwners(rootfs: string, uidMappings: IdMapping[], gidMappings: IdMapping[]): void {
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const uid = mapId(uidMappings, st.uid);
    const gid = mapId(gidMappings, st.gid);
    if (uid !== undefined && gid !== undefined) fs.lchownSync(p, uid, gid);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(rootfs);
}

export function materialize(config: unknown, vars: { run: string; probe: string; id: string; cgroup: string }): string {
  // bigint: uint64 values above 2^53 (RLIM_INFINITY, ...) written exactly
  return stringifyJson(config, 2)
    .replaceAll(TOKENS.run, vars.run)
    .replaceAll(TOKENS.probe, vars.probe)
    .replaceAll(TOKENS.id, vars.id)
    .replaceAll(TOKENS.cgroup, vars.cgroup);
}
