// Device rules → devices.deny / devices.allow lines, in order.
import type { DeviceRule } from '../devices';
import { deviceRuleLine } from '../devices';
import type { CgroupWrite } from '../fsio';

/**
 * The v1 kernel reads "a" as "every device" and ignores the numbers and the
 * access after it, so only a full "a *:* rwm" rule is written as "a"; any
 * other type-a rule becomes the same rule for char and for block devices.
 */
export function devicesV1Writes(rules: readonly DeviceRule[]): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const r of rules) {
    const file = r.allow ? 'devices.allow' : 'devices.deny';
    if (r.type === 'a' && r.major < 0 && r.minor < 0 && r.access === 'rwm') {
      out.push({ file, value: 'a *:* rwm', field: r.field });
    } else if (r.type === 'a') {
      out.push({ file, value: deviceRuleLine({ ...r, type: 'c' }), field: r.field });
      out.push({ file, value: deviceRuleLine({ ...r, type: 'b' }), field: r.field });
    } else {
      out.push({ file, value: deviceRuleLine(r), field: r.field });
    }
  }
  return out;
}
