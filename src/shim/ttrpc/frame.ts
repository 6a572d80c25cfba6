// ttrpc's framing (github.com/containerd/ttrpc channel.go): every message is
// a 10-byte header — payload length (uint32, big-endian), stream id (uint32),
// message type (1 request, 2 response), flags — then the payload, at most
// 4 MiB. A client numbers its streams with odd ids. Pure logic: bytes in,
// frames out.

export const HEADER_LENGTH = 10;
export const MESSAGE_LENGTH_MAX = 4 << 20;

export const MessageType = { REQUEST: 1, RESPONSE: 2 } as const;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Buffer;
}

/** A frame whose payload was over the limit: its bytes were skipped (ttrpc answers ResourceExhausted). */
export interface OversizedFrame {
  streamId: number;
  type: number;
  oversized: number;
}

export function encodeFrame(streamId: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  if (payload.length > MESSAGE_LENGTH_MAX) throw new RangeError(`ttrpc: message length ${payload.length} exceeds the maximum of ${MESSAGE_LENGTH_MAX}`);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(streamId >>> 0, 4);
  out.writeUInt8(type, 8);
  out.writeUInt8(flags, 9);
  out.set(payload, HEADER_LENGTH);
  return out;
}

/** Reassembles frames from a byte stream, however it is chunked. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** bytes of an oversized payload still to drop */
  private skipping = 0;

  push(chunk: Buffer): Array<Frame | OversizedFrame> {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Array<Frame | OversizedFrame> = [];
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.buffered);
        this.take(n);
        this.skipping -= n;
        if (this.skipping > 0) return out;
      }
      if (this.buffered < HEADER_LENGTH) return out;
      const header = this.peek(HEADER_LENGTH);
      const length = header.readUInt32BE(0);
      const streamId = header.readUInt32BE(4);
      const type = header.readUInt8(8);
      const flags = header.readUInt8(9);
      if (length > MESSAGE_LENGTH_MAX) {
        this.take(HEADER_LENGTH);
        this.skipping = length;
        out.push({ streamId, type, oversized: length });
        continue;
      }
      if (this.buffered < HEADER_LENGTH + length) return out;
      this.take(HEADER_LENGTH);
      out.push({ streamId, type, flags, payload: this.take(length) });
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

export function isOversized(f: Frame | OversizedFrame): f is OversizedFrame {
  return 'oversized' in f;
}
