// The pure parts of update, ps and events; the freezer probe; the hybrid
// freezer fallback and the update rollback of the managers on a fake cgroupfs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CgroupHostFacts } from '../../src/cgroups/checks';
import { isFrozen } from '../../src/cgroups/freezer-probe';
import { cgroupManagerFor } from '../../src/cgroups/manager';
import { eventsContainer, oomEvent } from '../../src/container/events';
import { filterPsOutput } from '../../src/container/ps';
import { checkUpdate, normalizeUpdate, readResourcesDocument, resourcesFromFlags } from '../../src/container/update';
import { ConfigError, InvalidStateError, TsrunError, UsageError } from '../../src/errors';
import { processStartTime } from '../../src/state/proc';
import { STATE_FORMAT_VERSION, type StoredState } from '../../src/state/types';
import { mergeResources } from '../../src/cgroups/merge';
import { fakeCgroupfs, recorder, type FakeCgroupfs } from './helpers/fake-cgroupfs';
import { sleep } from '../helpers/wait';

const facts = (layout: CgroupHostFacts['layout'] = 'v1'): CgroupHostFacts => ({
  layout,
  cpus: new Set([0, 1]),
  mems: new Set([0]),
  hugePageSizes: ['2MB'],
  v1Controllers: new Set(layout === 'v2' ? [] : ['cpu', 'memory', 'pids']),
  v2Controllers: new Set(layout === 'v1' ? [] : ['hugetlb']),
});

describe('update: runc flags to LinuxResources', () => {
  it('maps every flag to its field', () => {
    expect(
      resourcesFromFlags({
        blkioWeight: 300,
        cpuPeriod: 100000,
        cpuQuota: -1,
        cpuBurst: 500,
        cpuShares: 512,
        cpuRtPeriod: 1000000,
        cpuRtRuntime: 950000,
        cpusetCpus: '0-1',
        cpusetMems: '0',
        cpuIdle: 1,
        memory: 67108864,
        memoryReservation: 33554432,
        memorySwap: -1,
        pidsLimit: 99,
      }),
    ).toEqual({
      blockIO: { weight: 300 },
      cpu: { period: 100000, quota: -1, burst: 500, shares: 512, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '0-1', mems: '0', idle: 1 },
      memory: { limit: 67108864, reservation: 33554432, swap: -1 },
      pids: { limit: 99 },
    });
    expect(resourcesFromFlags({})).toEqual({});
  });

  it('ignores kernel memory flags with a warning, and refuses Intel RDT', () => {
    const warnings: string[] = [];
    expect(resourcesFromFlags({ kernelMemory: 1, kernelMemoryTcp: 2 }, (m) => warnings.push(m))).toEqual({});
    expect(warnings).toEqual([
      'setting --kernel-memory is ignored (kernel memory limits are obsolete)',
      'setting --kernel-memory-tcp is ignored (kernel memory limits are obsolete)',
    ]);
    expect(() => resourcesFromFlags({ l3CacheSchema: 'L3:0=f' })).toThrow(UsageError);
    expect(() => resourcesFromFlags({ memBwSchema: 'MB:0=50' })).toThrow(/--mem-bw-schema/);
  });

  it('"memory unlimited" without a swap value means swap unlimited too; devices cannot be updated', () => {
    expect(normalizeUpdate({ memory: { limit: -1 } })).toEqual({ memory: { limit: -1, swap: -1 } });
    expect(normalizeUpdate({ memory: { limit: -1, swap: 0 } })).toEqual({ memory: { limit: -1, swap: 0 } });
    expect(normalizeUpdate({ memory: { limit: 100 } })).toEqual({ memory: { limit: 100 } });
    const warnings: string[] = [];
    expect(normalizeUpdate({ devices: [{ allow: true, access: 'rwm' }], pids: { limit: 5 } }, (m) => warnings.push(m))).toEqual({ pids: { limit: 5 } });
    expect(warnings[0]).toMatch(/^devices: update cannot change device rules/);
  });
});

describe('update: the --resources document', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-update-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("reads docker's JSON from stdin", () => {
    const docker = '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}}';
    expect(readResourcesDocument('-', () => docker)).toEqual({
      memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 },
      cpu: { shares: 0, quota: 0, period: 0 },
      blockIO: { weight: 0 },
    });
  });

  it('reads a file; 64-bit values arrive as numbers', () => {
    const f = path.join(work, 'r.json');
    fs.writeFileSync(f, '{"memory":{"limit":9223372036854775807}}');
    expect(readResourcesDocument(f, () => '')).toEqual({ memory: { limit: 9223372036854775807 } });
  });

  it('errors name the source and the JSON path', () => {
    const err = (text: string) => {
      try {
        readResourcesDocument('-', () => text);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    };
    const e1 = err('{"memory":{"limit":"64m"}}');
    expect(e1).toBeInstanceOf(ConfigError);
    expect(e1.jsonPath).toBe('memory.limit');
    expect(e1.message).toMatch(/^resources \(stdin\): memory\.limit: expected/);
    expect(err('{"memory":').message).toMatch(/^resources \(stdin\): invalid JSON at line 1/);
    expect(err('').message).toMatch(/^resources \(stdin\): invalid JSON/);
    expect(() => readResourcesDocument(path.join(work, 'missing.json'), () => '')).toThrow(/read --resources .*missing\.json.*no such file/);
  });

  it('checks the merged result, naming the flag a bad value came from', () => {
    const current = { memory: { limit: 100 * 1024 * 1024 } };
    const upd = { memory: { swap: 50 * 1024 * 1024 } };
    const merged = mergeResources(current, upd);
    expect(() => checkUpdate(upd, merged, facts(), 'update', true)).toThrow(
      /^update: memory\.swap \(--memory-swap\): 52428800 is below memory\.limit 104857600/,
    );
    expect(() => checkUpdate(upd, merged, facts(), 'r.json', false)).toThrow(/^r\.json: memory\.swap: 52428800 is below/);
    const cpus = { cpu: { cpus: '0-3' } };
    expect(() => checkUpdate(cpus, cpus, facts(), 'update', true)).toThrow(/cpu\.cpus \(--cpuset-cpus\): CPU\(s\) 2,3 not online/);
    const unified = { unified: { 'foo.bar': '1' } };
    expect(() => checkUpdate(unified, unified, facts('hybrid'), 'resources (stdin)', false)).toThrow(/resources \(stdin\): unified\["foo\.bar"\]: the foo controller/);
  });

  it('warns only about what the update itself names', () => {
    const current = { memory: { limit: 100, kernel: 5 } };
    expect(checkUpdate({ pids: { limit: 5 } }, mergeResources(current, { pids: { limit: 5 } }), facts(), 'update', true)).toEqual([]);
    expect(checkUpdate({ memory: { kernel: 7 } }, mergeResources(current, { memory: { kernel: 7 } }), facts(), 'x', false)).toEqual([
      'x: memory.kernel: kernel memory limits are obsolete and ignored',
    ]);
  });
});

describe('ps: filtering ps(1) output', () => {
  const ef = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init',
    'root         501       1  0 10:01 ?        00:00:00 sh -c sleep 600',
    'root         502     501  0 10:01 ?        00:00:00 sleep 600',
    'root         777       1  0 10:02 ?        00:00:00 bash',
    '',
  ].join('\n');

  it('keeps the header and the rows of the given pids', () => {
    expect(filterPsOutput(ef, [501, 502])).toBe(
      'UID          PID    PPID  C STIME TTY          TIME CMD\nroot         501       1  0 10:01 ?        00:00:00 sh -c sleep 600\nroot         502     501  0 10:01 ?        00:00:00 sleep 600\n',
    );
    expect(filterPsOutput(ef, [])).toBe('UID          PID    PPID  C STIME TTY          TIME CMD\n');
  });

  it('finds the PID column wherever it is', () => {
    expect(filterPsOutput('USER COMMAND PID\nroot sleep 502\nroot bash 777\n', [502])).toBe('USER COMMAND PID\nroot sleep 502\n');
  });

  it('refuses output without a PID header or with an unparsable pid', () => {
    expect(() => filterPsOutput('COMMAND\nsleep\n', [1])).toThrow(/couldn't find PID field in ps output/);
    expect(() => filterPsOutput('PID CMD\nx sleep\n', [1])).toThrow(TsrunError);
  });
});

describe('events', () => {
  let fake: FakeCgroupfs;
  let root: string;
  let child: ReturnType<typeof spawn> | undefined;
  beforeEach(() => {
    fake = fakeCgroupfs('v2');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-events-'));
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    fake.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('oom records carry the id and no data', () => {
    expect(oomEvent('c1')).toBe('{"type":"oom","id":"c1"}\n');
  });

  /** A stored container whose init is a real `sleep` and whose cgroup is the fake tree's /c1. */
  const storeContainer = async (): Promise<number> => {
    child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child!.once('spawn', r));
    const pid = child.pid!;
    fake.populate('/c1', { 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n', 'pids.current': '1\n' });
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host });
    const state: StoredState = {
      formatVersion: STATE_FORMAT_VERSION,
      id: 'c1',
      initPid: pid,
      initStartTime: processStartTime(pid)!,
      bundle: '/b',
      rootfs: '/b/rootfs',
      created: '2026-01-01T00:00:00Z',
      owner: '',
      annotations: {},
      config: { ociVersion: '1.3.0' } as StoredState['config'],
      cgroup: m.descriptor(),
    };
    fs.mkdirSync(path.join(root, 'c1'));
    fs.writeFileSync(path.join(root, 'c1', 'state.json'), JSON.stringify(state));
    return pid;
  };
  const ctx = () => ({ root, rootExplicit: true, systemdCgroup: false });

  it('streams stats every interval and one oom record per OOM kill, and ends when the container stops', async () => {
    await storeContainer();
    const out: string[] = [];
    let polls = 0;
    const done = eventsContainer(ctx(), { id: 'c1', intervalMs: 40, stats: false }, {
      out: (t) => out.push(t),
      now: () => Date.now(),
      pollMs: 5,
      sleep: async (ms) => {
        polls++;
        if (polls === 10) fs.writeFileSync(fake.file('', '/c1', 'memory.events'), 'oom 2\noom_kill 2\n');
        if (polls === 30) child!.kill('SIGKILL');
        await sleep(ms);
      },
    });
    await done;
    const records = out.map((l) => JSON.parse(l));
    expect(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(records.filter((r) => r.type === 'oom')).toEqual([{ type: 'oom', id: 'c1' }, { type: 'oom', id: 'c1' }]);
    const stats = records.filter((r) => r.type === 'stats');
    expect(stats.length).toBeGreaterThan(0);
    expect(stats[0]).toMatchObject({ id: 'c1', data: { pids: { current: 1 } } });
  });

  it('--stats prints one record; a stopped container is refused', async () => {
    await storeContainer();
    const out: string[] = [];
    const deps = { out: (t: string) => out.push(t), now: () => Date.now(), pollMs: 5, sleep: async () => undefined };
    await eventsContainer(ctx(), { id: 'c1', intervalMs: 1000, stats: true }, deps);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ type: 'stats', id: 'c1' });
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await expect(eventsContainer(ctx(), { id: 'c1', intervalMs: 1000, stats: true }, deps)).rejects.toThrow(InvalidStateError);
    await expect(eventsContainer(ctx(), { id: 'c1', intervalMs: 1000, stats: true }, deps)).rejects.toThrow('container with id c1 is not running');
  });
});

describe('freezer probe and the hybrid freezer fallback', () => {
  let fake: FakeCgroupfs;
  let rec: ReturnType<typeof recorder>;
  afterEach(() => fake.cleanup());

  it('v1: frozen means FROZEN by its own freezer.state, not only through a frozen parent', () => {
    fake = fakeCgroupfs('hybrid');
    fake.populate('/c1', { 'freezer.state': 'FROZEN\n', 'freezer.self_freezing': '1\n' });
    const desc = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host }).descriptor();
    expect(isFrozen(desc)).toBe(true);
    fs.writeFileSync(fake.file('freezer', '/c1', 'freezer.self_freezing'), '0\n');
    expect(isFrozen(desc)).toBe(false);
    fs.writeFileSync(fake.file('freezer', '/c1', 'freezer.state'), 'THAWED\n');
    fs.writeFileSync(fake.file('', '/c1', 'cgroup.freeze'), '1\n'); // ignored while a v1 freezer exists
    expect(isFrozen(desc)).toBe(false);
  });

  it('v2: its own cgroup.freeze', () => {
    fake = fakeCgroupfs('v2');
    fake.populate('/c1', { 'cgroup.freeze': '1\n' });
    const desc = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host }).descriptor();
    expect(isFrozen(desc)).toBe(true);
    fs.writeFileSync(fake.file('', '/c1', 'cgroup.freeze'), '0\n');
    expect(isFrozen(desc)).toBe(false);
    expect(isFrozen(undefined)).toBe(false);
  });

  it('hybrid without a v1 freezer: pause, resume and kill --all 9 go through the unified dir', () => {
    fake = fakeCgroupfs('hybrid', ['cpu,cpuacct', 'memory', 'pids']);
    rec = recorder(fake.root);
    fake.populate('/c1');
    const events = fake.file('', '/c1', 'cgroup.events');
    fs.writeFileSync(events, 'populated 1\nfrozen 1\n'); // the fake kernel: already frozen
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host, trace: rec.trace });
    m.freeze();
    expect(rec.writes).toEqual(['unified/c1/cgroup.freeze <- 1']);
    expect(m.isFrozen()).toBe(true);
    expect(isFrozen(m.descriptor())).toBe(true);
    fs.writeFileSync(events, 'populated 1\nfrozen 0\n');
    m.thaw();
    expect(rec.writes.at(-1)).toBe('unified/c1/cgroup.freeze <- 0');
    expect(m.isFrozen()).toBe(false);
    rec.clear();
    m.killAll(9);
    expect(rec.writes).toEqual(['unified/c1/cgroup.kill <- 1']);
  });

  it('no freezer at all: pause names what is missing', () => {
    fake = fakeCgroupfs('v1', ['memory', 'pids']);
    fake.populate('/c1');
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host });
    expect(() => m.freeze()).toThrow(/cannot pause: this host has neither a v1 freezer hierarchy nor a cgroup v2 tree with cgroup.freeze/);
    expect(m.isFrozen()).toBe(false);
  });
});

describe('update rollback', () => {
  let fake: FakeCgroupfs;
  afterEach(() => fake.cleanup());

  it('v2: a refused write restores the files the update wrote before it, and the resources stay', () => {
    fake = fakeCgroupfs('v2');
    fake.populate('/c1', { 'pids.max': 'max\n', 'memory.max': 'max\n' });
    const warnings: string[] = [];
    // the fake tree is no cgroupfs: the device program goes nowhere
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host, warn: (w) => warnings.push(w), native: { loadDeviceFilter: () => undefined } });
    m.setResources({ pids: { limit: 10 } });
    expect(fs.readFileSync(fake.file('', '/c1', 'pids.max'), 'utf8')).toBe('10');
    fs.rmSync(fake.file('', '/c1', 'memory.max')); // the "kernel" refuses memory.max
    expect(() => m.update({ pids: { limit: 20 }, memory: { limit: 1 << 24 } })).toThrow(/linux\.resources\.memory\.limit: cannot write "16777216"/);
    expect(fs.readFileSync(fake.file('', '/c1', 'pids.max'), 'utf8')).toBe('10');
    expect(m.resources()).toEqual({ pids: { limit: 10 } });
    expect(warnings).toEqual([expect.stringMatching(/memory\.max cannot be restored/)]);
  });

  it('v1: the writes before the refused one are undone newest first', () => {
    fake = fakeCgroupfs('v1', ['cpuset', 'memory', 'pids']);
    fake.populate('/c1', { 'cpuset.cpus': '0-1\n', 'pids.max': 'max\n', 'memory.limit_in_bytes': '9223372036854771712\n' });
    const rec = recorder(fake.root);
    const m = cgroupManagerFor({ containerId: 'c1', cgroupsPath: '/c1', host: fake.host, trace: rec.trace });
    fs.rmSync(fake.file('pids', '/c1', 'pids.max'));
    expect(() => m.update({ cpu: { cpus: '0' }, memory: { limit: 1 << 24 }, pids: { limit: 5 } })).toThrow(/linux\.resources\.pids\.limit/);
    expect(rec.writes).toEqual([
      'cpuset/c1/cpuset.cpus <- 0',
      'memory/c1/memory.limit_in_bytes <- 16777216',
      'memory/c1/memory.limit_in_bytes <- 9223372036854771712',
      'cpuset/c1/cpuset.cpus <- 0-1',
    ]);
  });
});
