// write(2) of a whole buffer to an fd tsrun did not open itself (its stdio, a
// pty master): it may be non-blocking, so EAGAIN is waited out briefly.
import * as fs from 'node:fs';

/**
 * Write all of `data`. A reader that went away (EPIPE, and EIO from a pty
 * whose other side closed) ends the write quietly; other errors throw.
 */
export function writeAllSync(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  let spins = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
      spins = 0;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && spins++ < 10_000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE' || code === 'EIO') return;
      throw e;
    }
  }
}
