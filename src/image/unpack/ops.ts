// The operations of a layer unpack, encoded for the addon's applying thread
// (native/src/layer_apply.h has the format): one batch per chunk of the tar
// stream. A file's content stays where the decoder put it (the ring: the
// operation names its offset) and is never copied on the JS side; what is
// not in the ring (an empty file) travels inside the batch.
import type { LayerEntryMeta, LayerTimes } from '../../native';
import type { EntryAction } from './entry';

/** The tar entry an operation carries out (its action, when there is one, words its errors). */
export interface OpEntry {
  name: string;
  action?: EntryAction;
}

export const enum OpKind {
  File = 1,
  Open = 2,
  Write = 3,
  Close = 4,
  Mkdir = 5,
  Symlink = 6,
  Hardlink = 7,
  Mknod = 8,
  Whiteout = 9,
  Opaque = 10,
  Times = 11,
}

const HEADER = 80;
const IGNORE_ENOENT = 1;
/** S_IFCHR, S_IFBLK, S_IFIFO */
const DEVICE_TYPE = { c: 0o020000, b: 0o060000, p: 0o010000 } as const;
const NO_META: LayerEntryMeta = { uid: 0, gid: 0, mode: 0 };
const EMPTY = Buffer.alloc(0);

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/** an int64 (two's complement, little-endian) as two 32-bit halves: no BigInt */
function setInt64(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / 2 ** 32);
  view.setUint32(at, v - hi * 2 ** 32, true);
  view.setInt32(at + 4, hi, true);
}

/**
 * Operations for the applying thread, in order, with what each is about (for
 * errors). Encoded through a DataView: its setters are V8 builtins, where
 * Buffer's write*LE are JavaScript that checks every offset, run tens of
 * thousands of times a layer and then compiled again by the optimizer.
 */
export class OpBatch {
  private buf: Buffer;
  private view: DataView;
  private len = 0;
  /** per operation: the tar entry it carries out */
  readonly entries: OpEntry[] = [];

  /** ring: the decoder's memory; data inside it is passed by offset */
  constructor(
    private readonly ring: Buffer,
    buf?: Buffer,
  ) {
    this.buf = buf ?? Buffer.allocUnsafeSlow(64 * 1024);
    this.view = viewOf(this.buf);
  }

  get count(): number {
    return this.entries.length;
  }

  /** the encoded operations (a view of the batch's memory) */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** the memory, to be reused for a later batch once this one is done */
  memory(): Buffer {
    return this.buf;
  }

  file(entry: OpEntry, path: string, meta: LayerEntryMeta, data: Buffer): void {
    this.op(OpKind.File, entry, path, '', meta, data);
  }
  open(entry: OpEntry, path: string, mode: number): void {
    this.op(OpKind.Open, entry, path, '', { uid: 0, gid: 0, mode });
  }
  write(entry: OpEntry, data: Buffer): void {
    this.op(OpKind.Write, entry, '', '', NO_META, data);
  }
  close(entry: OpEntry, meta: LayerEntryMeta): void {
    this.op(OpKind.Close, entry, '', '', meta);
  }
  mkdir(entry: OpEntry, path: string, meta: LayerEntryMeta): void {
    this.op(OpKind.Mkdir, entry, path, '', meta);
  }
  symlink(entry: OpEntry, path: string, target: string, meta: LayerEntryMeta): void {
    this.op(OpKind.Symlink, entry, path, target, meta);
  }
  hardlink(entry: OpEntry, path: string, target: string): void {
    this.op(OpKind.Hardlink, entry, path, target, NO_META);
  }
  mknod(entry: OpEntry, path: string, device: 'c' | 'b' | 'p', major: number, minor: number, meta: LayerEntryMeta): void {
    this.op(OpKind.Mknod, entry, path, '', meta, EMPTY, DEVICE_TYPE[device], major, minor);
  }
  whiteout(entry: OpEntry, path: string, meta: LayerEntryMeta): void {
    this.op(OpKind.Whiteout, entry, path, '', meta);
  }
  opaque(entry: OpEntry, dir: string): void {
    this.op(OpKind.Opaque, entry, dir, '', NO_META);
  }
  /** utimensat; a path gone by then (removed later in the layer) is no error */
  times(entry: OpEntry, path: string, times: LayerTimes): void {
    this.op(OpKind.Times, entry, path, '', { uid: 0, gid: 0, mode: 0, ...times }, EMPTY, 0, 0, 0, IGNORE_ENOENT);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
    this.view = viewOf(bigger);
  }

  private string(s: string): number {
    // the worst case of UTF-8 (3 bytes a UTF-16 unit) and the NUL
    this.reserve(s.length * 3 + 1);
    const n = this.buf.write(s, this.len, 'utf8');
    this.buf[this.len + n] = 0;
    this.len += n + 1;
    return n;
  }

  private op(
    kind: OpKind,
    entry: OpEntry,
    path: string,
    target: string,
    meta: LayerEntryMeta,
    data: Buffer = EMPTY,
    deviceType = 0,
    major = 0,
    minor = 0,
    flags = 0,
  ): void {
    const inRing = data.length > 0 && data.buffer === this.ring.buffer;
    this.reserve(HEADER);
    const h = this.len;
    const v = this.view;
    v.setUint32(h, kind, true);
    v.setUint32(h + 4, meta.uid, true);
    v.setUint32(h + 8, meta.gid, true);
    v.setUint32(h + 12, meta.mode, true);
    setInt64(v, h + 16, meta.atime ?? 0);
    setInt64(v, h + 24, meta.mtime ?? 0);
    v.setInt32(h + 32, meta.atime === undefined ? -1 : (meta.atimeNs ?? 0), true);
    v.setInt32(h + 36, meta.mtime === undefined ? -1 : (meta.mtimeNs ?? 0), true);
    v.setUint32(h + 40, major, true);
    v.setUint32(h + 44, minor, true);
    v.setUint32(h + 56, meta.xattrs?.length ?? 0, true);
    v.setUint32(h + 60, data.length, true);
    v.setUint32(h + 64, inRing ? 1 : 0, true);
    v.setUint32(h + 68, inRing ? data.byteOffset - this.ring.byteOffset : 0, true);
    v.setUint32(h + 72, deviceType, true);
    v.setUint32(h + 76, flags, true);
    this.len += HEADER;
    // string() may grow the memory: this.view from here on, not v
    const pathLen = this.string(path);
    this.view.setUint32(h + 48, pathLen, true);
    const targetLen = this.string(target);
    this.view.setUint32(h + 52, targetLen, true);
    for (const [name, value] of meta.xattrs ?? []) {
      this.reserve(8);
      const x = this.len;
      this.len += 8;
      const nameLen = this.string(name);
      this.view.setUint32(x, nameLen, true);
      this.view.setUint32(x + 4, value.length, true);
      this.reserve(value.length);
      value.copy(this.buf, this.len);
      this.len += value.length;
    }
    if (!inRing && data.length > 0) {
      this.reserve(data.length);
      data.copy(this.buf, this.len);
      this.len += data.length;
    }
    const pad = (8 - (this.len % 8)) % 8;
    this.reserve(pad);
    // a loop of at most 7: Buffer#fill validates its arguments in JavaScript first
    for (let i = 0; i < pad; i++) this.buf[this.len + i] = 0;
    this.len += pad;
    this.entries.push(entry);
  }
}
