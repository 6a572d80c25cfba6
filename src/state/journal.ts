// The create journal, <root>/<id>/journal.json: before each side effect of
// `create`, what is about to exist — the cgroup directories (written before
// the first mkdir), then stage 1's and the init's pid and start time (as soon
// as each is known) — replaced atomically at each step. Every instant of
// create therefore has a record that says what to undo, and `delete --force`
// falls back to it when state.json is missing or damaged. It stays for the
// container's life: a small copy of what state.json also holds.
//
// No fsync: the journal guards against tsrun dying, not the machine; the
// state root lives on a tmpfs (/run) that a reboot empties anyway.
import type { CgroupDescriptor } from '../cgroups/manager';
import { stringifyJson } from '../../oci-spec/json';
import { writeFileAtomic } from './files';
import { journalProblem } from './shape';

export const JOURNAL_FILE = 'journal.json';

interface JournalProcess {
  /** stage 1 (a fork of tsrun, briefly outside the cgroups) or the init */
  role: 'stage1' | 'init';
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
