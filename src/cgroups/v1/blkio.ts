// blockIO.* → blkio.weight (or blkio.bfq.weight), leaf weights, weight_device, throttle files.
import type { CgroupWrite } from '../fsio';
import { isSet, type LinuxBlockIO, type LinuxThrottleDevice } from '../resources';

export interface BlkioV1Options {
  /** blkio.weight exists (CFQ); otherwise the BFQ files blkio.bfq.weight[_device] are used */
  hasCfqWeight: boolean;
}

/** "8:0 1048576" as the blkio.throttle.* files take it. */
export function throttleLine(dev: LinuxThrottleDevice): string {
  return `${dev.major}:${dev.minor} ${dev.rate}`;
}

export function blkioV1Writes(bio: LinuxBlockIO | undefined, opts: BlkioV1Options, base = 'linux.resources.blockIO'): CgroupWrite[] {
  if (!bio) return [];
  const weightFile = opts.hasCfqWeight ? 'blkio.weight' : 'blkio.bfq.weight';
  const weightDeviceFile = opts.hasCfqWeight ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
  const out: CgroupWrite[] = [];
  if (isSet(bio.weight)) out.push({ file: weightFile, value: String(bio.weight), field: `${base}.weight` });
  if (isSet(bio.leafWeight)) out.push({ file: 'blkio.leaf_weight', value: String(bio.leafWeight), field: `${base}.leafWeight` });
  (bio.weightDevice ?? []).forEach((d, i) => {
    const field = `${base}.weightDevice[${i}]`;
    if (isSet(d.weight)) out.push({ file: weightDeviceFile, value: `${d.major}:${d.minor} ${d.weight}`, field: `${field}.weight` });
    if (isSet(d.leafWeight)) out.push({ file: 'blkio.leaf_weight_device', value: `${d.major}:${d.minor} ${d.leafWeight}`, field: `${field}.leafWeight` });
  });
  const throttles = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
  ] as const;
  for (const [name, file] of throttles) {
    (bio[name] ?? []).forEach((d, i) => out.push({ file, value: throttleLine(d), field: `${base}.${name}[${i}]` }));
  }
  return out;
}
