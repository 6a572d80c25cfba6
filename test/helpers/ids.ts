// Unique names for test containers, cgroups, state roots and temp dirs. Everything a
// test creates carries the `tsrun-test-` prefix and this process's tag, so leftover
// checks count only what this test process made (other test runs share the machine).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_PREFIX = 'tsrun-test-';

/** A substring of every id, cgroup name and temp dir this process makes (for leftover checks
 *  that must not see other test processes' containers or mounts). */
export const PROCESS_TAG = `-${process.pid.toString(36)}-`;

let counter = 0;

/** e.g. tsrun-test-state-1a2b-3-k9x2 (a valid container id and cgroup name) */
export function uniqueId(label = 'c'): string {
  counter += 1;
  const rand = Math.floor(Math.random() * 36 ** 4).toString(36);
  return `${TEST_PREFIX}${label}${PROCESS_TAG}${counter}-${rand}`;
}

/** A new directory `<tmp>/tsrun-test-<label>-<pid36>-XXXXXX`, carrying this process's tag. */
export function testTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}${label}${PROCESS_TAG}`));
}

export interface TestRoot {
  /** a fresh --root for one test file */
  root: string;
  cleanup(): void;
}

/** A temporary state root (not yet created: tsrun must create it, mode 0700). */
export function makeTestRoot(label = 'root'): TestRoot {
  const parent = testTempDir(label);
  const root = path.join(parent, 'state');
  return { root, cleanup: () => fs.rmSync(parent, { recursive: true, force: true }) };
}
