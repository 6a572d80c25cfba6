// The v1/hybrid cgroup manager on this host's real cgroups, as root: limits
// read back from the kernel, and enforced on real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { cgroupManagerFor, loadCgroupManager, type CgroupManager } from '../../src/cgroups/manager';
import { statsToJson } from '../../src/cgroups/stats';
import { normalizeDeviceRules, withDefaultAllows } from '../../src/cgroups/devices';
import { deviceFilterProgram } from '../../src/cgroups/v2/devices-ebpf';
import { native } from '../../src/native/index';
import { CgroupError } from '../../src/errors';
import { sleep } from '../helpers';

const host = detectCgroupHost();
const runnable = process.getuid?.() === 0 && host.layout !== 'v2';

/** A process that waits on stdin before exec'ing `script`, so it can be put into a cgroup first. */
interface Gated {
  child: ChildProcess;
  pid: number;
  release(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}
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
/** major:minor of a real block device of this host (throttle files refuse unknown devices) */
const blockDevice = (() => {
  const line = fs.readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).find((l) => l.trim());
  const [major, minor] = line!.trim().split(/\s+/).map(Number);
  return { major: major!, minor: minor! };
})();

describe.skipIf(!runnable)('cgroup v1/hybrid manager on this host', () => {
  const managers: CgroupManager[] = [];
  const children: ChildProcess[] = [];
  let name = '';

  const make = (opts: { cgroupsPath?: string; id?: string } = {}) => {
    name = `tsrun-test-${randomBytes(4).toString('hex')}`;
    const m = cgroupManagerFor({ containerId: opts.id ?? name, cgroupsPath: opts.cgroupsPath ?? `/${name}` });
    managers.push(m);
    return m;
  };
  const start = (m: CgroupManager, script: string) => {
    const g = gated(script);
    children.push(g.child);
    m.apply(g.pid);
    return g;
  };
  const dir = (m: CgroupManager, ctrl: string) => m.dirs().find((d) => d.controllers.includes(ctrl) || (ctrl === '' && d.key === ''))!.dir;

  // hugepage limits enable hugetlb in the unified root's subtree_control; give the host back its state
  const unifiedRootControl = host.unified ? path.join(host.unified.mountpoint, 'cgroup.subtree_control') : undefined;
  const unifiedRootBefore = unifiedRootControl && runnable ? read(unifiedRootControl).split(' ').filter(Boolean) : [];
  afterAll(() => {
    if (!unifiedRootControl || !runnable) return;
    for (const c of read(unifiedRootControl).split(' ').filter(Boolean)) {
      if (!unifiedRootBefore.includes(c)) fs.writeFileSync(unifiedRootControl, `-${c}`);
    }
  });

  afterEach(() => {
    for (const m of managers.splice(0)) {
      m.destroy();
      for (const d of m.dirs()) expect(fs.existsSync(d.dir), `${d.dir} left behind`).toBe(false);
    }
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('creates the path in every hierarchy and the unified tree; the process shows 0::/<path> too', async () => {
    const m = make();
    m.create();
    const g = start(m, 'sleep 30');
    const cg = read(`/proc/${g.pid}/cgroup`);
    for (const h of host.v1) expect(cg).toContain(`:${h.key}:/${name}\n`.trimEnd());
    if (host.layout === 'hybrid') expect(cg).toMatch(new RegExp(`^0::/${name}$`, 'm'));
    expect(m.pids()).toEqual([g.pid]);
    expect(m.descriptor().created).toHaveLength(m.dirs().length);
  });

  it('sets memory, cpu, pids, cpuset, blkio and device limits the kernel reads back', () => {
    const m = make();
    m.create();
    start(m, 'sleep 30');
    m.setResources({
      memory: { limit: 33554432, swap: 33554432, reservation: 16777216, swappiness: 0 },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 50 },
      blockIO: { throttleReadBpsDevice: [{ ...blockDevice, rate: 1048576 }] },
      devices: [{ allow: false, access: 'rwm' }],
    });
    expect(read(`${dir(m, 'memory')}/memory.limit_in_bytes`)).toBe('33554432');
    expect(read(`${dir(m, 'memory')}/memory.memsw.limit_in_bytes`)).toBe('33554432');
    expect(read(`${dir(m, 'memory')}/memory.soft_limit_in_bytes`)).toBe('16777216');
    expect(read(`${dir(m, 'memory')}/memory.swappiness`)).toBe('0');
    expect(read(`${dir(m, 'cpu')}/cpu.shares`)).toBe('512');
    expect(read(`${dir(m, 'cpu')}/cpu.cfs_quota_us`)).toBe('50000');
    expect(read(`${dir(m, 'cpu')}/cpu.cfs_period_us`)).toBe('100000');
    expect(read(`${dir(m, 'pids')}/pids.max`)).toBe('50');
    expect(read(`${dir(m, 'cpuset')}/cpuset.cpus`)).toBe('0');
    expect(read(`${dir(m, 'cpuset')}/cpuset.mems`)).toBe('0');
    const blkio = dir(m, 'blkio');
    expect(read(`${blkio}/blkio.throttle.read_bps_device`)).toBe(`${blockDevice.major}:${blockDevice.minor} 1048576`);
    const devices = read(`${dir(m, 'devices')}/devices.list`).split('\n');
    expect(devices).toContain('c 1:3 rwm');
    expect(devices).toContain('c 136:* rwm');
    expect(devices).not.toContain('a *:* rwm');
    expect(m.resources().pids).toEqual({ limit: 50 });
  });

  it('blockIO.weight goes to the weight file this kernel has (CFQ or BFQ), or the error names the missing file', () => {
    const m = make();
    m.create();
    const blkio = dir(m, 'blkio');
    // kernel builds differ: CFQ's blkio.weight, BFQ's blkio.bfq.weight, or neither
    const weightFile = ['blkio.weight', 'blkio.bfq.weight'].find((f) => fs.existsSync(`${blkio}/${f}`));
    if (weightFile) {
      m.setResources({ blockIO: { weight: 300 } });
      expect(read(`${blkio}/${weightFile}`)).toMatch(/(^|\s)300$/);
    } else {
      expect(() => m.setResources({ blockIO: { weight: 300 } })).toThrow(
        /linux\.resources\.blockIO\.weight: cannot write "300" to .*blkio\.bfq\.weight: this host's cgroups do not provide blkio\.bfq\.weight/,
      );
    }
  });

  it('update merges: docker-style zeros keep the rest, a bigger limit raises memsw first', () => {
    const m = make();
    m.create();
    start(m, 'sleep 30');
    m.setResources({ memory: { limit: 33554432, swap: 33554432 }, cpu: { shares: 512 } });
    const merged = m.update({ memory: { limit: 67108864, reservation: 0, swap: 134217728, kernel: 0 }, cpu: { shares: 0, quota: 0, period: 0 }, blockIO: { weight: 0 } });
    expect(read(`${dir(m, 'memory')}/memory.limit_in_bytes`)).toBe('67108864');
    expect(read(`${dir(m, 'memory')}/memory.memsw.limit_in_bytes`)).toBe('134217728');
    expect(read(`${dir(m, 'cpu')}/cpu.shares`)).toBe('512');
    expect(merged).toEqual({ memory: { limit: 67108864, swap: 134217728 }, cpu: { shares: 512 } });
    // a later tsrun process reloads the manager from the stored descriptor
    const again = loadCgroupManager(JSON.parse(JSON.stringify(m.descriptor())));
    expect(again.resources()).toEqual(merged);
    expect(again.pids()).toEqual(m.pids());
  });

  it('freeze stops a counting loop, thaw lets it continue', async () => {
    const m = make();
    m.create();
    const counter = path.join(os.tmpdir(), `${name}.count`);
    const g = start(m, `i=0; while :; do i=$((i+1)); echo $i >> ${counter}; sleep 0.02; done`);
    g.release();
    try {
      await sleep(300);
      m.freeze();
      expect(m.isFrozen()).toBe(true);
      const a = await readCounter(counter);
      await sleep(400);
      expect(await readCounter(counter)).toBe(a);
      m.thaw();
      expect(m.isFrozen()).toBe(false);
      await sleep(400);
      expect(await readCounter(counter)).toBeGreaterThan(a);
    } finally {
      fs.rmSync(counter, { force: true });
    }
  });

  it('killAll signals every process, even a paused container (SIGKILL thaws it)', async () => {
    const m = make();
    m.create();
    const g = start(m, 'sleep 30 & sleep 30 & wait');
    g.release();
    await sleep(200);
    expect(m.pids().length).toBe(3);
    m.freeze();
    m.killAll('SIGKILL');
    expect(await g.exited).toEqual({ code: null, signal: 'SIGKILL' });
    for (let i = 0; i < 50 && m.pids().length > 0; i++) await sleep(20);
    expect(m.pids()).toEqual([]);
    expect(m.isFrozen()).toBe(false);
  });

  it('killAll with SIGTERM leaves a paused container paused until resumed', async () => {
    const m = make();
    m.create();
    const g = start(m, 'sleep 30');
    g.release();
    await sleep(100);
    m.freeze();
    m.killAll(15);
    expect(m.isFrozen()).toBe(true);
    await sleep(100);
    expect(g.child.exitCode === null && g.child.signalCode === null).toBe(true);
    m.thaw();
    expect((await g.exited).signal).toBe('SIGTERM');
  });

  it('an allocation past the memory limit is OOM-killed and counted', async () => {
    const m = make();
    m.create();
    const g = start(m, `exec perl -e '$x = "a" x (200*1024*1024); print "survived\\n"'`);
    m.setResources({ memory: { limit: 33554432, swap: 33554432 } });
    expect(m.oomKillCount()).toBe(0);
    g.release();
    const r = await g.exited;
    expect(r.signal).toBe('SIGKILL');
    expect(g.output()).not.toContain('survived');
    expect(m.oomKillCount()).toBeGreaterThanOrEqual(1);
    const stats = m.stats();
    expect(Number(stats.memory.usage!.max)).toBeGreaterThan(30 * 1024 * 1024);
    expect(stats.memory.usage!.limit).toBe(33554432);
  });

  it('the pids limit stops forks', async () => {
    const m = make();
    m.create();
    const g = start(m, 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait');
    m.setResources({ pids: { limit: 4 } });
    g.release();
    await sleep(300);
    expect(Number(read(`${dir(m, 'pids')}/pids.current`))).toBeLessThanOrEqual(4);
    m.killAll(9);
    await g.exited;
    expect(g.output()).toMatch(/fork|Resource temporarily unavailable|Cannot/i);
    expect(m.stats().pids.limit).toBe(4);
  });

  it('a denied device cannot be opened; runc\'s default allows still work', async () => {
    const m = make();
    m.create();
    const g = start(m, 'head -c1 /dev/null && echo null-ok; head -c1 /dev/kmsg >/dev/null && echo kmsg-ok || echo kmsg-denied');
    m.setResources({ devices: [{ allow: false, access: 'rwm' }] });
    g.release();
    await g.exited;
    expect(g.output()).toContain('null-ok');
    expect(g.output()).toContain('kmsg-denied');
    expect(g.output()).toMatch(/Operation not permitted/);
  });

  it.skipIf(host.layout !== 'hybrid')('hybrid: hugepage limits land in the unified tree', () => {
    const m = make();
    m.create();
    start(m, 'sleep 30');
    m.setResources({ hugepageLimits: [{ pageSize: '2MB', limit: 0 }] });
    expect(read(`${dir(m, '')}/hugetlb.2MB.max`)).toBe('0');
    expect(m.stats().hugetlb['2MB']).toBeDefined();
  });

  it('cpu stats count what a busy process used', async () => {
    const m = make();
    m.create();
    const g = start(m, 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done');
    g.release();
    await g.exited;
    const s = m.stats();
    expect(Number(s.cpu.usage!.total)).toBeGreaterThan(1_000_000);
    expect(JSON.parse(statsToJson(s)).cpu.usage.total).toBeGreaterThan(0);
  });

  it('an empty cgroupsPath nests /<id> under the caller\'s own cgroup in each hierarchy (runc)', () => {
    const id = `tsrun-test-${randomBytes(4).toString('hex')}`;
    const m = cgroupManagerFor({ containerId: id, cgroupsPath: '' });
    managers.push(m);
    m.create();
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8');
    for (const h of host.v1) {
      const mine = new RegExp(`^\\d+:${h.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(.*)$`, 'm').exec(own)![1]!;
      expect(m.dirs().find((d) => d.key === h.key)!.dir).toBe(path.posix.join(h.mountpoint, mine, id));
      expect(fs.existsSync(path.posix.join(h.mountpoint, mine, id))).toBe(true);
    }
  });

  it('a nested path: destroy removes only what create made', () => {
    const outer = make();
    outer.create();
    const outerName = name;
    const inner = cgroupManagerFor({ containerId: 'inner', cgroupsPath: `/${outerName}/inner/c1` });
    inner.create();
    expect(inner.descriptor().created.length).toBe(2 * inner.dirs().length);
    inner.destroy();
    for (const d of outer.dirs()) {
      expect(fs.existsSync(d.dir)).toBe(true);
      expect(fs.existsSync(path.join(d.dir, 'inner'))).toBe(false);
    }
    inner.destroy();
  });

  it('values the kernel refuses fail naming the OCI field and the file, and leave nothing behind', () => {
    const m = make();
    m.create();
    const expectError = (res: Parameters<CgroupManager['setResources']>[0], field: RegExp, file: RegExp) => {
      let err: unknown;
      try {
        m.setResources(res);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CgroupError);
      expect((err as Error).message).toMatch(field);
      expect((err as Error).message).toMatch(file);
    };
    expectError({ blockIO: { throttleReadBpsDevice: [{ major: 1, minor: 0, rate: 1 }] } }, /^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\]: cannot write "1:0 1"/, /blkio\.throttle\.read_bps_device: no such device \(ENODEV\)/);
    expectError({ cpu: { cpus: '7' } }, /^linux\.resources\.cpu\.cpus: /, /cpuset\/tsrun-test-[0-9a-f]+\/cpuset\.cpus/);
    expectError({ cpu: { shares: 1 } }, /^linux\.resources\.cpu\.shares: the kernel accepts cpu\.shares of at least 2/, /cpu\.shares/);
    expectError({ memory: { kernelTCP: -5 } }, /^linux\.resources\.memory\.kernelTCP: -5 is not a byte count/, /./);
    expectError({ rdma: { mlx5_0: { hcaHandles: 1 } } }, /^linux\.resources\.rdma\["mlx5_0"\]: the rdma cgroup controller is not mounted/, /./);
    if (host.layout === 'hybrid') expectError({ unified: { 'memory.high': '1' } }, /^linux\.resources\.unified\["memory\.high"\]: /, /unified\/tsrun-test-[0-9a-f]+\/memory\.high does not exist/);
  });

  it('delete --force after a crash inside create: a fresh manager removes the unrecorded leaf dirs only', () => {
    const m = make();
    m.create();
    start(m, 'sleep 30');
    const fresh = cgroupManagerFor({ containerId: name, cgroupsPath: `/${name}` });
    fresh.destroy();
    expect(m.dirs().every((d) => fs.existsSync(d.dir))).toBe(true); // nothing recorded: nothing removed
    fresh.destroy({ includeUnrecordedLeaf: true });
    expect(m.dirs().some((d) => fs.existsSync(d.dir))).toBe(false);
    expect(m.pids()).toEqual([]);
  });

  it('a cgroup that already holds processes is refused at create', () => {
    const m = make();
    m.create();
    start(m, 'sleep 30');
    const again = cgroupManagerFor({ containerId: 'again', cgroupsPath: `/${name}` });
    expect(() => again.create()).toThrow(/already holds 1 process/);
  });

  it.skipIf(host.layout !== 'hybrid')('the eBPF device filter (C addon) works on the hybrid host\'s cgroup2 tree, and an update replaces it', async () => {
    const m = make();
    m.create();
    const unified = dir(m, '');
    const deny = withDefaultAllows(normalizeDeviceRules([{ allow: false, access: 'rwm' }]));
    native().loadDeviceFilter(unified, deviceFilterProgram(deny));
    const first = native().queryDeviceFilters(unified);
    expect(first).toHaveLength(1);
    native().loadDeviceFilter(unified, deviceFilterProgram(deny));
    const second = native().queryDeviceFilters(unified);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    const g = start(m, 'head -c1 /dev/null && echo null-ok; head -c1 /dev/kmsg >/dev/null && echo kmsg-ok || echo kmsg-denied');
    g.release();
    await g.exited;
    expect(g.output()).toContain('null-ok');
    expect(g.output()).toContain('kmsg-denied');
    let err: unknown;
    try {
      native().loadDeviceFilter(unified, Buffer.alloc(8));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'EINVAL', syscall: 'bpf(BPF_PROG_LOAD)' });
    expect((err as { verifierLog?: string }).verifierLog).toMatch(/exit/);
  });

  it('the mount plan binds the container\'s own dir of every v1 hierarchy', () => {
    const m = make();
    const plan = m.mountPlan({ destination: '/sys/fs/cgroup', flags: 0xf, propagation: [], cgroupNamespace: false });
    expect(plan.mounts[0]!.fstype).toBe('tmpfs');
    expect(plan.mounts.slice(1).map((x) => x.source)).toEqual(host.v1.map((h) => `${h.mountpoint}/${name}`));
    // the tmpfs stays writable, as runc leaves it: no remount
    expect(plan.mounts[0]!.flags & 0x1).toBe(0);
  });
});
