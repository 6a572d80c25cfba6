// The create journal, <root>/<id>/journal.json: before each side effect of
// `create`, what is about to exist — the cgroup directories (in the state dir
// from the instant it is visible, before the first mkdir), then the init's pid
// and start time (as soon as it is known) — replaced atomically. Every instant
// of create therefore has a record that says what to undo, and `delete
// --force` falls back to it when state.json is missing or damaged. Stage 1 is
// not recorded: it dies with tsrun (its parent-death signal is armed and
// checked) and is inside the cgroups before it forks the init. The journal
// stays for the container's life: a small copy of what state.json also holds.
//
// No fsync: the journal guards against tsrun dying, not the machine (the
// state root is normally a tmpfs, /run, that a reboot empties anyway).
import type { CgroupDescriptor } from '../cgroups/manager';
import { stringifyJson } from '../../oci-spec/json';
import { writeFileAtomic } from './files';
import { journalProblem } from './shape';

export const JOURNAL_FILE = 'journal.json';

interface JournalProcess {
  role: 'init';
  pid: number;
  /** /proc/<pid>/stat field 22: the PID-reuse guard */
  startTime: number;
}

export interface CreateJournal {
  formatVersion: 1;
  id: string;
  bundle: string;
  /** `created` lists the directories create makes or is about to make */
  cgroup: CgroupDescriptor;
  processes: JournalProcess[];
}

/** Replace <dir>/journal.json with `journal`. */
export function writeJournal(file: string, journal: CreateJournal): void {
  writeFileAtomic(file, stringifyJson(journal), 0o600, { sync: false });
}

/** A parsed journal.json, or what is wrong with it. */
export function parseJournal(value: unknown, id: string): { journal: CreateJournal } | { damage: string } {
  const problem = journalProblem(value, id);
  return problem ? { damage: problem } : { journal: value as CreateJournal };
}
