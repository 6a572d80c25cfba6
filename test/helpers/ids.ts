// Unique names for test containers, cgroups and state roots. Everything a test
// creates carries the `tsrun-test-` prefix so leftovers are easy to find.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_PREFIX = 'tsrun-test-';

let counter = 0;

/** e.g. tsrun-test-state-1a2b-3-k9x2 (a valid container id and cgroup name) */
export function uniqueId(label = 'c'): string {
  counter += 1;
  const rand = Math.floor(Math.random() * 36 ** 4).toString(36);
  return `${TEST_PREFIX}${label}-${process.pid.toString(36)}-${counter}-${rand}`;
}

export interface TestRoot {
  /** a fresh --root for one test file */
  root: string;
  cleanup(): void;
}

/** A temporary state root (not yet created: tsrun must create it, mode 0700). */
export function makeTestRoot(label = 'root'): TestRoot {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}${label}-`));
  const root = path.join(parent, 'state');
  return { root, cleanup: () => fs.rmSync(parent, { recursive: true, force: true }) };
}

/** A substring of every id and cgroup name uniqueId() makes in this process (for leftover checks
 *  that must not see other test processes' containers). */
export const PROCESS_TAG = `-${process.pid.toString(36)}-`;
