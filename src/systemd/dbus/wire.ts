// The D-Bus wire format (little-endian), as far as tsrun's calls to systemd
// need it: the basic types, arrays, structs, dict entries and variants, each
// value aligned to its type's boundary measured from the start of the message.
// Values travel as plain JS data typed by a signature string:
//   y n q i u d -> number, x t -> bigint (or a safe integer number), b -> boolean,
//   s o g -> string, a -> array (dict entries as [key, value] pairs),
//   ( ) -> array of the fields, v -> Variant { signature, value }.
// The D-Bus specification, "Message Protocol / Marshaling (Wire Format)".

/** A value of type `v`: its own signature and the value. */
export interface Variant {
  signature: string;
  value: unknown;
}

export class DbusWireError extends Error {}

const FIXED_ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8 };

function alignOf(code: string): number {
  const a = FIXED_ALIGN[code];
  if (a === undefined) throw new DbusWireError(`unknown D-Bus type code ${JSON.stringify(code)}`);
  return a;
}

/** End index (exclusive) of the one complete type starting at `sig[i]`. */
function completeTypeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw new DbusWireError(`signature ${JSON.stringify(sig)} ends inside a type`);
  if (c === 'a') return completeTypeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new DbusWireError(`signature ${JSON.stringify(sig)} lacks a ${close}`);
      j = completeTypeEnd(sig, j);
    }
    return j + 1;
  }
  alignOf(c);
  return i + 1;
}

/** The complete types of a signature: "sa(sv)" -> ["s", "a(sv)"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = completeTypeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

function toBigInt(v: unknown, code: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new DbusWireError(`a ${code} value must be an integer, not ${String(v)}`);
}

function toInt(v: unknown, code: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new DbusWireError(`a ${code} value must be an integer, not ${String(v)}`);
}

/** Builds a message: values appended in order, aligned from offset 0. */
export class WireWriter {
  private buf = Buffer.alloc(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.reserve(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  raw(b: Buffer): void {
    this.reserve(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  /** Overwrite a u32 written earlier (an array's length). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  private fixed(n: number, put: (b: Buffer, at: number) => void): void {
    this.align(n);
    this.reserve(n);
    put(this.buf, this.len);
    this.len += n;
  }

  /** Append the values of `signature` (one per complete type). */
  write(signature: string, values: readonly unknown[]): void {
    const types = splitSignature(signature);
    if (types.length !== values.length) throw new DbusWireError(`signature ${signature} wants ${types.length} values, got ${values.length}`);
    types.forEach((t, i) => this.value(t, values[i]));
  }

  value(type: string, v: unknown): void {
    const c = type[0]!;
    switch (c) {
      case 'y':
        return this.fixed(1, (b, at) => b.writeUInt8(toInt(v, c), at));
      case 'b':
        if (typeof v !== 'boolean') throw new DbusWireError(`a b value must be a boolean, not ${String(v)}`);
        return this.fixed(4, (b, at) => b.writeUInt32LE(v ? 1 : 0, at));
      case 'n':
        return this.fixed(2, (b, at) => b.writeInt16LE(toInt(v, c), at));
      case 'q':
        return this.fixed(2, (b, at) => b.writeUInt16LE(toInt(v, c), at));
      case 'i':
        return this.fixed(4, (b, at) => b.writeInt32LE(toInt(v, c), at));
      case 'u':
      case 'h':
        return this.fixed(4, (b, at) => b.writeUInt32LE(toInt(v, c), at));
      case 'x':
        return this.fixed(8, (b, at) => b.writeBigInt64LE(toBigInt(v, c), at));
      case 't':
        return this.fixed(8, (b, at) => b.writeBigUInt64LE(toBigInt(v, c), at));
      case 'd':
        if (typeof v !== 'number') throw new DbusWireError(`a d value must be a number, not ${String(v)}`);
        return this.fixed(8, (b, at) => b.writeDoubleLE(v, at));
      case 's':
      case 'o': {
        if (typeof v !== 'string') throw new DbusWireError(`a ${c} value must be a string, not ${String(v)}`);
        const bytes = Buffer.from(v, 'utf8');
        if (bytes.includes(0)) throw new DbusWireError('D-Bus strings cannot hold a NUL byte');
        this.fixed(4, (b, at) => b.writeUInt32LE(bytes.length, at));
        this.raw(bytes);
        return this.raw(Buffer.from([0]));
      }
      case 'g': {
        if (typeof v !== 'string') throw new DbusWireError(`a g value must be a string, not ${String(v)}`);
        const bytes = Buffer.from(v, 'ascii');
        if (bytes.length > 255) throw new DbusWireError('a D-Bus signature is at most 255 bytes');
        this.raw(Buffer.from([bytes.length]));
        this.raw(bytes);
        return this.raw(Buffer.from([0]));
      }
      case 'v': {
        const variant = v as Variant;
        if (!variant || typeof variant.signature !== 'string') throw new DbusWireError('a v value must be a Variant { signature, value }');
        if (splitSignature(variant.signature).length !== 1) throw new DbusWireError(`a variant holds one complete type, not ${variant.signature}`);
        this.value('g', variant.signature);
        return this.value(variant.signature, variant.value);
      }
      case 'a': {
        if (!Array.isArray(v)) throw new DbusWireError(`an ${type} value must be an array`);
        const elem = type.slice(1);
        this.align(4);
        const lengthAt = this.len;
        this.fixed(4, (b, at) => b.writeUInt32LE(0, at));
        // the padding to the first element is not counted in the length
        this.align(alignOf(elem[0]!));
        const start = this.len;
        for (const e of v) this.value(elem, e);
        this.patchU32(lengthAt, this.len - start);
        return;
      }
      case '(':
      case '{': {
        const fields = splitSignature(type.slice(1, -1));
        if (!Array.isArray(v) || v.length !== fields.length) throw new DbusWireError(`a ${type} value must be an array of ${fields.length} fields`);
        this.align(8);
        fields.forEach((f, i) => this.value(f, v[i]));
        return;
      }
      default:
        throw new DbusWireError(`cannot marshal D-Bus type ${type}`);
    }
  }
}

/** Reads values from a message buffer; offsets count from the message start. */
export class WireReader {
  constructor(
    private readonly buf: Buffer,
    public offset = 0,
  ) {}

  align(n: number): void {
    this.offset += (n - (this.offset % n)) % n;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DbusWireError('D-Bus message ends inside a value');
  }

  private fixed<T>(n: number, get: (b: Buffer, at: number) => T): T {
    this.align(n);
    this.need(n);
    const v = get(this.buf, this.offset);
    this.offset += n;
    return v;
  }

  read(signature: string): unknown[] {
    return splitSignature(signature).map((t) => this.value(t));
  }

  value(type: string): unknown {
    const c = type[0]!;
    switch (c) {
      case 'y':
        return this.fixed(1, (b, at) => b.readUInt8(at));
      case 'b':
        return this.fixed(4, (b, at) => b.readUInt32LE(at)) !== 0;
      case 'n':
        return this.fixed(2, (b, at) => b.readInt16LE(at));
      case 'q':
        return this.fixed(2, (b, at) => b.readUInt16LE(at));
      case 'i':
        return this.fixed(4, (b, at) => b.readInt32LE(at));
      case 'u':
      case 'h':
        return this.fixed(4, (b, at) => b.readUInt32LE(at));
      case 'x':
        return this.fixed(8, (b, at) => b.readBigInt64LE(at));
      case 't':
        return this.fixed(8, (b, at) => b.readBigUInt64LE(at));
      case 'd':
        return this.fixed(8, (b, at) => b.readDoubleLE(at));
      case 's':
      case 'o': {
        const n = this.fixed(4, (b, at) => b.readUInt32LE(at));
        this.need(n + 1);
        const s = this.buf.toString('utf8', this.offset, this.offset + n);
        this.offset += n + 1;
        return s;
      }
      case 'g': {
        this.need(1);
        const n = this.buf.readUInt8(this.offset);
        this.need(n + 2);
        const s = this.buf.toString('ascii', this.offset + 1, this.offset + 1 + n);
        this.offset += n + 2;
        return s;
      }
      case 'v': {
        const signature = this.value('g') as string;
        return { signature, value: this.value(signature) } satisfies Variant;
      }
      case 'a': {
        const n = this.fixed(4, (b, at) => b.readUInt32LE(at));
        const elem = type.slice(1);
        this.align(alignOf(elem[0]!));
        const end = this.offset + n;
        if (end > this.buf.length) throw new DbusWireError('D-Bus array runs past the end of the message');
        const out: unknown[] = [];
        while (this.offset < end) out.push(this.value(elem));
        return out;
      }
      case '(':
      case '{': {
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((f) => this.value(f));
      }
      default:
        throw new DbusWireError(`cannot unmarshal D-Bus type ${type}`);
    }
  }
}
