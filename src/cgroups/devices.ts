// Device cgroup rules: OCI linux.resources.devices → normalised rules, plus the
// allow rules runc appends after the config's own (so a bare deny-all still
// leaves /dev/null, /dev/tty and the ptys usable).
import { CgroupError } from '../errors';
import type { LinuxDeviceCgroup } from './resources';

export interface DeviceRule {
  allow: boolean;
  /** a = char and block */
  type: 'a' | 'c' | 'b';
  /** -1 = any */
  major: number;
  minor: number;
  /** non-empty subset of "rwm", in that order */
  access: string;
  /** JSON path of the rule, for errors */
  field: string;
}

const ACCESS_ORDER = 'rwm';

/** "mwr" → "rwm"; throws on letters other than r, w, m. */
export function normalizeAccess(access: string, field: string): string {
  for (const ch of access) {
    if (!ACCESS_ORDER.includes(ch)) throw new CgroupError(`${field}.access: unknown device access ${JSON.stringify(ch)} (want r, w, m)`);
  }
  const out = [...ACCESS_ORDER].filter((ch) => access.includes(ch)).join('');
  if (out === '') throw new CgroupError(`${field}.access: must not be empty (want some of "rwm")`);
  return out;
}

function deviceNumber(v: number | null | undefined, field: string): number {
  if (v === undefined || v === null || v === -1) return -1;
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new CgroupError(`${field}: ${v} is not a device number`);
  return v;
}

/** OCI rules → normalised rules, in order. `base` is the JSON path of the array. */
export function normalizeDeviceRules(devices: LinuxDeviceCgroup[] | undefined, base = 'linux.resources.devices'): DeviceRule[] {
  return (devices ?? []).map((d, i) => {
    const field = `${base}[${i}]`;
    const type = d.type ?? 'a';
    return {
      allow: d.allow === true,
      type,
      major: deviceNumber(d.major, `${field}.major`),
      minor: deviceNumber(d.minor, `${field}.minor`),
      access: normalizeAccess(d.access ?? '', field),
      field,
    };
  });
}

/** runc's default allows; `path` ties a rule to its device node (a config device with that path replaces it). */
export const DEFAULT_DEVICE_ALLOWS: ReadonlyArray<{ path?: string; type: 'c' | 'b'; major: number; minor: number; access: string }> = [
  { type: 'c', major: -1, minor: -1, access: 'm' },
  { type: 'b', major: -1, minor: -1, access: 'm' },
  { path: '/dev/null', type: 'c', major: 1, minor: 3, access: 'rwm' },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, access: 'rwm' },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, access: 'rwm' },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, access: 'rwm' },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, access: 'rwm' },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, access: 'rwm' },
  // /dev/pts/*, /dev/ptmx and /dev/net/tun (kept by runc for old orchestrators)
  { type: 'c', major: 136, minor: -1, access: 'rwm' },
  { type: 'c', major: 5, minor: 2, access: 'rwm' },
  { type: 'c', major: 10, minor: 200, access: 'rwm' },
];

/** Where every container's device rules start (runc's emulator starts as a white-list). */
const DENY_ALL_DEVICES: DeviceRule = { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm', field: 'linux.resources.devices (everything denied first)' };

/**
 * A container's device rules, as runc computes them whether or not the config
 * lists any: everything denied, then the config's rules, then runc's default
 * allows. Like runc, a default whose device node the config itself lists in
 * linux.devices (same path) is left out.
 */
export function withDefaultAllows(rules: DeviceRule[], configDevicePaths: readonly string[] = []): DeviceRule[] {
  const listed = new Set(configDevicePaths);
  const defaults = DEFAULT_DEVICE_ALLOWS.filter((d) => !d.path || !listed.has(d.path)).map((d) => ({
    allow: true,
    type: d.type,
    major: d.major,
    minor: d.minor,
    access: d.access,
    field: `linux.resources.devices (default allow ${d.type} ${d.major < 0 ? '*' : d.major}:${d.minor < 0 ? '*' : d.minor} ${d.access})`,
  }));
  const first = rules[0];
  const deniesAll = first !== undefined && !first.allow && first.type === 'a' && first.major < 0 && first.minor < 0 && first.access === 'rwm';
  return [...(deniesAll ? [] : [DENY_ALL_DEVICES]), ...rules, ...defaults];
}

/** "c 1:3 rwm" as devices.allow/devices.deny take it. */
export function deviceRuleLine(r: Pick<DeviceRule, 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number) => (v < 0 ? '*' : String(v));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}
