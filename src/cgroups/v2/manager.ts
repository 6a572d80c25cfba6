// The cgroup v2 manager: one directory in the unified hierarchy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromNodeError } from '../../errors';
import { log } from '../../log';
import { native } from '../../native/index';
import { BaseManager } from '../base';
import { SIGKILL } from '../../native/linux-constants';
import { hugePageSizes } from '../hostinfo';
import { normalizeDeviceRules, withDefaultAllows } from '../devices';
import { exists, readOptional, writeRaw, type CgroupWrite } from '../fsio';
import { mergeResources } from '../merge';
import type { LinuxResources } from '../resources';
import type { CgroupStats } from '../stats';
import { cpuV2Writes } from './cpu';
import { cpusetWrites } from './cpuset';
import { deviceFilterProgram } from './devices-ebpf';
import { isUnifiedFrozen, setUnifiedFrozen } from './freezer';
import { hugetlbV2Writes } from './hugetlb';
import { ioV2Writes } from './io';
import { memoryV2Writes } from './memory';
import { pidsWrites } from './pids';
import { rdmaWrites } from './rdma';
import { oomKillCountV2, statsV2 } from './stats';
import { unifiedWrites } from './unified';

/** Enable every controller `dir` offers for its children (runc does the same); ignore refusals. */
export function enableSubtreeControllers(dir: string, trace?: (p: string, v: string) => void, only?: readonly string[]): void {
  const available = (readOptional(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
  const enabled = new Set((readOptional(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean).map((c) => c.replace(/^\+/, '')));
  const want = available.filter((c) => !enabled.has(c) && (!only || only.includes(c)));
  if (want.length === 0) return;
  const file = path.join(dir, 'cgroup.subtree_control');
  const write = (v: string) => {
    writeRaw(file, v);
    trace?.(file, v);
  };
  try {
    write(want.map((c) => `+${c}`).join(' '));
  } catch {
    // one refused controller fails the whole write: enable the others one by one
    for (const c of want) {
      try {
        write(`+${c}`);
      } catch {
        /* not enableable here (threaded subtree, processes in an inner node): skipped */
      }
    }
  }
}

export class V2Manager extends BaseManager {
  private get dir(): string {
    return this.hierarchies[0]!.dir;
  }

  create(): void {
    this.makeDirs((h, dir) => {
      if (dir !== h.dir) enableSubtreeControllers(dir, this.env.trace);
    });
    this.checkEmpty();
    if (readOptional(path.join(this.dir, 'cgroup.freeze')) === '1') throw this.fail(`cgroup ${this.dir} is frozen: not a new container cgroup`, this.dir);
  }

  /** Controllers enabled for the container's cgroup. */
  private enabledControllers(): Set<string> {
    return new Set((readOptional(path.join(this.dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean));
  }

  /** All writes for `res`, in runc's fs2 order (devices are a BPF program, not writes). */
  computeWrites(res: LinuxResources): { before: CgroupWrite[]; after: CgroupWrite[] } {
    const warn = (m: string) => this.warn(m);
    const before = [
      ...pidsWrites(res.pids),
      ...memoryV2Writes(res.memory, { warn }),
      ...ioV2Writes(res.blockIO, { hasBfq: exists(path.join(this.dir, 'io.bfq.weight')), warn }),
      ...cpuV2Writes(res.cpu),
    ];
    const after = [...cpusetWrites(res.cpu), ...hugetlbV2Writes(res.hugepageLimits), ...rdmaWrites(res.rdma), ...unifiedWrites(res.unified, this.enabledControllers())];
    if (res.network && ((res.network.priorities ?? []).length > 0 || res.network.classID)) {
      throw this.fail('linux.resources.network: net_cls and net_prio are cgroup v1 controllers; cgroup v2 has no equivalent');
    }
    return { before, after };
  }

  private applyDevices(res: LinuxResources): void {
    const rules = withDefaultAllows(normalizeDeviceRules(res.devices), this.configDevicePaths);
    const nat = this.env.native ?? native();
    try {
      nat.loadDeviceFilter(this.dir, deviceFilterProgram(rules));
    } catch (err) {
      // rootless, bpf(2) is refused (a delegated cgroup, even systemd's,
      // takes no program from an unprivileged user): as runc, the container
      // goes without; its user namespace gives it no device it could misuse
      if ((err as NodeJS.ErrnoException).code === 'EPERM' && process.geteuid?.() !== 0) {
        log.debug(`rootless: no device filter for ${this.dir} (bpf: EPERM)`);
        return;
      }
      throw fromNodeError('linux.resources.devices: cannot install the device filter', err, { containerId: this.containerId, path: this.dir });
    }
  }

  private applyAll(res: LinuxResources, devices: boolean): void {
    const { before, after } = this.computeWrites(res);
    for (const w of before) this.write(this.dir, w);
    if (devices) this.applyDevices(res);
    for (const w of after) this.write(this.dir, w);
  }

  setResources(res: LinuxResources): void {
    this.applyAll(res, true);
    this.current = structuredClone(res);
  }

  update(res: LinuxResources): LinuxResources {
    const merged = mergeResources(this.current, res);
    if (res.memory?.checkBeforeUpdate) this.checkMemoryUsage(merged);
    this.transaction(() => this.applyAll(merged, (res.devices ?? []).length > 0));
    this.current = merged;
    return structuredClone(merged);
  }

  private checkMemoryUsage(res: LinuxResources): void {
    const usage = Number(readOptional(path.join(this.dir, 'memory.current')) ?? 0);
    for (const f of ['limit', 'swap'] as const) {
      const v = res.memory?.[f] ?? 0;
      if (v > 0 && v <= usage) throw this.fail(`memory.${f}: ${v} is not above the current usage ${usage} (memory.checkBeforeUpdate)`);
    }
  }

  freeze(): void {
    setUnifiedFrozen(this.dir, true, this.env.trace, this.containerId);
  }

  thaw(): void {
    setUnifiedFrozen(this.dir, false, this.env.trace, this.containerId);
  }

  isFrozen(): boolean {
    return isUnifiedFrozen(this.dir);
  }

  killAll(signal: number | NodeJS.Signals): void {
    if (!fs.existsSync(this.dir)) return;
    if ((signal === SIGKILL || signal === 'SIGKILL') && exists(path.join(this.dir, 'cgroup.kill'))) {
      this.write(this.dir, { file: 'cgroup.kill', value: '1', field: 'kill --all' });
      return;
    }
    const wasFrozen = this.isFrozen();
    if (!wasFrozen) this.freeze();
    try {
      this.signalPids(signal);
    } finally {
      if (!wasFrozen || signal === SIGKILL || signal === 'SIGKILL') this.thaw();
    }
  }

  stats(): CgroupStats {
    return statsV2(this.dir, hugePageSizes());
  }

  oomKillCount(): number {
    return oomKillCountV2(this.dir);
  }
}
