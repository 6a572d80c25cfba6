// The OCI state object as `state` and `list` print it, with runc's key order
// (its containerState struct): ociVersion, id, pid, status, bundle, rootfs,
// created, annotations (omitted when empty), owner.
import type { StatusResult, StoppedDetail } from './status';
import type { StoredState } from './types';
import { OCI_VERSION } from '../../oci-spec/version';

export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
  /** `list --format json` only: why a stopped container stopped */
  statusDetail?: StoppedDetail;
  /** `list` only: state.json cannot be used (what is wrong); status and pid come from the create journal */
  damage?: string;
}

export function toOciState(stored: StoredState, status: StatusResult, owner: string = stored.owner ?? ''): OciState {
  const annotations = stored.annotations && Object.keys(stored.annotations).length > 0 ? stored.annotations : undefined;
  return {
    ociVersion: OCI_VERSION,
    id: stored.id,
    pid: status.status === 'stopped' ? 0 : status.pid,
    status: status.status,
    bundle: stored.bundle,
    rootfs: stored.rootfs,
    created: stored.created,
    ...(annotations ? { annotations } : {}),
    owner,
  };
}

/** `tsrun state`: 2-space indent, no trailing newline (runc). */
export function formatStateJson(s: OciState): string {
  return JSON.stringify(s, null, 2);
}
