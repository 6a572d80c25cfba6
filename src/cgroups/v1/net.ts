// network.classID → net_cls.classid; network.priorities → net_prio.ifpriomap (v1 only).
import type { CgroupWrite } from '../fsio';
import { isSet, type LinuxNetwork } from '../resources';

export function netV1Writes(net: LinuxNetwork | undefined, base = 'linux.resources.network'): CgroupWrite[] {
  if (!net) return [];
  const out: CgroupWrite[] = [];
  if (isSet(net.classID)) out.push({ file: 'net_cls.classid', value: String(net.classID), field: `${base}.classID` });
  (net.priorities ?? []).forEach((p, i) =>
    out.push({ file: 'net_prio.ifpriomap', value: `${p.name} ${p.priority}`, field: `${base}.priorities[${i}]` }),
  );
  return out;
}
