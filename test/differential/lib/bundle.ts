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

export const INNER_HOOKS_LOG = '/hooks.log';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:user:/home/user:/bin/sh\n';
const GROUP = 'root:x:0:\ntty:x:5:\nusers:x:100:\nnogroup:x:65534:\nuser:x:1000:\n';

/** The rootfs every case starts from: the probe in /bin (and a link to it), a few files to point args and mounts at. */
function makeRootfs(rootfs: string, probe: string): void {
  for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'proc', 'sys', 'dev', 'etc', 'root', 'tmp', 'home/user', 'data/sub', 'run']) {
    fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  }
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.chmodSync(path.join(rootfs, 'root'), 0o700);
  fs.chownSync(path.join(rootfs, 'home/user'), 1000, 1000);
  fs.copyFileSync(probe, path.join(rootfs, 'bin', 'probe'));
  fs.chmodSync(path.join(rootfs, 'bin', 'probe'), 0o755);
  fs.symlinkSync('probe', path.join(rootfs, 'bin', 'probe-link'));
  // executable only by its owner (root): what uid 1000 may not run
  fs.copyFileSync(probe, path.join(rootfs, 'usr', 'local', 'bin', 'probe-root-only'));
  fs.chmodSync(path.join(rootfs, 'usr', 'local', 'bin', 'probe-root-only'), 0o700);
  fs.writeFileSync(path.join(rootfs, 'bin', 'not-executable'), 'plain text\n', { mode: 0o644 });
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), PASSWD);
  fs.writeFileSync(path.join(rootfs, 'etc', 'group'), GROUP);
  fs.writeFileSync(path.join(rootfs, 'etc', 'hostname'), 'image\n');
  fs.writeFileSync(path.join(rootfs, 'data', 'file'), 'data\n');
  fs.writeFileSync(path.join(rootfs, 'data', 'sub', 'file'), 'sub\n');
  fs.symlinkSync('/data/sub', path.join(rootfs, 'data', 'link'));
}

/** Bind-mount sources on the host side. */
function makeHostDir(dir: string): void {
  fs.mkdirSync(path.join(dir, 'dir', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'dir', 'a'), 'a\n');
  fs.writeFileSync(path.join(dir, 'dir', 'sub', 'b'), 'b\n');
  fs.writeFileSync(path.join(dir, 'file'), 'file\n');
}

export function prepareRunDir(dir: string, probe: string): RunDir {
  const bundle = path.join(dir, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true });
  makeRootfs(rootfs, probe);
  makeHostDir(path.join(dir, 'host'));
  // what a hook with a relative path finds in the runtime's cwd (the bundle)
  fs.copyFileSync(probe, path.join(bundle, 'probe-hook'));
  fs.chmodSync(path.join(bundle, 'probe-hook'), 0o755);
  return { dir, bundle, rootfs, hooksLog: path.join(dir, 'hooks.log'), innerHooksLog: path.join(rootfs, INNER_HOOKS_LOG.slice(1)) };
}

export function materialize(config: unknown, vars: { run: string; probe: string; id: string; cgroup: string }): string {
  // bigint: uint64 values above 2^53 (RLIM_INFINITY, ...) written exactly
  return stringifyJson(config, 2)
    .replaceAll(TOKENS.run, vars.run)
    .replaceAll(TOKENS.probe, vars.probe)
    .replaceAll(TOKENS.id, vars.id)
    .replaceAll(TOKENS.cgroup, vars.cgroup);
}
