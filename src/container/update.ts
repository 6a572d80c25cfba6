// `update`: change the resources of a created, running or paused container
// (runc update). The new values come from a LinuxResources JSON document
// (`--resources FILE|-`) or from runc's per-field flags; zero or absent means
// "unchanged". The merged result is checked like config.json's resources,
// applied, and persisted in state.json's cgroup descriptor.
import * as fs from 'node:fs';
import { SpecValidationError } from '../../oci-spec/errors';
import { parseJsonText, parseResources } from '../../oci-spec/validate';
import { cgroupHostFacts, checkResources, type CgroupHostFacts } from '../cgroups/checks';
import { mergeResources } from '../cgroups/merge';
import { fromSpecResources, type LinuxResources } from '../cgroups/resources';
import { ConfigError, fromNodeError, UsageError } from '../errors';
import { log } from '../log';
import { StateStore } from '../state/store';
import { assertCan } from '../state/transitions';
import { formatFinding } from '../validate/checks';
import { Container } from './container';
import { cgroupOf } from './cgroup-of';
import type { RuntimeContext, UpdateOptions, UpdateValues } from './options';

export interface UpdateDeps {
  /** the whole of stdin (for `--resources -`) */
  readStdin: () => string;
  hostFacts: () => CgroupHostFacts;
  warn: (message: string) => void;
}

/** All of stdin; a non-blocking pipe (inherited from an engine) is waited on, not failed. */
function readAllStdin(): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 5);
        continue;
      }
      if ((err as NodeJS.ErrnoException).code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const defaultDeps = (): UpdateDeps => ({
  readStdin: readAllStdin,
  hostFacts: () => cgroupHostFacts(),
  warn: (m) => log.warn(m),
});

/** The runc flag behind each resource path, for messages about flag values. */
const FLAG_OF: Record<string, string> = {
  'blockIO.weight': '--blkio-weight',
  'cpu.period': '--cpu-period',
  'cpu.quota': '--cpu-quota',
  'cpu.burst': '--cpu-burst',
  'cpu.shares': '--cpu-share',
  'cpu.realtimePeriod': '--cpu-rt-period',
  'cpu.realtimeRuntime': '--cpu-rt-runtime',
  'cpu.cpus': '--cpuset-cpus',
  'cpu.mems': '--cpuset-mems',
  'cpu.idle': '--cpu-idle',
  'memory.limit': '--memory',
  'memory.reservation': '--memory-reservation',
  'memory.swap': '--memory-swap',
  'pids.limit': '--pids-limit',
};

/** runc update's flags → LinuxResources (kernel memory flags are ignored with a warning, like runc). */
export function resourcesFromFlags(v: UpdateValues, warn: (m: string) => void = () => {}): LinuxResources {
  if (v.l3CacheSchema !== undefined) throw new UsageError('--l3-cache-schema: Intel RDT/CAT is not supported by tsrun');
  if (v.memBwSchema !== undefined) throw new UsageError('--mem-bw-schema: Intel RDT/MBA is not supported by tsrun');
  if (v.kernelMemory !== undefined) warn('setting --kernel-memory is ignored (kernel memory limits are obsolete)');
  if (v.kernelMemoryTcp !== undefined) warn('setting --kernel-memory-tcp is ignored (kernel memory limits are obsolete)');
  const res: LinuxResources = {};
  const put = <G extends 'memory' | 'cpu' | 'pids' | 'blockIO'>(group: G, key: string, value: unknown) => {
    if (value === undefined) return;
    const obj = (res[group] ??= {}) as Record<string, unknown>;
    obj[key] = value;
  };
  put('blockIO', 'weight', v.blkioWeight);
  put('cpu', 'period', v.cpuPeriod);
  put('cpu', 'quota', v.cpuQuota);
  put('cpu', 'burst', v.cpuBurst);
  put('cpu', 'shares', v.cpuShares);
  put('cpu', 'realtimePeriod', v.cpuRtPeriod);
  put('cpu', 'realtimeRuntime', v.cpuRtRuntime);
  put('cpu', 'cpus', v.cpusetCpus);
  put('cpu', 'mems', v.cpusetMems);
  put('cpu', 'idle', v.cpuIdle);
  put('memory', 'limit', v.memory);
  put('memory', 'reservation', v.memoryReservation);
  put('memory', 'swap', v.memorySwap);
  put('pids', 'limit', v.pidsLimit);
  return res;
}

/** Read and validate a LinuxResources document; errors name the source and the JSON path. */
export function readResourcesDocument(source: string, readStdin: () => string): LinuxResources {
  const name = source === '-' ? 'resources (stdin)' : source;
  let text: string;
  try {
    text = source === '-' ? readStdin() : fs.readFileSync(source, 'utf8');
  } catch (err) {
    throw fromNodeError(`read --resources ${source}`, err, { path: source === '-' ? undefined : source });
  }
  try {
    return fromSpecResources(parseResources(parseJsonText(text, name), name));
  } catch (err) {
    if (err instanceof SpecValidationError) throw new ConfigError(err.message, { jsonPath: err.jsonPath, cause: err });
    throw err;
  }
}

/**
 * Fix-ups runc makes before merging: "memory unlimited" without a swap value
 * means memory+swap unlimited too; device rules cannot be changed by update.
 */
export function normalizeUpdate(upd: LinuxResources, warn: (m: string) => void = () => {}): LinuxResources {
  const out = structuredClone(upd);
  if (out.memory?.limit === -1 && (out.memory.swap === undefined || out.memory.swap === null)) out.memory.swap = -1;
  if (out.devices && out.devices.length > 0) warn('devices: update cannot change device rules; ignored');
  delete out.devices;
  return out;
}

/**
 * Errors of the merged result (a swap without a limit may come from the
 * stored config plus the update); warnings only for what the update names.
 * With flags, a path also names the flag the value came from.
 */
export function checkUpdate(upd: LinuxResources, merged: LinuxResources, facts: CgroupHostFacts, source: string, fromFlags: boolean): string[] {
  const label = (p: string) => (fromFlags && FLAG_OF[p] ? `${p} (${FLAG_OF[p]})` : p);
  const errors = checkResources(merged, facts, '').filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const lines = errors.map((f) => formatFinding(source, { ...f, path: label(f.path) }));
    throw new ConfigError(lines.join('; '), { jsonPath: errors[0]!.path });
  }
  return checkResources(upd, facts, '')
    .filter((f) => f.severity === 'warning')
    .map((f) => formatFinding(source, { ...f, path: label(f.path) }));
}

export function updateContainer(ctx: RuntimeContext, opts: UpdateOptions, deps: UpdateDeps = defaultDeps()): void {
  new StateStore(ctx.root).read(opts.id); // "container does not exist" before reading any input (runc's order)
  const fromFlags = opts.resources === undefined;
  const raw = fromFlags ? resourcesFromFlags(opts.values, deps.warn) : readResourcesDocument(opts.resources!, deps.readStdin);
  const upd = normalizeUpdate(raw, deps.warn);
  const source = fromFlags ? 'update' : opts.resources === '-' ? 'resources (stdin)' : opts.resources!;
  const c = Container.open(ctx, opts.id);
  try {
    assertCan('update', c.status().status, c.id);
    const manager = cgroupOf(c);
    const merged = mergeResources(manager.resources(), upd);
    for (const w of checkUpdate(upd, merged, deps.hostFacts(), source, fromFlags)) deps.warn(w);
    manager.update(upd); // a refused value rolls back what the update wrote before it
    c.handle.write({ ...c.state, cgroup: manager.descriptor() });
  } finally {
    c.release();
  }
}

/** `update` with a LinuxResources JSON document in hand (the shim's Update). */
export function updateContainerResources(ctx: RuntimeContext, id: string, resourcesJson: string): void {
  updateContainer(ctx, { id, resources: '-', values: {} }, { ...defaultDeps(), readStdin: () => resourcesJson });
}
