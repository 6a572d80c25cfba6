// The cgroup v1 manager, hybrid hosts included: one directory per v1
// hierarchy, plus the unified (cgroup2) directory on hybrid hosts, which every
// process joins too and where hugetlb limits and `unified` keys go.
import * as path from 'node:path';
import { BaseManager, pollUntil } from '../base';
import { SIGKILL } from '../../native/linux-constants';
import { normalizeDeviceRules, withDefaultAllows } from '../devices';
import { exists, parseUint, readOptional, sleepMs, type CgroupWrite } from '../fsio';
import { hugePageSizes } from '../hostinfo';
import { mergeResources } from '../merge';
import type { HierarchyDir } from '../paths';
import type { LinuxResources } from '../resources';
import type { CgroupStats } from '../stats';
import { enableSubtreeControllers } from '../v2/manager';
import { isUnifiedFrozen, setUnifiedFrozen } from '../v2/freezer';
import { unifiedKeyProblem, unifiedWrites } from '../v2/unified';
import { blkioV1Writes } from './blkio';
import { cpuV1Writes } from './cpu';
import { cpusetCopyDownWrites, cpusetV1Writes } from './cpuset';
import { devicesV1Writes } from './devices';
import { hugetlbV1Writes } from './hugetlb';
import { memoryV1Writes } from './memory';
import { netV1Writes } from './net';
import { pidsV1Writes } from './pids';
import { rdmaV1Writes } from './rdma';
import { oomKillCountV1, statsV1 } from './stats';

const FREEZE_TIMEOUT_MS = 10_000;

export class V1Manager extends BaseManager {
  /** The container's dir in the hierarchy that has `controller`. */
  dirOf(controller: string): string | undefined {
    return this.hierarchies.find((h) => h.key !== '' && h.controllers.includes(controller))?.dir;
  }

  private get unified(): HierarchyDir | undefined {
    return this.hierarchies.find((h) => h.key === '');
  }

  create(): void {
    this.makeDirs((h, dir) => {
      if (h.controllers.includes('cpuset') && dir !== h.mountpoint) this.copyCpusetFromParent(dir);
    });
    this.checkEmpty();
    const freezer = this.dirOf('freezer');
    if (freezer && readOptional(path.join(freezer, 'freezer.state')) === 'FROZEN') {
      throw this.fail(`cgroup ${freezer} is frozen: not a new container cgroup`, freezer);
    }
  }

  /** A new v1 cpuset refuses tasks until cpus and mems are set: inherit the parent's. */
  private copyCpusetFromParent(dir: string): void {
    const read = (d: string, f: string) => readOptional(path.join(d, f)) ?? '';
    const parent = path.dirname(dir);
    const writes = cpusetCopyDownWrites(
      { cpus: read(dir, 'cpuset.cpus'), mems: read(dir, 'cpuset.mems') },
      { cpus: read(parent, 'cpuset.cpus'), mems: read(parent, 'cpuset.mems') },
    );
    for (const w of writes) this.write(dir, w);
  }

  /** The hugetlb controller lives only in the unified tree (hybrid host). */
  private hugetlbInUnified(): boolean {
    return this.dirOf('hugetlb') === undefined && this.unified !== undefined;
  }

  /** All writes for `res` in runc's fs order (cpuset, devices, memory, cpu, pids, blkio, hugetlb, net, rdma) + unified. */
  computeWrites(res: LinuxResources, devices: boolean): CgroupWrite[] {
    const warn = (m: string) => this.warn(m);
    const memDir = this.dirOf('memory');
    const blkioDir = this.dirOf('blkio');
    // runc's device rules apply to every container; without a devices
    // hierarchy only rules the config asks for are an error
    const implicitOnly = (res.devices ?? []).length === 0;
    const rules = devices && !(implicitOnly && this.dirOf('devices') === undefined) ? withDefaultAllows(normalizeDeviceRules(res.devices), this.configDevicePaths) : [];
    const writes = [
      ...cpusetV1Writes(res.cpu),
      ...devicesV1Writes(rules),
      ...memoryV1Writes(res.memory, {
        currentLimit: memDir ? BigInt(parseUint(readOptional(path.join(memDir, 'memory.limit_in_bytes')))) : 0n,
        swapAccounting: memDir !== undefined && exists(path.join(memDir, 'memory.memsw.limit_in_bytes')),
        warn,
      }),
      ...cpuV1Writes(res.cpu),
      ...pidsV1Writes(res.pids),
      ...blkioV1Writes(res.blockIO, { hasCfqWeight: blkioDir !== undefined && exists(path.join(blkioDir, 'blkio.weight')) }),
      ...hugetlbV1Writes(res.hugepageLimits, this.hugetlbInUnified()),
      ...netV1Writes(res.network),
      ...rdmaV1Writes(res.rdma),
    ];
    return [...writes, ...this.unifiedKeyWrites(res.unified)];
  }

  /** Hybrid hosts: `unified` keys go to the cgroup2 dir, and only files that exist there. */
  private unifiedKeyWrites(unified: Record<string, string> | undefined): CgroupWrite[] {
    const keys = Object.keys(unified ?? {});
    if (keys.length === 0) return [];
    const u = this.unified;
    if (!u) throw this.fail(`linux.resources.unified[${JSON.stringify(keys[0])}]: unified resources need cgroup v2, and this host has only cgroup v1`);
    for (const key of keys) {
      const problem = unifiedKeyProblem(key);
      if (problem) throw this.fail(`linux.resources.unified[${JSON.stringify(key)}]: ${problem}`);
      if (key.startsWith('hugetlb.')) this.enableUnifiedHugetlb();
      if (!exists(path.join(u.dir, key))) {
        throw this.fail(`linux.resources.unified[${JSON.stringify(key)}]: ${path.join(u.dir, key)} does not exist; this hybrid host's cgroup v2 tree offers only: ${this.unifiedControllers().join(' ') || 'no controllers'}`, path.join(u.dir, key));
      }
    }
    return unifiedWrites(unified, new Set([...this.unifiedControllers(), ...keys.map((k) => k.split('.')[0]!)])).map((w) => ({ ...w, unified: true }));
  }

  private unifiedControllers(): string[] {
    const u = this.unified;
    return u ? (readOptional(path.join(u.dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean) : [];
  }

  /** hugetlb must be enabled in every ancestor's subtree_control of the unified dir. */
  private enableUnifiedHugetlb(): void {
    const u = this.unified!;
    let dir = u.mountpoint;
    for (const part of path.posix.relative(u.mountpoint, u.dir).split('/').filter(Boolean)) {
      enableSubtreeControllers(dir, this.env.trace, ['hugetlb']);
      dir = path.posix.join(dir, part);
    }
  }

  private targetDir(w: CgroupWrite): string {
    if (w.unified) {
      if (!this.unified) throw this.fail(`${w.field}: this host has no cgroup v2 tree for ${w.file}`);
      return this.unified.dir;
    }
    const ctrl = w.file.slice(0, w.file.indexOf('.'));
    const dir = this.dirOf(ctrl);
    if (!dir) throw this.fail(`${w.field}: the ${ctrl} cgroup controller is not mounted on this host (no ${ctrl} hierarchy)`);
    return dir;
  }

  private applyWrites(writes: CgroupWrite[]): void {
    if (this.hugetlbInUnified() && writes.some((w) => w.unified && w.file.startsWith('hugetlb.'))) this.enableUnifiedHugetlb();
    const dirs = writes.map((w) => this.targetDir(w)); // every controller present before the first write
    writes.forEach((w, i) => {
      const done = this.write(dirs[i]!, w);
      if (done && w.file === 'cpu.shares') this.verifyShares(dirs[i]!, w);
    });
  }

  /** The kernel clamps cpu.shares silently; runc reports it, so do we. */
  private verifyShares(dir: string, w: CgroupWrite): void {
    const got = readOptional(path.join(dir, 'cpu.shares'));
    if (got !== undefined && got !== w.value) {
      throw this.fail(`${w.field}: the kernel accepts cpu.shares ${Number(got) > Number(w.value) ? 'of at least' : 'up to'} ${got}, not ${w.value} (${path.join(dir, 'cpu.shares')})`, path.join(dir, 'cpu.shares'));
    }
  }

  setResources(res: LinuxResources): void {
    this.applyWrites(this.computeWrites(res, true));
    this.current = structuredClone(res);
  }

  update(res: LinuxResources): LinuxResources {
    const merged = mergeResources(this.current, res);
    if (res.memory?.checkBeforeUpdate) this.checkMemoryUsage(merged);
    this.transaction(() => this.applyWrites(this.computeWrites(merged, (res.devices ?? []).length > 0)));
    this.current = merged;
    return structuredClone(merged);
  }

  private checkMemoryUsage(res: LinuxResources): void {
    const dir = this.dirOf('memory');
    const usage = Number((dir && readOptional(path.join(dir, 'memory.usage_in_bytes'))) ?? 0);
    for (const f of ['limit', 'swap'] as const) {
      const v = res.memory?.[f] ?? 0;
      if (v > 0 && v <= usage) throw this.fail(`memory.${f}: ${v} is not above the current usage ${usage} (memory.checkBeforeUpdate)`);
    }
  }

  /**
   * Where pause freezes: the v1 freezer hierarchy, else (a hybrid host
   * without a v1 freezer) the unified tree's cgroup.freeze, which every
   * container process joins too.
   */
  private freezer(): { v1: string } | { unified: string } | undefined {
    const v1 = this.dirOf('freezer');
    if (v1) return { v1 };
    const u = this.unified;
    if (u && exists(path.join(u.dir, 'cgroup.freeze'))) return { unified: u.dir };
    return undefined;
  }

  private requireFreezer(): { v1: string } | { unified: string } {
    const f = this.freezer();
    if (!f) throw this.fail('cannot pause: this host has neither a v1 freezer hierarchy nor a cgroup v2 tree with cgroup.freeze');
    return f;
  }

  private freezerState(dir: string): string | undefined {
    return readOptional(path.join(dir, 'freezer.state'));
  }

  /** Write FROZEN until it reads back FROZEN; a stuck FREEZING is thawed and retried (runc does the same). */
  freeze(): void {
    const f = this.requireFreezer();
    if ('unified' in f) return setUnifiedFrozen(f.unified, true, this.env.trace, this.containerId);
    const dir = f.v1;
    const w = (value: string) => this.write(dir, { file: 'freezer.state', value, field: 'pause' });
    let attempt = 0;
    const frozen = pollUntil(() => {
      attempt++;
      if (attempt % 50 === 0) {
        w('THAWED');
        sleepMs(10);
      }
      w('FROZEN');
      return this.freezerState(dir) === 'FROZEN';
    }, FREEZE_TIMEOUT_MS);
    if (!frozen) {
      w('THAWED');
      throw this.fail(`cgroup ${dir} did not freeze within ${FREEZE_TIMEOUT_MS / 1000}s (state ${this.freezerState(dir)})`, dir);
    }
  }

  thaw(): void {
    const f = this.requireFreezer();
    if ('unified' in f) return setUnifiedFrozen(f.unified, false, this.env.trace, this.containerId);
    const dir = f.v1;
    this.write(dir, { file: 'freezer.state', value: 'THAWED', field: 'resume' });
    if (!pollUntil(() => this.freezerState(dir) === 'THAWED', FREEZE_TIMEOUT_MS)) {
      throw this.fail(`cgroup ${dir} did not thaw within ${FREEZE_TIMEOUT_MS / 1000}s`, dir);
    }
  }

  /** Frozen by its own freezer.state (a frozen parent alone does not count, like runc). */
  isFrozen(): boolean {
    const f = this.freezer();
    if (!f) return false;
    if ('unified' in f) return isUnifiedFrozen(f.unified);
    if (this.freezerState(f.v1) !== 'FROZEN') return false;
    return readOptional(path.join(f.v1, 'freezer.self_freezing')) !== '0';
  }

  /**
   * Freeze, signal every pid, thaw: nothing can fork in between. A task frozen
   * by the freezer handles a signal only once thawed, so SIGKILL always
   * thaws; other signals leave a paused container paused. Without a v1
   * freezer, SIGKILL goes through the unified tree's cgroup.kill.
   */
  killAll(signal: number | NodeJS.Signals): void {
    const kill = signal === SIGKILL || signal === 'SIGKILL';
    if (!this.exists()) return;
    const f = this.freezer();
    if (f && 'unified' in f && kill && exists(path.join(f.unified, 'cgroup.kill'))) {
      this.write(f.unified, { file: 'cgroup.kill', value: '1', field: 'kill --all' });
      return;
    }
    if (!f) {
      // no freezer: repeat until no new pids appear (a forking task may escape one pass)
      for (let i = 0; i < (kill ? 5 : 1) && this.pids().length > 0; i++) this.signalPids(signal);
      return;
    }
    const wasFrozen = this.isFrozen();
    if (!wasFrozen) this.freeze();
    try {
      this.signalPids(signal);
    } finally {
      if (!wasFrozen || kill) this.thaw();
    }
  }

  stats(): CgroupStats {
    return statsV1((c) => this.dirOf(c), this.unified?.dir, hugePageSizes());
  }

  oomKillCount(): number {
    return oomKillCountV1(this.dirOf('memory'));
  }
}
