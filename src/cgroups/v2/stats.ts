// Stats from a cgroup v2 directory (runc fs2's sources, runc's JSON names).
import * as path from 'node:path';
import { parseKeyValues, parseUint, readOptional } from '../fsio';
import { parseCpuList } from '../hostinfo';
import {
  add,
  emptyStats,
  MAX_U64,
  memoryEntry,
  mul,
  omitEmpty,
  type BlkioEntry,
  type CgroupStats,
  type HugetlbEntry,
  type U64,
} from '../stats';

const num = (v: string | undefined): U64 => parseUint(v);

function keyValues(dir: string, file: string): Map<string, string> {
  return parseKeyValues(readOptional(path.join(dir, file)) ?? '');
}

/** io.stat → read/write bytes and ops per device. */
export function parseIoStat(text: string): { bytes: BlkioEntry[]; ios: BlkioEntry[] } {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      const entry = (op: string) => omitEmpty<BlkioEntry>({ major, minor, op, value: num(v) });
      if (k === 'rbytes') bytes.push(entry('Read'));
      else if (k === 'wbytes') bytes.push(entry('Write'));
      else if (k === 'rios') ios.push(entry('Read'));
      else if (k === 'wios') ios.push(entry('Write'));
    }
  }
  return { bytes, ios };
}

export function hugetlbStatsV2(dir: string, sizes: readonly string[]): Record<string, HugetlbEntry> {
  const out: Record<string, HugetlbEntry> = {};
  for (const size of sizes) {
    const prefix = path.join(dir, `hugetlb.${size}`);
    const usage = readOptional(`${prefix}.rsvd.current`) ?? readOptional(`${prefix}.current`);
    if (usage === undefined) continue;
    const failcnt = parseKeyValues(readOptional(`${prefix}.events`) ?? '').get('max');
    out[size] = omitEmpty<HugetlbEntry>({ usage: num(usage), failcnt: num(failcnt) }, ['failcnt']);
  }
  return out;
}

export function statsV2(dir: string, hugePageSizes: readonly string[]): CgroupStats {
  const s = emptyStats();
  const read = (f: string) => readOptional(path.join(dir, f));

  const maxOf = (v: string | undefined) => (v === 'max' ? 0 : num(v));
  s.pids = omitEmpty({ current: num(read('pids.current')), limit: maxOf(read('pids.max')) });

  const cpu = keyValues(dir, 'cpu.stat');
  const usec = (k: string) => mul(num(cpu.get(k)), 1000);
  s.cpu = {
    usage: omitEmpty({ total: usec('usage_usec'), kernel: usec('system_usec'), user: usec('user_usec') }, ['kernel', 'user']),
    throttling: omitEmpty({ periods: num(cpu.get('nr_periods')), throttledPeriods: num(cpu.get('nr_throttled')), throttledTime: usec('throttled_usec') }),
  };
  if (Object.keys(s.cpu.throttling!).length === 0) delete s.cpu.throttling;

  const raw: Record<string, U64> = {};
  for (const [k, v] of keyValues(dir, 'memory.stat')) raw[k] = num(v);
  const current = read('memory.current');
  if (current !== undefined) {
    const limit = read('memory.max') === 'max' ? MAX_U64 : num(read('memory.max'));
    const swapCur = num(read('memory.swap.current'));
    const swapMax = read('memory.swap.max');
    let swapLimit: U64 = swapMax === undefined || swapMax === 'max' ? MAX_U64 : num(swapMax);
    if (swapLimit !== MAX_U64 && limit !== MAX_U64) swapLimit = add(swapLimit, limit);
    else swapLimit = MAX_U64;
    s.memory = omitEmpty({
      cache: raw['file'] ?? 0,
      usage: memoryEntry({ usage: num(current), limit, max: num(read('memory.peak')) }),
      swap: memoryEntry({ usage: add(swapCur, num(current)), limit: swapLimit }),
      raw: Object.keys(raw).length > 0 ? raw : undefined,
    });
  }

  const io = parseIoStat(read('io.stat') ?? '');
  s.blkio = omitEmpty({ ioServiceBytesRecursive: io.bytes, ioServicedRecursive: io.ios });

  s.hugetlb = hugetlbStatsV2(dir, hugePageSizes);

  const cpus = parseCpuList(read('cpuset.cpus.effective') ?? '');
  const mems = parseCpuList(read('cpuset.mems.effective') ?? '');
  s.cpuset = omitEmpty({ ...s.cpuset, cpus: [...(cpus ?? [])], mems: [...(mems ?? [])] }, Object.keys(s.cpuset));
  return s;
}

/** memory.events oom_kill (0 when the file or the key is missing). */
export function oomKillCountV2(dir: string): number {
  return Number(keyValues(dir, 'memory.events').get('oom_kill') ?? 0);
}
