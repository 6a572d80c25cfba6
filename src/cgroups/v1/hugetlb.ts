// hugepageLimits → hugetlb.<size>.limit_in_bytes (+ .rsvd.). On a hybrid host
// without a v1 hugetlb hierarchy the limits go to the unified tree instead.
import type { CgroupWrite } from '../fsio';
import type { LinuxHugepageLimit } from '../resources';
import { hugetlbWrites } from '../v2/hugetlb';

/** `inUnified`: hybrid host whose hugetlb controller lives only in cgroup2. */
export function hugetlbV1Writes(limits: LinuxHugepageLimit[] | undefined, inUnified: boolean, base?: string): CgroupWrite[] {
  if (inUnified) return hugetlbWrites(limits, '.max', base).map((w) => ({ ...w, unified: true }));
  return hugetlbWrites(limits, '.limit_in_bytes', base);
}
