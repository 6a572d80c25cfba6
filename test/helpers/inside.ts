// What the tests of a container's view from inside share: run a shell script
// in a fresh container (optionally in a user namespace), read its mountinfo.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { SpecDoc, SpecOverride } from './bundle';
import type { ContainerLab } from './lab';

/** Run `sh -c script` in a fresh container; expects success and returns stdout. */
export async function runInside(lab: ContainerLab, script: string, override?: SpecOverride, flags: string[] = []): Promise<string> {
  const b = lab.shBundle(script, override);
  const r = await lab.runBundle(b, { flags });
  if (r.code !== 0) throw new Error(`container failed (exit ${r.code}): ${r.stderr}\nstdout: ${r.stdout}`);
  return r.stdout;
}

/** mountinfo lines as { point, opts (per mount), fstype, source, super (per superblock), optional } */
export interface MountLine {
  root: string;
  point: string;
  opts: string[];
  optional: string;
  fstype: string;
  source: string;
  super: string[];
}

export function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pre, post = ''] = line.split(' - ');
      const f = pre!.split(' ');
      const g = post.split(' ');
      return {
        root: f[3]!,
        point: f[4]!,
        opts: f[5]!.split(','),
        optional: f.slice(6).join(' '),
        fstype: g[0]!,
        source: g[1]!,
        super: (g[2] ?? '').split(','),
      };
    });
}

export function mountAt(mounts: MountLine[], point: string): MountLine {
  const all = mounts.filter((m) => m.point === point);
  if (all.length === 0) throw new Error(`no mount at ${point}: ${mounts.map((m) => m.point).join(' ')}`);
  return all.at(-1)!; // the top one
}

/** In a user namespace the container's root is an unprivileged host uid: it must be able to reach the bundle. */
export function userNamespace(spec: SpecDoc, hostId: number): void {
  spec.linux.namespaces.push({ type: 'user' });
  Object.assign(spec.linux, {
    uidMappings: [{ containerID: 0, hostID: hostId, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: hostId, size: 65536 }],
  });
}

/** Run in a user namespace mapping container 0 to `hostId`: the rootfs is chowned like an engine does. */
export async function runInsideUserns(lab: ContainerLab, script: string, hostId: number, override: (spec: SpecDoc) => void): Promise<string> {
  // in the tmp dir itself: the mapped root must be able to reach the bundle
  const b = lab.shBundle(
    script,
    (spec) => {
      userNamespace(spec, hostId);
      override(spec);
    },
    { parent: os.tmpdir() },
  );
  fs.chmodSync(b.dir, 0o755);
  execFileSync('chown', ['-R', `${hostId}:${hostId}`, b.rootfs]);
  const r = await lab.runBundle(b);
  if (r.code !== 0) throw new Error(`container failed (exit ${r.code}): ${r.stderr}\nstdout: ${r.stdout}`);
  return r.stdout;
}
