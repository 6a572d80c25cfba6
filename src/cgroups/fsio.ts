// cgroupfs file access. Every write is one write(2) on an O_WRONLY|O_TRUNC fd
// (cgroupfs parses each write as one command, and O_CREAT would hide a missing
// file on a fake tree). Failures become CgroupErrors naming the OCI field and path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError, describeErrno } from '../errors';

/** One file write computed by a per-controller conversion function. */
export interface CgroupWrite {
  /** file name inside the cgroup dir, e.g. "memory.max" */
  file: string;
  value: string;
  /** OCI JSON path the value comes from, e.g. "linux.resources.memory.limit" */
  field: string;
  /** errno names that mean "skip this write" (e.g. ENOENT for memory.swap.max=max without swap accounting) */
  tolerate?: string[];
  /** hybrid hosts: the file lives in the unified (cgroup2) tree, not a v1 hierarchy */
  unified?: boolean;
}

/** Called for every write actually performed (tests record the write list with it). */
export type WriteTrace = (filePath: string, value: string) => void;

const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_TRUNC;

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** Write a raw value; throws the Node error (callers add context). */
export function writeRaw(filePath: string, value: string): void {
  const fd = fs.openSync(filePath, WRITE_FLAGS);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Perform one CgroupWrite in `dir`. Returns false when the write failed with a
 * tolerated errno; throws a CgroupError naming the field and the file otherwise.
 */
export function performWrite(dir: string, w: CgroupWrite, trace?: WriteTrace, containerId?: string): boolean {
  const filePath = path.join(dir, w.file);
  try {
    writeRaw(filePath, w.value);
  } catch (err) {
    const code = errnoOf(err);
    if (w.tolerate?.includes(code)) return false;
    throw writeError(w, filePath, code, err, containerId);
  }
  trace?.(filePath, w.value);
  return true;
}

function writeError(w: CgroupWrite, filePath: string, code: string, cause: unknown, containerId?: string): CgroupError {
  let why: string;
  if (code === 'ENOENT') why = `this host's cgroups do not provide ${w.file} (${describeErrno(code)})`;
  else if (code === 'EINVAL' || code === 'ERANGE') why = `the kernel rejected the value: ${describeErrno(code)}`;
  else why = describeErrno(code);
  return new CgroupError(`${w.field}: cannot write ${JSON.stringify(w.value)} to ${filePath}: ${why}`, {
    path: filePath,
    errno: code,
    containerId,
    cause,
  });
}

/** Wrap a failed cgroup operation (mkdir, read, join) in a CgroupError. */
export function cgroupOpError(what: string, filePath: string, err: unknown, containerId?: string): CgroupError {
  const code = errnoOf(err);
  return new CgroupError(`${what} ${filePath}: ${describeErrno(code)}`, { path: filePath, errno: code, containerId, cause: err });
}

/** File content without the trailing newline. */
function readText(filePath: string): string {
  return fs.readFileSync(filePath, 'utf8').replace(/\n$/, '');
}

/** Like readText, but undefined when the file does not exist. */
export function readOptional(filePath: string): string | undefined {
  try {
    return readText(filePath);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENODEV') return undefined;
    throw err;
  }
}

export function exists(filePath: string): boolean {
  return fs.existsSync(filePath);
}

/** "key value" lines (cgroup.events, memory.events, cpu.stat, memory.stat ...) → map. */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** A u64 counter as a JS number (bigint only above 2^53, e.g. "unlimited" values). */
export function parseUint(text: string | undefined): number | bigint {
  const t = (text ?? '').trim();
  if (t === 'max') return 18446744073709551615n;
  if (!/^\d+$/.test(t)) return 0; // absent or not a counter: report 0 like runc's missing files
  const big = BigInt(t);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Synchronous sleep: the manager API is synchronous (cheap CLI calls, no event loop needed). */
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
