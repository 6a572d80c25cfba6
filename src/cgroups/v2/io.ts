// blockIO.* → io.bfq.weight or io.weight, and io.max (runc fs2).
import type { CgroupWrite } from '../fsio';
import { isSet, type LinuxBlockIO, type LinuxThrottleDevice } from '../resources';

/** blkio weight (10..1000) → io.weight (1..10000), linearly; 0 = unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** One io.max line: "8:0 rbps=1048576". */
export function ioMaxLine(dev: LinuxThrottleDevice, key: 'rbps' | 'wbps' | 'riops' | 'wiops'): string {
  return `${dev.major}:${dev.minor} ${key}=${dev.rate}`;
}

export interface IoV2Options {
  /** io.bfq.weight exists (the BFQ scheduler is in use): weights go there unconverted */
  hasBfq: boolean;
  warn?: (msg: string) => void;
}

export function ioV2Writes(bio: LinuxBlockIO | undefined, opts: IoV2Options, base = 'linux.resources.blockIO'): CgroupWrite[] {
  if (!bio) return [];
  const out: CgroupWrite[] = [];
  if (isSet(bio.leafWeight)) opts.warn?.(`${base}.leafWeight: not supported on cgroup v2, ignored`);
  if (isSet(bio.weight)) {
    out.push(
      opts.hasBfq
        ? { file: 'io.bfq.weight', value: String(bio.weight), field: `${base}.weight` }
        : { file: 'io.weight', value: String(blkioWeightToIoWeight(bio.weight)), field: `${base}.weight` },
    );
  }
  (bio.weightDevice ?? []).forEach((d, i) => {
    if (isSet(d.leafWeight)) opts.warn?.(`${base}.weightDevice[${i}].leafWeight: not supported on cgroup v2, ignored`);
    if (!isSet(d.weight)) return;
    const value = `${d.major}:${d.minor} ${opts.hasBfq ? d.weight : blkioWeightToIoWeight(d.weight)}`;
    out.push({ file: opts.hasBfq ? 'io.bfq.weight' : 'io.weight', value, field: `${base}.weightDevice[${i}]` });
  });
  const throttles = [
    ['throttleReadBpsDevice', 'rbps'],
    ['throttleWriteBpsDevice', 'wbps'],
    ['throttleReadIOPSDevice', 'riops'],
    ['throttleWriteIOPSDevice', 'wiops'],
  ] as const;
  for (const [name, key] of throttles) {
    (bio[name] ?? []).forEach((d, i) => out.push({ file: 'io.max', value: ioMaxLine(d, key), field: `${base}.${name}[${i}]` }));
  }
  return out;
}
