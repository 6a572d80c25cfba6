import { update, type UpdateValues } from '../../container/operations';
import { parseIntFlag, parseRamInBytes } from '../values';
import { absPath, id, nonEmpty, runtimeContext, type CommandHandler } from './common';
import type { ParsedCommand } from '../fast-parse';

const U64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** update [--resources FILE|-] [resource flags] <id> */
export const handler: CommandHandler = async (p, g, env) => {
  const resources = nonEmpty(p, 'resources');
  await update(runtimeContext(g), {
    id: id(p),
    resources: resources === undefined || resources === '-' ? resources : absPath(env, resources),
    values: resources === undefined ? updateValues(p) : {},
  });
  return 0;
};

/** runc's per-flag parsing: unsigned/signed integers, and byte sizes with units or -1. */
export function updateValues(p: ParsedCommand): UpdateValues {
  const v: UpdateValues = {};
  const get = (name: string) => nonEmpty(p, name);
  const uint = (name: string) => {
    const s = get(name);
    return s === undefined ? undefined : parseIntFlag(name, s, 0, U64_MAX_SAFE);
  };
  const int = (name: string) => {
    const s = get(name);
    return s === undefined ? undefined : parseIntFlag(name, s);
  };
  const bytes = (name: string) => {
    const s = get(name);
    if (s === undefined) return undefined;
    return s === '-1' ? -1 : parseRamInBytes(name, s);
  };
  const set = <K extends keyof UpdateValues>(key: K, value: UpdateValues[K] | undefined) => {
    if (value !== undefined) v[key] = value;
  };
  const blkio = get('blkio-weight');
  const weight = blkio === undefined ? 0 : parseIntFlag('blkio-weight', blkio, 0, 65535);
  if (weight !== 0) v.blkioWeight = weight; // runc: 0 means unchanged
  set('cpusetCpus', get('cpuset-cpus'));
  set('cpusetMems', get('cpuset-mems'));
  set('cpuIdle', int('cpu-idle'));
  set('cpuBurst', uint('cpu-burst'));
  set('cpuPeriod', uint('cpu-period'));
  set('cpuRtPeriod', uint('cpu-rt-period'));
  set('cpuShares', uint('cpu-share'));
  set('cpuQuota', int('cpu-quota'));
  set('cpuRtRuntime', int('cpu-rt-runtime'));
  set('memory', bytes('memory'));
  set('memorySwap', bytes('memory-swap'));
  set('kernelMemory', bytes('kernel-memory'));
  set('kernelMemoryTcp', bytes('kernel-memory-tcp'));
  set('memoryReservation', bytes('memory-reservation'));
  set('pidsLimit', int('pids-limit'));
  set('l3CacheSchema', get('l3-cache-schema'));
  set('memBwSchema', get('mem-bw-schema'));
  return v;
}
