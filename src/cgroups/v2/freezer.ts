// The cgroup v2 freezer (cgroup.freeze / cgroup.events), shared by the v2
// manager and by the v1 manager on a hybrid host whose v1 tree has no freezer.
import * as path from 'node:path';
import { CgroupError } from '../../errors';
import { pollUntil } from '../base';
import { parseKeyValues, performWrite, readOptional, type WriteTrace } from '../fsio';

const FREEZE_TIMEOUT_MS = 10_000;

/** Frozen by its own cgroup.freeze (a frozen parent alone does not count, like runc). */
export function isUnifiedFrozen(dir: string): boolean {
  return readOptional(path.join(dir, 'cgroup.freeze')) === '1';
}

/** Write cgroup.freeze, then wait until cgroup.events reports the new state (runc's fs2 freezer). */
export function setUnifiedFrozen(dir: string, frozen: boolean, trace?: WriteTrace, containerId?: string): void {
  const want = frozen ? '1' : '0';
  const field = frozen ? 'pause' : 'resume';
  performWrite(dir, { file: 'cgroup.freeze', value: want, field }, trace, containerId);
  const reached = () => parseKeyValues(readOptional(path.join(dir, 'cgroup.events')) ?? '').get('frozen') === want;
  if (pollUntil(reached, FREEZE_TIMEOUT_MS)) return;
  if (frozen) performWrite(dir, { file: 'cgroup.freeze', value: '0', field }, trace, containerId);
  throw new CgroupError(`cgroup ${dir} did not become ${frozen ? 'frozen' : 'thawed'} within ${FREEZE_TIMEOUT_MS / 1000}s`, { containerId, path: dir });
}
