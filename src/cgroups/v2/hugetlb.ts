// hugepageLimits → hugetlb.<size>.max (+ .rsvd.max where the kernel has it).
import type { CgroupWrite } from '../fsio';
import type { LinuxHugepageLimit } from '../resources';

/**
 * Writes for hugepage limits with the given file suffix (".max" on v2,
 * ".limit_in_bytes" on v1). The reservation limit follows when present.
 */
export function hugetlbWrites(limits: LinuxHugepageLimit[] | undefined, suffix: '.max' | '.limit_in_bytes', base = 'linux.resources.hugepageLimits'): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  (limits ?? []).forEach((l, i) => {
    const field = `${base}[${i}]`;
    const prefix = `hugetlb.${l.pageSize}`;
    out.push({ file: prefix + suffix, value: String(l.limit), field });
    out.push({ file: `${prefix}.rsvd${suffix}`, value: String(l.limit), field, tolerate: ['ENOENT'] });
  });
  return out;
}

export function hugetlbV2Writes(limits: LinuxHugepageLimit[] | undefined, base?: string): CgroupWrite[] {
  return hugetlbWrites(limits, '.max', base);
}
