// Pure converters from command-line strings to typed option values, with
// runc's wording where engines or scripts may see it.
import { UsageError } from '../errors';
import { SIGNALS, SIGRTMAX, SIGRTMIN } from '../native/linux-constants';

/**
 * runc's parseSignal: a decimal number, or a name with or without "SIG" in any
 * case ("kill", "SIGKILL", "Term"), plus RTMIN+n / RTMAX-n.
 * Throws `unknown signal "FOO"`.
 */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n <= SIGRTMAX) return n;
    throw new UsageError(`unknown signal ${JSON.stringify(raw)}`);
  }
  let name = raw.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const fixed = SIGNALS[name];
  if (fixed !== undefined) return fixed;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const off = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '+' ? 1 : -1);
    const n = base + off;
    if (n >= SIGRTMIN && n <= SIGRTMAX && !(rt[1] === 'MIN' && off < 0) && !(rt[1] === 'MAX' && off > 0)) return n;
  }
  throw new UsageError(`unknown signal ${JSON.stringify(raw)}`);
}

/** The name for a signal number ("SIGKILL"), for messages. */
export function signalName(n: number): string {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`;
  return `signal ${n}`;
}

function badValue(flag: string, raw: string, why: string): UsageError {
  return new UsageError(`invalid value ${JSON.stringify(raw)} for flag --${flag}: ${why}`);
}

/** A decimal integer in [min, max]. */
export function parseIntFlag(flag: string, raw: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(raw)) throw badValue(flag, raw, 'not an integer');
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw badValue(flag, raw, 'out of range');
  if (n < min || n > max) throw badValue(flag, raw, `must be between ${min} and ${max}`);
  return n;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration ("5s", "1m30s", "250ms", "1.5h"), in milliseconds. */
export function parseGoDuration(flag: string, raw: string): number {
  let s = raw;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw badValue(flag, raw, 'parse error');
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) throw badValue(flag, raw, 'parse error');
    total += Number(m[1]) * DURATION_UNITS_MS[m[2] as string]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** docker/go-units RAMInBytes: "64m", "1g", "512k", "1.5GiB", "1024" (binary units). */
export function parseRamInBytes(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(raw);
  if (!m) throw badValue(flag, raw, `invalid size: '${raw}'`);
  const units: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  const mult = m[2] ? units[m[2].toLowerCase()]! : 1;
  const n = Math.trunc(Number(m[1]) * mult);
  if (!Number.isFinite(n) || !Number.isSafeInteger(n)) throw badValue(flag, raw, `invalid size: '${raw}'`);
  return n;
}

/** exec --user "uid[:gid]". */
export function parseUserSpec(raw: string): { uid: number; gid?: number } {
  const [uidText, gidText, ...extra] = raw.split(':');
  const id = (what: string, t: string | undefined): number => {
    if (t === undefined || !/^\d+$/.test(t) || Number(t) > 0xffffffff) {
      throw new UsageError(`bad ${what}: ${JSON.stringify(t ?? '')} in --user ${JSON.stringify(raw)} (expected <uid>[:<gid>], numeric)`);
    }
    return Number(t);
  };
  if (extra.length > 0) throw new UsageError(`bad --user ${JSON.stringify(raw)} (expected <uid>[:<gid>])`);
  const uid = id('uid', uidText);
  return gidText === undefined ? { uid } : { uid, gid: id('gid', gidText) };
}

/** exec --additional-gids, each a non-negative integer. */
export function parseAdditionalGids(raw: readonly string[]): number[] {
  return raw.map((t) => {
    if (/^-\d+$/.test(t)) throw new UsageError(`additional-gids must be a positive number ${t}`);
    return parseIntFlag('additional-gids', t, 0, 0xffffffff);
  });
}

/**
 * exec --cgroup: either one cgroup v2 path, or controller[,controller]:path
 * entries for v1. Returns controller -> path ("" for the v2 form).
 */
export function parseSubCgroupPaths(args: readonly string[]): Record<string, string> | undefined {
  if (args.length === 0) return undefined;
  const paths: Record<string, string> = {};
  for (const arg of args) {
    const colon = arg.indexOf(':');
    if (colon >= 0) {
      const path = arg.slice(colon + 1);
      for (const ctrl of arg.slice(0, colon).split(',')) {
        if (ctrl === '') throw new UsageError(`invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
        if (ctrl in paths) throw new UsageError(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
        paths[ctrl] = path;
      }
    } else {
      if (args.length !== 1) throw new UsageError(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      paths[''] = arg;
    }
  }
  return paths;
}

/** Go strconv.ParseBool, plus "auto" → undefined, for --rootless. */
export function parseBoolOrAuto(raw: string): boolean | 'auto' {
  if (raw === '' || raw.toLowerCase() === 'auto') return 'auto';
  const b = parseGoBool(raw);
  if (b === undefined) throw new UsageError(`invalid value ${JSON.stringify(raw)} for --rootless: expected true, false or auto`);
  return b;
}

export function parseGoBool(raw: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return undefined;
}
