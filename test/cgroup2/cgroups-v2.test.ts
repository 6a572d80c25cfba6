// The v2 cgroup manager on a real, pure cgroup v2 kernel. Runs in the VM
// (npm run test:cgroup2 → ../shared/vm/run-in-vm.sh); skipped on hosts whose
// cgroups are not v2. Node is 10-15x slower there: few, coarse steps.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { cgroupManagerFor, type CgroupManager } from '../../src/cgroups/manager';
import { native } from '../../src/native/index';
import { CgroupError } from '../../src/errors';
import { blkioWeightToIoWeight } from '../../src/cgroups/v2/io';
import { sleep } from '../helpers';

const host = detectCgroupHost();
const runnable = process.getuid?.() === 0 && host.layout === 'v2';

interface Gated {
  child: ChildProcess;
  pid: number;
  release(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}
/** A shell that waits on stdin before running `script`, so it can join a cgroup first. */
function gated(script: string): Gated {
  const child = spawn('sh', ['-c', `read _; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, release: () => child.stdin!.end('go\n'), exited, output: () => out };
}
const read = (p: string) => fs.readFileSync(p, 'utf8').trim();
/** The counting loop appends one line per step (one write(2) each, so never a torn read). */
async function readCounter(p: string): Promise<number> {
  const lines = read(p).split('\n');
  return Number(lines[lines.length - 1]);
}
const kv = (p: string) => new Map(read(p).split('\n').map((l) => l.split(' ') as [string, string]));

/** A block device io.max accepts: the first partition, else loop0 (7:0, autoloaded by the kernel). */
const blockDevice = (() => {
  const line = fs.readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).find((l) => l.trim());
  if (!line) return { major: 7, minor: 0 };
  const [major, minor] = line.trim().split(/\s+/).map(Number);
  return { major: major!, minor: minor! };
})();

describe.skipIf(!runnable)('cgroup v2 manager on a pure v2 kernel', () => {
  const managers: CgroupManager[] = [];
  const children: ChildProcess[] = [];
  let name = '';
  const make = (cgroupsPath?: string) => {
    name = `tsrun-test-${randomBytes(4).toString('hex')}`;
    const m = cgroupManagerFor({ containerId: name, cgroupsPath: cgroupsPath?.replace('$NAME', name) ?? `/${name}` });
    managers.push(m);
    return m;
  };
  const start = (m: CgroupManager, script: string) => {
    const g = gated(script);
    children.push(g.child);
    m.apply(g.pid);
    return g;
  };
  const dir = (m: CgroupManager) => m.dirs()[0]!.dir;

  afterEach(() => {
    for (const m of managers.splice(0)) {
      m.destroy();
      expect(fs.existsSync(dir(m)), `${dir(m)} left behind`).toBe(false);
    }
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('joins the process, and sets memory, pids, cpu, io and unified files the kernel reads back', () => {
    const m = make();
    m.create();
    const g = start(m, 'sleep 60');
    expect(read(`/proc/${g.pid}/cgroup`)).toBe(`0::/${name}`);
    m.setResources({
      memory: { limit: 67108864, reservation: 33554432, swap: 134217728 },
      cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, idle: 0, cpus: '0', mems: '0' },
      pids: { limit: 64 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ ...blockDevice, rate: 1048576 }], throttleWriteIOPSDevice: [{ ...blockDevice, rate: 100 }] },
      unified: { 'memory.high': '50000000', 'memory.oom.group': '1' },
    });
    const d = dir(m);
    expect(read(`${d}/memory.max`)).toBe('67108864');
    expect(read(`${d}/memory.low`)).toBe('33554432');
    expect(read(`${d}/memory.swap.max`)).toBe('67108864');
    expect(read(`${d}/memory.high`)).toBe('49999872'); // page-aligned by the kernel
    expect(read(`${d}/memory.oom.group`)).toBe('1');
    expect(read(`${d}/pids.max`)).toBe('64');
    expect(read(`${d}/cpu.weight`)).toBe('100');
    expect(read(`${d}/cpu.max`)).toBe('50000 100000');
    expect(read(`${d}/cpu.max.burst`)).toBe('1000');
    expect(read(`${d}/cpuset.cpus`)).toBe('0');
    expect(read(`${d}/io.weight`)).toBe(`default ${blkioWeightToIoWeight(500)}`);
    expect(read(`${d}/io.max`)).toBe(`${blockDevice.major}:${blockDevice.minor} rbps=1048576 wbps=max riops=max wiops=100`);
    const merged = m.update({ memory: { limit: 100663296, reservation: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0 } });
    expect(read(`${d}/memory.max`)).toBe('100663296');
    expect(read(`${d}/memory.swap.max`)).toBe('33554432');
    expect(merged.cpu!.quota).toBe(50000);
  });

  it('refuses what the kernel cannot apply, naming the field and the file', () => {
    const m = make();
    m.create();
    const error = (res: Parameters<CgroupManager['setResources']>[0]) => {
      try {
        m.setResources(res);
      } catch (e) {
        expect(e).toBeInstanceOf(CgroupError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(error({ cpu: { cpus: '9' } })).toMatch(new RegExp(`^linux\\.resources\\.cpu\\.cpus: cannot write "9" to /sys/fs/cgroup/${name}/cpuset\\.cpus`));
    expect(error({ blockIO: { weightDevice: [{ ...blockDevice, weight: 100 }] } })).toMatch(/^linux\.resources\.blockIO\.weightDevice\[0\]: cannot write "\d+:\d+ \d+" to \/sys\/fs\/cgroup\/tsrun-test-[0-9a-f]+\/io\.weight: operation not supported/);
    expect(error({ unified: { 'memory.nosuchfile': '1' } })).toMatch(/^linux\.resources\.unified\["memory\.nosuchfile"\]: .*memory\.nosuchfile/);
    expect(error({ network: { classID: 1 } })).toMatch(/net_cls and net_prio are cgroup v1 controllers/);
  });

  it('an allocation past memory.max is OOM-killed and counted in memory.events', async () => {
    const m = make();
    m.create();
    const g = start(m, `exec perl -e '$x = "a" x (200*1024*1024); print "survived\\n"'`);
    m.setResources({ memory: { limit: 33554432, swap: 33554432 } });
    g.release();
    const r = await g.exited;
    expect(r.signal).toBe('SIGKILL');
    expect(g.output()).not.toContain('survived');
    expect(m.oomKillCount()).toBeGreaterThanOrEqual(1);
    expect(Number(kv(`${dir(m)}/memory.events`).get('oom_kill'))).toBe(m.oomKillCount());
  });

  it('cpu.max holds a busy loop near its quota', async () => {
    const m = make();
    m.create();
    const g = start(m, 'while :; do :; done');
    m.setResources({ cpu: { quota: 20000, period: 100000 } });
    g.release();
    await sleep(500);
    const usage = () => Number(kv(`${dir(m)}/cpu.stat`).get('usage_usec'));
    const u0 = usage();
    const t0 = process.hrtime.bigint();
    await sleep(4000);
    const ratio = (usage() - u0) / (Number(process.hrtime.bigint() - t0) / 1000);
    expect(ratio).toBeGreaterThan(0.08);
    expect(ratio).toBeLessThan(0.35);
    expect(Number(kv(`${dir(m)}/cpu.stat`).get('nr_throttled'))).toBeGreaterThan(0);
  });

  it('pids.max stops forks', async () => {
    const m = make();
    m.create();
    const g = start(m, 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait');
    m.setResources({ pids: { limit: 4 } });
    g.release();
    await sleep(2000);
    expect(Number(read(`${dir(m)}/pids.current`))).toBeLessThanOrEqual(4);
    expect(Number(kv(`${dir(m)}/pids.events`).get('max'))).toBeGreaterThan(0);
    m.killAll(9);
    await g.exited;
    expect(g.output()).toMatch(/fork|Resource temporarily unavailable|Cannot/i);
  });

  it('the eBPF device filter denies a device; runc\'s default allows stay usable; an update replaces the program', async () => {
    const m = make();
    m.create();
    const g = start(m, 'head -c1 /dev/null && echo null-ok; head -c1 /dev/kmsg >/dev/null && echo kmsg-ok || echo kmsg-denied');
    m.setResources({ devices: [{ allow: false, access: 'rwm' }] });
    const before = native().queryDeviceFilters(dir(m));
    expect(before).toHaveLength(1);
    m.update({ devices: [{ allow: false, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }] });
    const after = native().queryDeviceFilters(dir(m));
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    g.release();
    await g.exited;
    expect(g.output()).toContain('null-ok');
    expect(g.output()).toContain('kmsg-denied');
  });

  it('freeze via cgroup.freeze stops a counting loop, thaw resumes it', async () => {
    const m = make();
    m.create();
    const counter = `/tmp/${name}.count`;
    const g = start(m, `i=0; while :; do i=$((i+1)); echo $i >> ${counter}; done`);
    g.release();
    try {
      await sleep(1500);
      m.freeze();
      expect(m.isFrozen()).toBe(true);
      expect(kv(`${dir(m)}/cgroup.events`).get('frozen')).toBe('1');
      const a = await readCounter(counter);
      await sleep(1500);
      expect(await readCounter(counter)).toBe(a);
      m.thaw();
      expect(m.isFrozen()).toBe(false);
      await sleep(1500);
      expect(await readCounter(counter)).toBeGreaterThan(a);
    } finally {
      fs.rmSync(counter, { force: true });
    }
  });

  it('killAll(SIGKILL) uses cgroup.kill and takes every process, even frozen ones', async () => {
    const m = make();
    m.create();
    const g = start(m, 'sleep 60 & sleep 60 & wait');
    g.release();
    await sleep(1500);
    expect(m.pids()).toHaveLength(3);
    m.freeze();
    m.killAll('SIGKILL');
    expect((await g.exited).signal).toBe('SIGKILL');
    for (let i = 0; i < 100 && m.pids().length > 0; i++) await sleep(50);
    expect(m.pids()).toEqual([]);
  });

  it('a nested path enables the controllers top-down; destroy removes only what create made', () => {
    const parent = make();
    parent.create();
    const parentName = name;
    const m = cgroupManagerFor({ containerId: 'nested', cgroupsPath: `/${parentName}/a/b` });
    m.create();
    for (const p of [`/sys/fs/cgroup/${parentName}`, `/sys/fs/cgroup/${parentName}/a`]) {
      expect(read(`${p}/cgroup.subtree_control`).split(' ')).toEqual(expect.arrayContaining(['cpu', 'io', 'memory', 'pids']));
    }
    expect(read(`/sys/fs/cgroup/${parentName}/a/b/cgroup.controllers`).split(' ')).toEqual(expect.arrayContaining(['cpu', 'io', 'memory', 'pids']));
    expect(m.descriptor().created).toEqual([`/sys/fs/cgroup/${parentName}/a`, `/sys/fs/cgroup/${parentName}/a/b`]);
    const g = gated('sleep 60');
    children.push(g.child);
    m.apply(g.pid);
    m.setResources({ memory: { limit: 33554432 } });
    m.destroy();
    expect(fs.existsSync(`/sys/fs/cgroup/${parentName}/a`)).toBe(false);
    expect(fs.existsSync(`/sys/fs/cgroup/${parentName}`)).toBe(true);
  });

  it('stats report what the container used', async () => {
    const m = make();
    m.create();
    const g = start(m, 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 60');
    m.setResources({ pids: { limit: 10 }, memory: { limit: 67108864 } });
    g.release();
    await sleep(3000);
    const s = m.stats();
    expect(Number(s.cpu.usage!.total)).toBeGreaterThan(0);
    expect(s.pids).toEqual({ current: 2, limit: 10 });
    expect(s.memory.usage!.limit).toBe(67108864);
    expect(Number(s.memory.usage!.usage)).toBeGreaterThan(0);
    expect(path.basename(dir(m))).toBe(name);
  });
});
