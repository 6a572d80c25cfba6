import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statsToJson, MAX_U64 } from '../../src/cgroups/stats';
import { oomKillCountV2, parseIoStat, statsV2 } from '../../src/cgroups/v2/stats';
import { oomKillCountV1, parseBlkioFile, statsV1 } from '../../src/cgroups/v1/stats';
import { parseKeyValues, parseUint } from '../../src/cgroups/fsio';

let dir: string;
const put = (files: Record<string, string>, sub = '') => {
  fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, sub, f), v);
};
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-stats-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('stats helpers', () => {
  it('parseUint keeps exact u64 values', () => {
    expect(parseUint('42\n')).toBe(42);
    expect(parseUint('9223372036854771712')).toBe(9223372036854771712n);
    expect(parseUint('max')).toBe(MAX_U64);
    expect(parseUint(undefined)).toBe(0);
    expect(parseUint('-1')).toBe(0);
    expect(parseUint('garbage')).toBe(0);
  });
  it('statsToJson prints bigints as exact integers', () => {
    expect(statsToJson({ a: 9223372036854771712n, b: [MAX_U64], c: 'x' })).toBe('{"a":9223372036854771712,"b":[18446744073709551615],"c":"x"}');
  });
  it('parses key/value files', () => {
    expect([...parseKeyValues('populated 1\nfrozen 0\n')]).toEqual([['populated', '1'], ['frozen', '0']]);
  });
  it('parses io.stat and blkio files (minor 0 left out like Go omitempty)', () => {
    expect(parseIoStat('8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n')).toEqual({
      bytes: [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write' }],
      ios: [{ major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write' }],
    });
    expect(parseBlkioFile('8:0 Read 100\n8:0 Write 5\n8:0 Total 105\nTotal 105\n')).toEqual([
      { major: 8, op: 'Read', value: 100 },
      { major: 8, op: 'Write', value: 5 },
      { major: 8, op: 'Total', value: 105 },
    ]);
  });
});

describe('v2 stats', () => {
  it('maps cgroup v2 files to runc\'s events --stats shape', () => {
    put({
      'pids.current': '3\n',
      'pids.max': 'max\n',
      'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
      'memory.current': '1048576\n',
      'memory.max': '67108864\n',
      'memory.peak': '2097152\n',
      'memory.swap.current': '0\n',
      'memory.swap.max': 'max\n',
      'memory.stat': 'anon 4096\nfile 8192\n',
      'memory.events': 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n',
      'io.stat': '8:0 rbytes=512 wbytes=1024 rios=1 wios=2\n',
      'hugetlb.2MB.current': '0\n',
      'hugetlb.2MB.events': 'max 4\n',
      'cpuset.cpus.effective': '0-1\n',
      'cpuset.mems.effective': '0\n',
    });
    const s = statsV2(dir, ['2MB', '1GB']);
    expect(s.pids).toEqual({ current: 3 });
    expect(s.cpu).toEqual({ usage: { total: 1500000, kernel: 500000, user: 1000000 }, throttling: { periods: 10, throttledPeriods: 2, throttledTime: 300000 } });
    expect(s.memory.cache).toBe(8192);
    expect(s.memory.usage).toEqual({ limit: 67108864, usage: 1048576, max: 2097152, failcnt: 0 });
    expect(s.memory.swap).toEqual({ limit: MAX_U64, usage: 1048576, failcnt: 0 });
    expect(s.memory.raw).toEqual({ anon: 4096, file: 8192 });
    expect(s.blkio.ioServiceBytesRecursive).toEqual([{ major: 8, op: 'Read', value: 512 }, { major: 8, op: 'Write', value: 1024 }]);
    expect(s.hugetlb).toEqual({ '2MB': { failcnt: 4 } });
    expect(s.cpuset.cpus).toEqual([0, 1]);
    expect(oomKillCountV2(dir)).toBe(1);
    expect(JSON.parse(statsToJson(s)).pids).toEqual({ current: 3 });
  });
  it('an empty dir gives the empty shape, oom count 0', () => {
    const s = statsV2(dir, []);
    expect(s.pids).toEqual({});
    expect(s.memory).toEqual({});
    expect(s.intel_rdt).toEqual({});
    expect(s.network_interfaces).toBeNull();
    expect(oomKillCountV2(dir)).toBe(0);
  });
});

describe('v1 stats', () => {
  it('reads each controller from its own hierarchy', () => {
    put({ 'pids.current': '2', 'pids.max': '10' }, 'pids');
    put({ 'cpuacct.usage': '5000', 'cpuacct.usage_percpu': '3000 2000 \n', 'cpuacct.stat': 'user 3\nsystem 1\n' }, 'cpuacct');
    put({ 'cpu.stat': 'nr_periods 4\nnr_throttled 1\nthrottled_time 999\n' }, 'cpu');
    put({
      'memory.stat': 'cache 100\nrss 200\n',
      'memory.usage_in_bytes': '300',
      'memory.max_usage_in_bytes': '400',
      'memory.failcnt': '2',
      'memory.limit_in_bytes': '9223372036854771712',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    }, 'memory');
    put({ 'blkio.throttle.io_service_bytes_recursive': '8:0 Read 10\n8:0 Write 20\nTotal 30\n', 'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n' }, 'blkio');
    put({ 'cpuset.cpus': '1', 'cpuset.mems': '0', 'cpuset.sched_load_balance': '1', 'cpuset.sched_relax_domain_level': '-1' }, 'cpuset');
    put({ 'hugetlb.2MB.current': '0', 'hugetlb.2MB.events': 'max 0\n' }, 'unified');
    const s = statsV1((c) => (c === 'hugetlb' ? undefined : path.join(dir, c)), path.join(dir, 'unified'), ['2MB']);
    expect(s.pids).toEqual({ current: 2, limit: 10 });
    expect(s.cpu.usage).toEqual({ total: 5000, percpu: [3000, 2000], kernel: 10000000, user: 30000000 });
    expect(s.cpu.throttling).toEqual({ periods: 4, throttledPeriods: 1, throttledTime: 999 });
    expect(s.memory.usage).toEqual({ limit: 9223372036854771712n, usage: 300, max: 400, failcnt: 2 });
    expect(s.memory.cache).toBe(100);
    expect(s.memory.kernel).toBeUndefined();
    expect(s.blkio.ioServiceBytesRecursive).toHaveLength(2);
    expect(s.cpuset).toMatchObject({ cpus: [1], mems: [0], sched_load_balance: 1, sched_relax_domain_level: -1 });
    expect(s.hugetlb).toEqual({ '2MB': { failcnt: 0 } });
    expect(oomKillCountV1(path.join(dir, 'memory'))).toBe(3);
    expect(oomKillCountV1(undefined)).toBe(0);
    expect(statsToJson(s.memory.usage)).toBe('{"limit":9223372036854771712,"usage":300,"max":400,"failcnt":2}');
  });
});
