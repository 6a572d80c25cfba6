// A blob being downloaded: <root>/ingest/<alg>-<hex>, appended to as bytes
// arrive and hashed as it grows. A pull killed mid-way leaves it behind, and
// the next one resumes from its length (hashing what is already there). Only
// the holder of the blob's lock touches it.
import fs from 'node:fs';
import { newHash, parseDigest, type DigestAlgorithm } from '../digest';
import type { Hash } from 'node:crypto';

const READ_CHUNK = 1024 * 1024;

export class Ingest {
  private fd: number;
  private hash: Hash;
  /** bytes written so far */
  offset = 0;

  private constructor(
    readonly path: string,
    readonly digest: string,
    private readonly algorithm: DigestAlgorithm,
  ) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    this.hash = newHash(algorithm);
  }

  /** Open (or resume) the ingest file of `digest`; what it holds beyond `size` is dropped. */
  static open(path: string, digest: string, size: number): Ingest {
    const { algorithm } = parseDigest(digest, 'blob');
    const ing = new Ingest(path, digest, algorithm);
    const have = fs.fstatSync(ing.fd).size;
    if (have > size) ing.reset();
    else ing.rehash(have);
    return ing;
  }

  private rehash(length: number): void {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(length, 1)));
    let pos = 0;
    while (pos < length) {
      const n = fs.readSync(this.fd, buf, 0, Math.min(buf.length, length - pos), pos);
      if (n <= 0) break;
      this.hash.update(buf.subarray(0, n));
      pos += n;
    }
    this.offset = pos;
    fs.ftruncateSync(this.fd, pos);
  }

  /** Start over (the server ignored a Range request). */
  reset(): void {
    fs.ftruncateSync(this.fd, 0);
    this.hash = newHash(this.algorithm);
    this.offset = 0;
  }

  write(chunk: Buffer): void {
    let done = 0;
    while (done < chunk.length) done += fs.writeSync(this.fd, chunk, done, chunk.length - done, this.offset + done);
    this.hash.update(chunk);
    this.offset += chunk.length;
  }

  /** The digest of everything written (ends hashing). */
  finish(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Move the complete, verified content to `dest` (atomic). */
  commit(dest: string): void {
    this.close();
    fs.renameSync(this.path, dest);
  }

  discard(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}
