// A ttrpc server on a listening unix socket: each connection carries
// requests (odd stream ids from containerd's client), answered in any order
// as their handlers finish, so a Wait that blocks for minutes does not hold
// up the calls behind it. A handler failure becomes the response's status;
// nothing a client sends can throw out of here.
import * as net from 'node:net';
import { decode, encode } from '../proto/codec';
import { TtrpcRequest, TtrpcResponse } from '../proto/messages';
import { encodeFrame, FrameReader, isOversized, MESSAGE_LENGTH_MAX, MessageType } from './frame';
import { Code, RpcError } from './status';

interface RequestContext {
  /** ttrpc metadata (containerd sends its namespace here) */
  metadata: Map<string, string>;
}

export type Handler = (payload: Uint8Array, ctx: RequestContext) => Promise<Uint8Array>;

/** "service/method" -> handler */
export type HandlerTable = ReadonlyMap<string, Handler>;

export interface TtrpcServerOptions {
  handlers: HandlerTable;
  /** a handler threw something that is not an RpcError (logged; answered UNKNOWN) */
  onUnexpected?: (method: string, err: unknown) => void;
  /** any request arrived (the shim's idle timer) */
  onRequest?: () => void;
}

export class TtrpcServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: TtrpcServerOptions) {
    this.server = net.createServer({ allowHalfOpen: false }, (socket) => this.serve(socket));
  }

  /** Serve on an already listening socket (fd), as inherited from the launcher. */
  listenFd(fd: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ fd }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stop accepting; live connections stay until their peers close them. */
  close(): void {
    this.server.close();
  }

  get connections(): number {
    return this.sockets.size;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.type !== MessageType.REQUEST) continue; // ttrpc ignores what it does not know
        if (isOversized(f)) {
          this.respond(socket, f.streamId, new RpcError(Code.RESOURCE_EXHAUSTED, `message length ${f.oversized} exceed maximum message size of ${MESSAGE_LENGTH_MAX}`));
          continue;
        }
        void this.dispatch(socket, f.streamId, f.payload);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async dispatch(socket: net.Socket, streamId: number, payload: Buffer): Promise<void> {
    let method = '?';
    try {
      this.opts.onRequest?.();
      const req = decode(TtrpcRequest, payload);
      method = `${req.service}/${req.method}`;
      const handler = this.opts.handlers.get(method);
      if (!handler) throw new RpcError(Code.UNIMPLEMENTED, `${req.service}.${req.method}: unknown method`);
      const metadata = new Map(req.metadata.map((kv) => [kv.key, kv.value]));
      const result = await handler(req.payload, { metadata });
      this.respond(socket, streamId, result);
    } catch (err) {
      if (!(err instanceof RpcError)) this.opts.onUnexpected?.(method, err);
      this.respond(socket, streamId, err);
    }
  }

  private respond(socket: net.Socket, streamId: number, result: Uint8Array | unknown): void {
    if (socket.destroyed) return;
    const body =
      result instanceof Uint8Array
        ? encode(TtrpcResponse, { payload: result })
        : encode(TtrpcResponse, {
            status: {
              code: result instanceof RpcError ? result.code : Code.UNKNOWN,
              message: result instanceof Error ? result.message : String(result),
            },
          });
    socket.write(encodeFrame(streamId, MessageType.RESPONSE, body));
  }
}
