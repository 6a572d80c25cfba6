// Crash-safe file writes: readers see either the old or the new content.
import fs from 'node:fs';
import path from 'node:path';
import { fromNodeError } from '../errors';

/**
 * Write `data` to a temp file in the same directory, fsync it (unless
 * `sync: false`: enough when only a dying process, not the machine, is the
 * risk), then rename it over `file`. The result has exactly `mode`.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600, opts: { sync?: boolean } = {}): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${uniqueSuffix()}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
    fs.fchmodSync(fd, mode);
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    if (opts.sync !== false) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw fromNodeError(`write ${file}`, e, { path: file });
  }
}

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

let counter = 0;

/**
 * A suffix for temporary names; O_EXCL/rename make collisions harmless, so no
 * need to load node:crypto (~10 ms of start-up) for it.
 */
export function uniqueSuffix(): string {
  counter += 1;
  return `${process.pid.toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 0xffffffff).toString(36)}`;
}
