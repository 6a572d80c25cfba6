// flock(2)-based locks on files under <image-root>/locks. A lock is released
// by the kernel when its holder dies (kill -9 included), so a crashed pull
// never blocks the next one. Waiting polls with a non-blocking flock: a
// blocking one would stop node's event loop (and every other download).
import fs from 'node:fs';
import path from 'node:path';
import type { Native } from '../../native';

export interface Lock {
  release(): void;
}

const POLL_MS = 25;
const MAX_POLL_MS = 200;

function openLockFile(file: string): number {
  return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
}

/** Take the lock if it is free; undefined when someone else holds it. */
function tryLock(n: Native, file: string, exclusive: boolean): Lock | undefined {
  const fd = openLockFile(file);
  try {
    if (!n.flock(fd, exclusive, true)) {
      fs.closeSync(fd);
      return undefined;
    }
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      fs.closeSync(fd);
    },
  };
}

/** Wait for the lock; onWait is called once if it is busy at first. */
export async function lock(n: Native, file: string, exclusive: boolean, onWait?: () => void): Promise<Lock> {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let delay = POLL_MS;
  let told = false;
  for (;;) {
    const l = tryLock(n, file, exclusive);
    if (l) return l;
    if (!told) {
      told = true;
      onWait?.();
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(MAX_POLL_MS, delay * 2);
  }
}
