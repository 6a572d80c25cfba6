// linux.cgroupsPath under the systemd cgroup driver: "slice:prefix:name", as
// runc reads it. The container gets the transient scope "<prefix>-<name>.scope"
// in "<slice>"; systemd derives the cgroup path from the slice's name
// ("a-b.slice" lives in "a.slice/a-b.slice").
//   ""                                     -> system.slice, tsrun-<id>.scope (rootless: user.slice)
//   "kubepods-pod1.slice:cri-containerd:ab" -> /kubepods.slice/kubepods-pod1.slice/cri-containerd-ab.scope
import { ConfigError } from '../errors';

export interface SystemdCgroupPath {
  /** the parent slice unit, "system.slice" */
  slice: string;
  prefix: string;
  name: string;
  /** the container's scope unit, "<prefix>-<name>.scope" */
  unit: string;
}

const FIELD = 'linux.cgroupsPath';
/** systemd's unit name alphabet (unit-name.c: VALID_CHARS), and its length limit */
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+$/;
const UNIT_NAME_MAX = 255;

const DEFAULT_SCOPE_PREFIX = 'tsrun';

export function defaultSlice(rootless: boolean): string {
  return rootless ? 'user.slice' : 'system.slice';
}

/** Parse cgroupsPath for the systemd driver (runc's rules; an empty name is the container id). */
export function parseSystemdCgroupsPath(cgroupsPath: string | undefined, containerId: string, rootless: boolean): SystemdCgroupPath {
  let slice = '';
  let prefix = DEFAULT_SCOPE_PREFIX;
  let name = containerId;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw new ConfigError(
        `${FIELD}: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(cgroupsPath)} instead ` +
          '(--systemd-cgroup was given; without it cgroupsPath is a cgroupfs path)',
        { jsonPath: FIELD, containerId },
      );
    }
    [slice, prefix, name] = parts as [string, string, string];
    if (name === '') name = containerId;
  }
  if (slice === '') slice = defaultSlice(rootless);
  expandSlice(slice, containerId); // validates the slice name
  if (name.endsWith('.slice')) {
    throw new ConfigError(`${FIELD}: ${JSON.stringify(cgroupsPath)} names a slice (${name}) as the container's unit; tsrun puts a container in a scope: give a name without ".slice"`, {
      jsonPath: FIELD,
      containerId,
    });
  }
  const unit = prefix ? `${prefix}-${name}.scope` : `${name}.scope`;
  if (!UNIT_NAME.test(unit) || unit.length > UNIT_NAME_MAX) {
    throw new ConfigError(`${FIELD}: ${JSON.stringify(unit)} is not a valid systemd unit name (letters, digits and ":_.\\@-", at most ${UNIT_NAME_MAX} characters)`, {
      jsonPath: FIELD,
      containerId,
    });
  }
  return { slice, prefix, name, unit };
}

/**
 * The slice's cgroup path below the manager's root: "test-a-b.slice" ->
 * "/test.slice/test-a.slice/test-a-b.slice"; "-.slice" is the root "/".
 */
export function expandSlice(slice: string, containerId?: string): string {
  return sliceChain(slice, containerId).reduce((p, s) => `${p}/${s}`, '') || '/';
}

/** The slices from the top down to `slice` itself: "a-b.slice" -> ["a.slice", "a-b.slice"]; "-.slice" -> []. */
export function sliceChain(slice: string, containerId?: string): string[] {
  const bad = (why: string) => new ConfigError(`${FIELD}: invalid slice name ${JSON.stringify(slice)}: ${why}`, { jsonPath: FIELD, containerId });
  if (!slice.endsWith('.slice') || slice === '.slice') throw bad('a slice name ends with ".slice"');
  if (slice.includes('/')) throw bad('it cannot contain "/"');
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return [];
  if (!UNIT_NAME.test(slice)) throw bad('systemd unit names use letters, digits and ":_.\\@-"');
  const out: string[] = [];
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw bad('"-" separates non-empty parts ("a--b.slice", "-a.slice" and "a-.slice" are not slices)');
    out.push(`${prefix}${part}.slice`);
    prefix += `${part}-`;
  }
  return out;
}
