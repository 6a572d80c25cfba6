// `tsrun spec`: write the default config.json into a bundle.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError, fromNodeError } from '../errors';
import { defaultSeccompProfile } from '../seccomp/default-profile';
import { defaultSpec, formatSpecJson } from './default-spec';
import type { RuntimeContext, SpecOptions } from './options';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Refuses to overwrite an existing config.json, with runc's message. */
export function writeDefaultSpec(_ctx: RuntimeContext, opts: SpecOptions): void {
  const file = path.join(opts.bundle, 'config.json');
  try {
    if (!fs.statSync(opts.bundle).isDirectory()) throw new TsrunError(`spec: bundle ${opts.bundle} is not a directory`);
  } catch (e) {
    throw fromNodeError('spec: bundle directory', e, { path: opts.bundle });
  }
  const exists = (): TsrunError => new TsrunError(`File ${file} exists. Remove it first`);
  if (fs.existsSync(file)) throw exists();
  const doc = defaultSpec({
    cgroupNamespace: isCgroup2UnifiedHost(),
    seccomp: defaultSeccompProfile() as unknown as Record<string, unknown>,
    ...(opts.rootless ? { rootless: { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 } } : {}),
  });
  try {
    fs.writeFileSync(file, formatSpecJson(doc), { mode: 0o666, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw fromNodeError('spec: write config.json', e, { path: file });
  }
}

/** runc adds a cgroup namespace to the example spec on a pure cgroup v2 host. */
export function isCgroup2UnifiedHost(mountPoint = '/sys/fs/cgroup'): boolean {
  try {
    return fs.statfsSync(mountPoint).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}
