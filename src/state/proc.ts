// /proc/<pid>/stat reading for liveness and PID-reuse checks: field 3 (state)
// and field 22 (start time in clock ticks since boot). The command name (field
// 2) may contain spaces and parentheses, so fields are counted after the last ')'.
import fs from 'node:fs';
import { TsrunError } from '../errors';

export interface ProcStat {
  /** one-letter state: R S D Z T t X I ... */
  state: string;
  /** field 22, clock ticks after boot */
  startTime: number;
}

/** Reads one process's stat; undefined when the process does not exist. */
export type ProcReader = (pid: number) => ProcStat | undefined;

export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`malformed /proc stat line: ${JSON.stringify(text.slice(0, 80))}`);
  // after ") " come fields 3, 4, ...: field n sits at index n - 3
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const state = fields[0];
  const startTime = Number(fields[22 - 3]);
  if (!state || !Number.isSafeInteger(startTime)) {
    throw new Error(`malformed /proc stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { state, startTime };
}

export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw e;
  }
  return parseProcStat(text);
}

/** The start time to store for a freshly created init (PID-reuse guard). */
export function processStartTime(pid: number, procRoot = '/proc'): number | undefined {
  return readProcStat(pid, procRoot)?.startTime;
}

/**
 * Poll until process `pid` with `startTime` is gone or a zombie (runc: 100 ×
 * 100 ms after SIGKILL). Throws after `timeoutMs`.
 */
export async function waitGone(pid: number, startTime: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = readProcStat(pid);
    if (!st || st.startTime !== startTime || st.state === 'Z' || st.state === 'X') return;
    if (Date.now() > deadline) throw new TsrunError(`process ${pid} did not exit within ${timeoutMs / 1000}s after SIGKILL`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
