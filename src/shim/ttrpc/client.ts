// A minimal ttrpc client: unary calls over one unix socket connection, odd
// stream ids, responses matched by id. The shim uses it to forward events to
// containerd (containerd.services.events.ttrpc.v1.Events/Forward).
import * as net from 'node:net';
import { decode, encode } from '../proto/codec';
import { TtrpcRequest, TtrpcResponse } from '../proto/messages';
import { encodeFrame, FrameReader, isOversized, MessageType } from './frame';
import { Code, RpcError } from './status';

interface Pending {
  resolve: (payload: Uint8Array) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class TtrpcClient {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private nextStream = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly path: string) {}

  async call(service: string, method: string, payload: Uint8Array, opts: { timeoutMs: number; metadata?: Record<string, string> }): Promise<Uint8Array> {
    const socket = await this.connect();
    const streamId = this.nextStream;
    this.nextStream = (this.nextStream + 2) >>> 0 || 1;
    const metadata = Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value }));
    const body = encode(TtrpcRequest, { service, method, payload, timeoutNano: BigInt(opts.timeoutMs) * 1_000_000n, metadata });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(streamId);
        reject(new RpcError(Code.CANCELLED, `${service}.${method}: no answer within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      this.pending.set(streamId, { resolve, reject, timer });
      socket.write(encodeFrame(streamId, MessageType.REQUEST, body));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.createConnection(this.path);
      const reader = new FrameReader();
      socket.once('connect', () => {
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        for (const f of reader.push(chunk)) {
          if (f.type !== MessageType.RESPONSE) continue;
          const p = this.pending.get(f.streamId);
          if (!p) continue;
          this.pending.delete(f.streamId);
          clearTimeout(p.timer);
          if (isOversized(f)) {
            p.reject(new RpcError(Code.RESOURCE_EXHAUSTED, 'response too large'));
            continue;
          }
          try {
            const res = decode(TtrpcResponse, f.payload);
            if (res.status && res.status.code !== Code.OK) p.reject(new RpcError(res.status.code, res.status.message));
            else p.resolve(res.payload);
          } catch (err) {
            p.reject(err as Error);
          }
        }
      });
      const fail = (err: Error) => {
        if (this.connecting) {
          this.connecting = undefined;
          reject(err);
        }
        if (this.socket === socket) this.socket = undefined;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new RpcError(Code.UNAVAILABLE, `ttrpc connection to ${this.path} closed: ${err.message}`));
          this.pending.delete(id);
        }
      };
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('closed')));
    });
    return this.connecting;
  }
}
