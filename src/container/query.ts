// Read-only operations: `state` and `list`. They never lock: state.json is only
// replaced atomically, and hooks run by create/start (which hold the lock) may
// call `tsrun state` themselves.
import fs from 'node:fs';
import { ContainerNotFoundError, DamagedStateError } from '../errors';
import { log } from '../log';
import { OCI_VERSION } from '../../oci-spec/version';
import type { StoredState } from '../state/types';
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
 * A container whose state.json is missing (and no create holds its lock) or
 * damaged is listed as damaged, with a warning, its status and pid taken from
 * the create journal when that is sound; `delete --force` removes it. One
 * that cannot be read at all is reported as a warning and skipped (runc
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
      let damage: string;
      if (e instanceof DamagedStateError) damage = e.damage;
      else if (e instanceof ContainerNotFoundError) {
        if (store.busy(id)) continue; // a create in progress, or a delete
        damage = 'state.json is missing';
      } else {
        log.warn(`load container ${id}: ${(e as Error).message}`);
        continue;
      }
      log.warn(`container ${id}: ${damage}; \`tsrun delete --force ${id}\` removes it`);
      out.push(damagedEntry(store, id, damage, probe, userName));
    }
  }
  return out;
}

/** A damaged container as list shows it: what the journal says about its init, if anything. */
function damagedEntry(store: StateStore, id: string, damage: string, probe: Partial<StatusProbe>, userName: (uid: number) => string): ListEntry {
  const dir = store.dirOf(id);
  const journal = store.readJournal(id);
  const init = journal?.processes.find((p) => p.role === 'init');
  let status: ListEntry['status'] = 'stopped';
  let pid = 0;
  if (init) {
    const stored = { initPid: init.pid, initStartTime: init.startTime, cgroup: journal!.cgroup } as StoredState;
    const derived = deriveStatus(stored, dir, probe);
    status = derived.status;
    pid = derived.pid;
  }
  let owner = '';
  try {
    owner = userName(fs.statSync(dir).uid);
  } catch {
    // removed meanwhile
  }
  return { ociVersion: OCI_VERSION, id, pid, status, bundle: journal?.bundle ?? '', rootfs: '', created: '', owner, damage };
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
