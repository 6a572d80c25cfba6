// Protobuf messages described by hand: each message is a table of its fields
// (name -> field number and type, exactly as containerd's .proto files number
// them), and one generic encoder/decoder walks that table over
// @bufbuild/protobuf's wire reader and writer. Only the fields the shim uses
// are described; unknown fields are skipped when decoding, as protobuf does.
//
// proto3 rules: a scalar at its zero value is not written; repeated numbers
// are written packed and read packed or not; a map<string,string> is a
// repeated {key = 1, value = 2} entry; 64-bit integers decode to bigint.
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

type ScalarKind = 'string' | 'bytes' | 'bool' | 'uint32' | 'int32' | 'enum' | 'uint64' | 'int64';

interface ScalarField {
  no: number;
  kind: ScalarKind;
  repeated?: boolean;
}

interface MessageField {
  no: number;
  kind: 'message';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type: () => MessageType<any>;
  repeated?: boolean;
}

interface MapField {
  no: number;
  kind: 'map';
}

type FieldSpec = ScalarField | MessageField | MapField;

type ScalarValue<K extends ScalarKind> = K extends 'string'
  ? string
  : K extends 'bytes'
    ? Uint8Array
    : K extends 'bool'
      ? boolean
      : K extends 'uint64' | 'int64'
        ? bigint
        : number;

type FieldValue<F> = F extends MapField
  ? Record<string, string>
  : F extends MessageField
    ? F extends { repeated: true }
      ? Array<Infer<ReturnType<F['type']>>>
      : Infer<ReturnType<F['type']>> | undefined
    : F extends ScalarField
      ? F extends { repeated: true }
        ? Array<ScalarValue<F['kind']>>
        : ScalarValue<F['kind']>
      : never;

export interface MessageType<T> {
  /** the full protobuf name, e.g. "containerd.task.v2.CreateTaskRequest" (an Any's type URL) */
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** phantom: the decoded shape */
  readonly _shape?: T;
}

/** The decoded shape of a message type (every field present, defaults filled in). */
export type Infer<M> = M extends MessageType<infer T> ? T : never;

/** What encode() accepts: any subset of the fields; 64-bit fields also as numbers. */
export type Input<M> = M extends MessageType<infer T> ? { [K in keyof T]?: InputValue<T[K]> } : never;
type InputValue<V> = V extends bigint
  ? bigint | number
  : V extends Array<infer E>
    ? Array<InputValue<E>>
    : V extends Uint8Array
      ? Uint8Array
      : V extends object
        ? { [K in keyof V]?: InputValue<V[K]> }
        : V;

/** Define a message type from its field table. */
export function message<const F extends Record<string, FieldSpec>>(name: string, fields: F): MessageType<{ -readonly [K in keyof F]: FieldValue<F[K]> }> {
  const numbers = new Set<number>();
  for (const [key, f] of Object.entries(fields)) {
    if (numbers.has(f.no)) throw new Error(`${name}.${key}: field number ${f.no} used twice`);
    numbers.add(f.no);
  }
  return { name, fields };
}

export class ProtoDecodeError extends Error {}

function isPackable(kind: ScalarKind): boolean {
  return kind !== 'string' && kind !== 'bytes';
}

function writeScalar(w: BinaryWriter, kind: ScalarKind, v: unknown): void {
  switch (kind) {
    case 'string':
      w.string(v as string);
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'uint32':
      w.uint32(v as number);
      return;
    case 'int32':
    case 'enum':
      w.int32(v as number);
      return;
    case 'uint64':
      w.uint64(v as bigint | number);
      return;
    case 'int64':
      w.int64(v as bigint | number);
  }
}

function readScalar(r: BinaryReader, kind: ScalarKind): unknown {
  switch (kind) {
    case 'string':
      return r.string();
    case 'bytes':
      return r.bytes();
    case 'bool':
      return r.bool();
    case 'uint32':
      return r.uint32();
    case 'int32':
    case 'enum':
      return r.int32();
    case 'uint64':
      return BigInt(r.uint64());
    case 'int64':
      return BigInt(r.int64());
  }
}

function wireTypeOf(kind: ScalarKind): WireType {
  return kind === 'string' || kind === 'bytes' ? WireType.LengthDelimited : WireType.Varint;
}

function isZeroScalar(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === 0n || v === false || (v instanceof Uint8Array && v.length === 0);
}

function writeMessage(w: BinaryWriter, type: MessageType<unknown>, value: Record<string, unknown>): void {
  for (const [key, f] of Object.entries(type.fields)) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (f.kind === 'map') {
      for (const [mk, mv] of Object.entries(v as Record<string, string>)) {
        w.tag(f.no, WireType.LengthDelimited).fork();
        if (mk !== '') w.tag(1, WireType.LengthDelimited).string(mk);
        if (mv !== '') w.tag(2, WireType.LengthDelimited).string(mv);
        w.join();
      }
    } else if (f.kind === 'message') {
      const items = f.repeated ? (v as Array<Record<string, unknown>>) : [v as Record<string, unknown>];
      for (const item of items) {
        w.tag(f.no, WireType.LengthDelimited).fork();
        writeMessage(w, f.type(), item);
        w.join();
      }
    } else if (f.repeated) {
      const items = v as unknown[];
      if (items.length === 0) continue;
      if (isPackable(f.kind)) {
        w.tag(f.no, WireType.LengthDelimited).fork();
        for (const item of items) writeScalar(w, f.kind, item);
        w.join();
      } else {
        for (const item of items) writeScalar(w.tag(f.no, wireTypeOf(f.kind)), f.kind, item);
      }
    } else if (!isZeroScalar(v)) {
      writeScalar(w.tag(f.no, wireTypeOf(f.kind)), f.kind, v);
    }
  }
}

function defaultOf(f: FieldSpec): unknown {
  if (f.kind === 'map') return {};
  if (f.repeated) return [];
  switch (f.kind) {
    case 'message':
      return undefined;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    case 'uint64':
    case 'int64':
      return 0n;
    default:
      return 0;
  }
}

/** Field number -> [key, spec], built once per message type. */
const byNumber = new WeakMap<MessageType<unknown>, Map<number, [string, FieldSpec]>>();

function numberIndex(type: MessageType<unknown>): Map<number, [string, FieldSpec]> {
  let index = byNumber.get(type);
  if (!index) {
    index = new Map(Object.entries(type.fields).map(([k, f]) => [f.no, [k, f]]));
    byNumber.set(type, index);
  }
  return index;
}

function readMessage(r: BinaryReader, type: MessageType<unknown>, end: number, depth: number): Record<string, unknown> {
  if (depth > 64) throw new ProtoDecodeError(`${type.name}: nested too deeply`);
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(type.fields)) out[key] = defaultOf(f);
  const index = numberIndex(type);
  while (r.pos < end) {
    const [no, wt] = r.tag();
    const entry = index.get(no);
    if (!entry) {
      r.skip(wt, no);
      continue;
    }
    const [key, f] = entry;
    if (f.kind === 'map') {
      expectWire(type, key, wt, WireType.LengthDelimited);
      const entryEnd = r.uint32() + r.pos;
      let mk = '';
      let mv = '';
      while (r.pos < entryEnd) {
        const [eno, ewt] = r.tag();
        if (eno === 1 && ewt === WireType.LengthDelimited) mk = r.string();
        else if (eno === 2 && ewt === WireType.LengthDelimited) mv = r.string();
        else r.skip(ewt, eno);
      }
      (out[key] as Record<string, string>)[mk] = mv;
    } else if (f.kind === 'message') {
      expectWire(type, key, wt, WireType.LengthDelimited);
      const len = r.uint32();
      const sub = readMessage(r, f.type(), r.pos + len, depth + 1);
      if (f.repeated) (out[key] as unknown[]).push(sub);
      else out[key] = sub;
    } else if (f.repeated && isPackable(f.kind) && wt === WireType.LengthDelimited) {
      const packedEnd = r.uint32() + r.pos;
      while (r.pos < packedEnd) (out[key] as unknown[]).push(readScalar(r, f.kind));
    } else {
      expectWire(type, key, wt, wireTypeOf(f.kind));
      const v = readScalar(r, f.kind);
      if (f.repeated) (out[key] as unknown[]).push(v);
      else out[key] = v;
    }
  }
  if (r.pos !== end) throw new ProtoDecodeError(`${type.name}: a field runs past the end of the message`);
  return out;
}

function expectWire(type: MessageType<unknown>, key: string, got: WireType, want: WireType): void {
  if (got !== want) throw new ProtoDecodeError(`${type.name}.${key}: wire type ${got}, expected ${want}`);
}

export function encode<M extends MessageType<unknown>>(type: M, value: Input<M>): Uint8Array {
  const w = new BinaryWriter();
  writeMessage(w, type, value as Record<string, unknown>);
  return w.finish();
}

/** Decode `bytes` as `type`; throws ProtoDecodeError (or the wire reader's RangeError) on malformed input. */
export function decode<M extends MessageType<unknown>>(type: M, bytes: Uint8Array): Infer<M> {
  const r = new BinaryReader(bytes);
  try {
    return readMessage(r, type, bytes.length, 0) as Infer<M>;
  } catch (err) {
    if (err instanceof ProtoDecodeError) throw err;
    throw new ProtoDecodeError(`${type.name}: ${(err as Error).message}`);
  }
}
