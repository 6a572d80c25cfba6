// D-Bus messages: the fixed header, the header fields, the body; building
// one for a method call and reading any message back. Little-endian only
// (what this client sends; a big-endian peer is refused with a clear error).
import { DbusWireError, WireReader, WireWriter, type Variant } from './wire';

export const MESSAGE_TYPE = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;
type MessageType = (typeof MESSAGE_TYPE)[keyof typeof MESSAGE_TYPE];

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8, unixFds: 9 } as const;
const FIELD_SIGNATURE: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g', 9: 'u' };

const LITTLE_ENDIAN = 0x6c; // 'l'
const PROTOCOL_VERSION = 1;
/** the fixed part: endianness, type, flags, version, body length, serial, then the fields' array length */
const FIXED_HEADER = 16;
/** the specification's limit on a whole message */
const MAX_MESSAGE = 128 * 1024 * 1024;

export interface DbusMessage {
  type: MessageType;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** the body's signature ("" when there is no body) */
  signature: string;
  body: unknown[];
}

export interface MethodCall {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** Marshal a method call with `serial`. */
export function encodeMethodCall(call: MethodCall, serial: number): Buffer {
  return encodeMessage({ ...call, type: MESSAGE_TYPE.methodCall, flags: 0, serial, signature: call.signature ?? '', body: call.body ?? [] });
}

/** Marshal any message (a peer's replies and signals too: the tests' scripted systemd). */
export function encodeMessage(m: DbusMessage): Buffer {
  const bodyWriter = new WireWriter();
  bodyWriter.write(m.signature, m.body);
  const body = bodyWriter.bytes();
  const fields: Array<[number, Variant]> = [];
  const add = (code: number, value: string | number | undefined) => {
    if (value !== undefined && value !== '') fields.push([code, { signature: FIELD_SIGNATURE[code]!, value }]);
  };
  add(FIELD.path, m.path);
  add(FIELD.interface, m.interface);
  add(FIELD.member, m.member);
  add(FIELD.errorName, m.errorName);
  add(FIELD.replySerial, m.replySerial);
  add(FIELD.destination, m.destination);
  add(FIELD.sender, m.sender);
  add(FIELD.signature, m.signature);
  const w = new WireWriter();
  w.write('yyyyuua(yv)', [LITTLE_ENDIAN, m.type, m.flags, PROTOCOL_VERSION, body.length, m.serial, fields]);
  // the body starts 8-aligned, so its own alignment (from 0) stays right
  w.align(8);
  w.raw(body);
  return w.bytes();
}

/** Bytes needed for the message starting at buf[0], once its fixed header is in; undefined before. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < FIXED_HEADER) return undefined;
  if (buf[0] !== LITTLE_ENDIAN) throw new DbusWireError(`the D-Bus peer sent a message with endianness byte ${buf[0]} (only little-endian is read)`);
  const bodyLength = buf.readUInt32LE(4);
  const fieldsLength = buf.readUInt32LE(12);
  const header = FIXED_HEADER + fieldsLength;
  const total = header + ((8 - (header % 8)) % 8) + bodyLength;
  if (total > MAX_MESSAGE) throw new DbusWireError(`the D-Bus peer announced a message of ${total} bytes`);
  return total;
}

/** Unmarshal one complete message. */
export function decodeMessage(buf: Buffer): DbusMessage {
  const r = new WireReader(buf);
  const [, type, flags, version, bodyLength, serial, fields] = r.read('yyyyuua(yv)') as [number, number, number, number, number, number, Array<[number, Variant]>];
  if (version !== PROTOCOL_VERSION) throw new DbusWireError(`D-Bus protocol version ${version} (1 expected)`);
  const msg: DbusMessage = { type: type as MessageType, flags, serial, signature: '', body: [] };
  for (const [code, v] of fields) {
    if (FIELD_SIGNATURE[code] !== undefined && v.signature !== FIELD_SIGNATURE[code]) throw new DbusWireError(`D-Bus header field ${code} has type ${v.signature}`);
    switch (code) {
      case FIELD.path:
        msg.path = v.value as string;
        break;
      case FIELD.interface:
        msg.interface = v.value as string;
        break;
      case FIELD.member:
        msg.member = v.value as string;
        break;
      case FIELD.errorName:
        msg.errorName = v.value as string;
        break;
      case FIELD.replySerial:
        msg.replySerial = v.value as number;
        break;
      case FIELD.destination:
        msg.destination = v.value as string;
        break;
      case FIELD.sender:
        msg.sender = v.value as string;
        break;
      case FIELD.signature:
        msg.signature = v.value as string;
        break;
      default:
        // unknown fields are ignored, as the specification asks
        break;
    }
  }
  r.align(8);
  const bodyStart = r.offset;
  if (bodyStart + bodyLength > buf.length) throw new DbusWireError('D-Bus message body is cut short');
  // the body's alignment counts from the message start, which is where r stands
  msg.body = msg.signature ? new WireReader(buf.subarray(0, bodyStart + bodyLength), bodyStart).read(msg.signature) : [];
  return msg;
}
