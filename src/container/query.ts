// Read-only operations: `state` and `list`. They never lock: state.json is only
// replaced atomically, and hooks run by create/start (which hold the lock) may
// call `tsrun state` themselves.
import fs from 'node:fs';
import { log } from '../log';
import { StateStore } from '../state/store';
import { deriveStatus, type StatusProbe } from '../state/status';
import { isFrozen } from '../cgroups/freezer-probe';
import { toOciState, type OciState } from '../state/oci-state';
import type { ListEntry, ListOptions, OperationDeps, RuntimeContext, StateOptions } from './options';

/** The real probes, with `paused` read from the cgroup freezer; tests override parts. */
function probeOf(deps: OperationDeps): Partial<StatusProbe> {
  return { isPaused: (s) => isFrozen(s.cgroup), ...deps.statusProbe };
}

export function stateOf(ctx: RuntimeContext, opts: StateOptions, deps: OperationDeps = {}): OciState {
  const store = new StateStore(ctx.root);
  const stored = store.read(opts.id);
  const status = deriveStatus(stored, store.dirOf(opts.id), probeOf(deps));
  return toOciState(stored, status);
}

/**
 * A container that cannot be read is reported as a warning and skipped (runc
 * prints and continues). A missing default root means no containers; a
 * missing explicit --root is an error (runc).
 */
export function listAll(ctx: RuntimeContext, _opts: ListOptions, deps: OperationDeps = {}): ListEntry[] {
  const store = new StateStore(ctx.root);
  const userName = deps.userName ?? makeUserNameLookup();
  const probe = probeOf(deps);
  const out: ListEntry[] = [];
  for (const id of store.ids({ missingRootOk: !ctx.rootExplicit })) {
    try {
      const dir = store.dirOf(id);
      const uid = fs.statSync(dir).uid;
      const stored = store.read(id);
      const status = deriveStatus(stored, dir, probe);
      const entry: ListEntry = toOciState(stored, status, userName(uid));
      if (status.detail) entry.statusDetail = status.detail;
      out.push(entry);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted while we listed
      log.warn(`load container ${id}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** uid -> name from /etc/passwd, read once; "#<uid>" when unknown (runc). */
export function makeUserNameLookup(passwdFile = '/etc/passwd'): (uid: number) => string {
  let names: Map<number, string> | undefined;
  return (uid) => {
    if (!names) {
      names = new Map();
      try {
        for (const line of fs.readFileSync(passwdFile, 'utf8').split('\n')) {
          const [name, , id] = line.split(':');
          if (name && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
        }
      } catch {
        // no passwd: numeric owners
      }
    }
    return names.get(uid) ?? `#${uid}`;
  };
}
