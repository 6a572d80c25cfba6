// A synchronous tar reader for layer blobs: fed decompressed bytes in chunks
// of any size, it decodes each 512-byte header (ustar and GNU, base-256
// numbers, GNU long names, PAX headers kept as raw bytes), applies the long
// names and PAX records to the entry that follows, and hands the entry's
// content to the caller's sink as it arrives. It keeps no reference to a
// chunk after push() returns (a partial header is copied), so the caller may
// reuse the chunk's memory, and it never touches the filesystem.
// Its framing follows tar-stream 3, which the unpacker used before: all-zero
// blocks are skipped (also after the end-of-archive marker), a directory's
// size field is ignored, unknown header formats and bad checksums are errors.
import { MAX_PAX_BYTES, parsePax, type PaxRecords } from './pax';

type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file';

/** One entry's header, with GNU long names and PAX path, linkpath and size applied. */
export interface TarHeader {
  name: string;
  /** null for a type flag this reader does not know (see typeflag) */
  type: TarEntryType | null;
  /** the raw type flag character ("0", "5", "S"...) */
  typeflag: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch, from the header (PAX mtime is read by the caller) */
  mtime: number;
  linkname: string | null;
  devmajor: number;
  devminor: number;
}

/**
 * Receives an entry's content: whole() once when all of it is at hand in one
 * chunk (a small file, the common case), else write() as it arrives, then end().
 */
export interface ContentSink {
  whole(data: Buffer): void;
  write(data: Buffer): void;
  end(): void;
}

/** What the reader calls for each entry; undefined: skip its content. */
export type EntryHandler = (header: TarHeader, pax: PaxRecords | undefined) => ContentSink | undefined;

/** The byte stream is not a tar archive this reader accepts. */
export class TarFormatError extends Error {
  /** the name in the header at fault, when there is one to give */
  readonly entry: string | undefined;
  constructor(message: string, entry?: string) {
    super(message);
    this.entry = entry;
  }
}

const BLOCK = 512;
const EMPTY = Buffer.alloc(0);
/** a GNU long name block; normalizeEntryPath refuses names past PATH_MAX anyway */
const MAX_LONG_NAME = 64 * 1024;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
};
const PAX_LOCAL = 'x';
const PAX_GLOBAL = 'g';
const GNU_LONG_NAME = new Set(['L', 'N']);
const GNU_LONG_LINK = 'K';

const enum State {
  Header,
  /** a PAX or GNU long-name block, collected whole */
  Long,
  /** an entry's content, to the sink */
  Content,
  /** padding, or content nobody wants */
  Skip,
}

function cstring(buf: Buffer, start: number, len: number): string {
  let end = start;
  const max = start + len;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', start, end);
}

/** A numeric header field: octal text (leading spaces/NULs, ends at a space or NUL) or GNU base-256. */
function number(buf: Buffer, start: number, len: number, field: string): number {
  const first = buf[start] as number;
  if (first & 0x80) {
    if (first !== 0x80 && first !== 0xff) throw new TarFormatError(`invalid base-256 ${field} field`);
    const negative = first === 0xff;
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (negative ? 0xff - (buf[i] as number) : (buf[i] as number));
    if (!Number.isSafeInteger(v)) throw new TarFormatError(`${field} field out of range`);
    return negative ? -v - 1 : v;
  }
  let i = start;
  const end = start + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  if (digits === 0 && i < end && buf[i] !== 0x20 && buf[i] !== 0) throw new TarFormatError(`invalid ${field} field`);
  return v;
}

/** the checksum of a block that is all zeros (but for its checksum field) */
const EMPTY_CHECKSUM = 8 * 0x20;

function checksum(buf: Buffer, off: number): number {
  let sum = EMPTY_CHECKSUM;
  for (let i = off; i < off + 148; i++) sum += buf[i] as number;
  for (let i = off + 156; i < off + BLOCK; i++) sum += buf[i] as number;
  return sum;
}

/** "ustar\0" (POSIX) or "ustar  \0" (GNU) at offset 257; byte by byte: Buffer.compare costs more per header */
function magic(buf: Buffer, off: number): 'ustar' | 'gnu' | undefined {
  const m = off + 257;
  if (buf[m] !== 0x75 || buf[m + 1] !== 0x73 || buf[m + 2] !== 0x74 || buf[m + 3] !== 0x61 || buf[m + 4] !== 0x72) return undefined;
  if (buf[m + 5] === 0) return 'ustar';
  if (buf[m + 5] === 0x20 && buf[m + 6] === 0x20 && buf[m + 7] === 0) return 'gnu';
  return undefined;
}

/** One 512-byte header at buf[off], as it is written; null for an empty block (end-of-archive marker, padding). */
function decodeHeader(buf: Buffer, off: number): TarHeader | null {
  const sum = checksum(buf, off);
  if (sum === EMPTY_CHECKSUM) return null;
  if (sum !== number(buf, off + 148, 8, 'checksum')) throw new TarFormatError('invalid tar header checksum (is the layer corrupt, or compressed twice?)');
  const format = magic(buf, off);
  if (format === undefined) throw new TarFormatError('unknown tar header format (neither ustar nor GNU)');
  const ustar = format === 'ustar';
  let name = cstring(buf, off, 100);
  if (ustar && buf[off + 345] !== 0) name = `${cstring(buf, off + 345, 155)}/${name}`;
  let typeflag = String.fromCharCode(buf[off + 156] as number);
  // old tars mark directories with a trailing slash on a regular file
  if ((typeflag === '0' || typeflag === '\0') && name.endsWith('/')) typeflag = '5';
  return {
    name,
    type: TYPES[typeflag] ?? null,
    typeflag,
    size: number(buf, off + 124, 12, 'size'),
    mode: number(buf, off + 100, 8, 'mode'),
    uid: number(buf, off + 108, 8, 'uid'),
    gid: number(buf, off + 116, 8, 'gid'),
    mtime: number(buf, off + 136, 12, 'mtime'),
    linkname: buf[off + 157] === 0 ? null : cstring(buf, off + 157, 100),
    devmajor: number(buf, off + 329, 8, 'devmajor'),
    devminor: number(buf, off + 337, 8, 'devminor'),
  };
}

function mergePax(global: PaxRecords | undefined, local: PaxRecords | undefined): PaxRecords | undefined {
  if (!global) return local;
  if (!local) return global;
  return new Map([...global, ...local]);
}

function paxSize(pax: PaxRecords | undefined, fallback: number, entry: string): number {
  const v = pax?.get('size');
  if (v === undefined) return fallback;
  const text = v.toString('latin1');
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new TarFormatError(`invalid PAX size ${JSON.stringify(text)}`, entry);
  return Number(text);
}

/** a PAX or GNU long-name block being collected */
interface LongBlock {
  typeflag: string;
  /** the name in its own header ("PaxHeaders.0/f"), for errors */
  name: string;
  buf: Buffer;
  filled: number;
}

export class TarReader {
  private state = State.Header;
  /** bytes still to come in the current state (Long, Content, Skip) */
  private missing = 0;
  /** a header split across chunks */
  private readonly partial = Buffer.alloc(BLOCK);
  private partialLength = 0;
  private long: LongBlock | undefined;
  private sink: ContentSink | undefined;
  /** some of the current entry's content went to write() */
  private started = false;
  private padding = 0;
  private pax: PaxRecords | undefined;
  private globalPax: PaxRecords | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(private readonly onEntry: EntryHandler) {}

  /** Consume all of chunk (the reader keeps no reference to it). Throws what the handler or sink throws. */
  push(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      switch (this.state) {
        case State.Header: {
          if (this.partialLength === 0 && len - off >= BLOCK) {
            this.header(chunk, off);
            off += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.partialLength, len - off);
            chunk.copy(this.partial, this.partialLength, off, off + n);
            this.partialLength += n;
            off += n;
            if (this.partialLength === BLOCK) {
              this.partialLength = 0;
              this.header(this.partial, 0);
            }
          }
          break;
        }
        case State.Long: {
          const long = this.long as LongBlock;
          const n = Math.min(this.missing, len - off);
          chunk.copy(long.buf, long.filled, off, off + n);
          long.filled += n;
          this.missing -= n;
          off += n;
          if (this.missing === 0) this.longDone(long);
          break;
        }
        case State.Content: {
          const sink = this.sink as ContentSink;
          if (!this.started && len - off >= this.missing) {
            const n = this.missing;
            this.missing = 0;
            this.sink = undefined;
            this.afterData();
            sink.whole(chunk.subarray(off, off + n));
            off += n;
            break;
          }
          this.started = true;
          const n = Math.min(this.missing, len - off);
          sink.write(chunk.subarray(off, off + n));
          this.missing -= n;
          off += n;
          if (this.missing === 0) this.contentDone();
          break;
        }
        case State.Skip: {
          const n = Math.min(this.missing, len - off);
          this.missing -= n;
          off += n;
          if (this.missing === 0) this.state = State.Header;
          break;
        }
      }
    }
  }

  /** The stream ended: throws unless it ended between entries. */
  end(): void {
    if (this.state !== State.Header || this.partialLength !== 0) throw new TarFormatError('unexpected end of data (the tar stream is truncated)');
  }

  private header(buf: Buffer, off: number): void {
    const h = decodeHeader(buf, off);
    if (h === null) return;
    const padded = h.size + ((BLOCK - (h.size % BLOCK)) % BLOCK);
    if (h.typeflag === PAX_LOCAL || h.typeflag === PAX_GLOBAL) {
      // refused before anything is buffered
      if (h.size > MAX_PAX_BYTES) throw new TarFormatError(`PAX header of ${h.size} bytes exceeds the ${MAX_PAX_BYTES}-byte limit`, h.name);
      return this.startLong(h, padded);
    }
    if (GNU_LONG_NAME.has(h.typeflag) || h.typeflag === GNU_LONG_LINK) {
      if (h.size > MAX_LONG_NAME) throw new TarFormatError(`GNU long name of ${h.size} bytes exceeds the ${MAX_LONG_NAME}-byte limit`, h.name);
      return this.startLong(h, padded);
    }

    // long names and PAX records override the header's own fields
    const pax = mergePax(this.globalPax, this.pax);
    const pathRecord = pax?.get('path');
    const linkRecord = pax?.get('linkpath');
    if (pathRecord !== undefined) h.name = pathRecord.toString('utf8');
    else if (this.longName !== undefined) h.name = this.longName;
    if (linkRecord !== undefined) h.linkname = linkRecord.toString('utf8');
    else if (this.longLink !== undefined) h.linkname = this.longLink;
    if (pax) h.size = paxSize(pax, h.size, h.name);
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    if (h.size < 0) throw new TarFormatError('negative entry size', h.name);

    // tar-stream's framing: a directory has no content, whatever its size says
    const size = h.type === 'directory' ? 0 : h.size;
    const sink = this.onEntry(h, pax);
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) {
      sink?.whole(EMPTY);
      return;
    }
    if (sink) {
      this.sink = sink;
      this.started = false;
      this.state = State.Content;
      this.missing = size;
    } else {
      this.state = State.Skip;
      this.missing = size + this.padding;
    }
  }

  private startLong(h: TarHeader, padded: number): void {
    this.padding = padded - h.size;
    const long = { typeflag: h.typeflag, name: h.name, buf: Buffer.allocUnsafe(h.size), filled: 0 };
    if (h.size === 0) {
      this.longDone(long);
      return;
    }
    this.long = long;
    this.state = State.Long;
    this.missing = h.size;
  }

  private longDone(long: LongBlock): void {
    this.long = undefined;
    this.afterData();
    const { typeflag, buf } = long;
    if (typeflag === GNU_LONG_LINK) this.longLink = cstring(buf, 0, buf.length);
    else if (GNU_LONG_NAME.has(typeflag)) this.longName = cstring(buf, 0, buf.length);
    else {
      let records: PaxRecords;
      try {
        records = parsePax(buf);
      } catch (e) {
        throw new TarFormatError((e as Error).message, long.name);
      }
      if (typeflag === PAX_LOCAL) this.pax = records;
      else this.globalPax = mergePax(this.globalPax, records);
    }
  }

  private contentDone(): void {
    const sink = this.sink as ContentSink;
    this.sink = undefined;
    this.afterData();
    sink.end();
  }

  /** after an entry's data: its padding, then the next header */
  private afterData(): void {
    if (this.padding > 0) {
      this.state = State.Skip;
      this.missing = this.padding;
    } else {
      this.state = State.Header;
    }
  }
}
