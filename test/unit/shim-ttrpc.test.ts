// ttrpc framing (10-byte header, big-endian length and stream id, 4 MiB limit)
// and a server/client round trip over a unix socket in a temp dir.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../src/native';
import { decode, encode } from '../../src/shim/proto/codec';
import { ConnectRequest, ConnectResponse, TtrpcRequest, TtrpcResponse } from '../../src/shim/proto/messages';
import { TtrpcClient } from '../../src/shim/ttrpc/client';
import { encodeFrame, FrameReader, HEADER_LENGTH, isOversized, MESSAGE_LENGTH_MAX, MessageType } from '../../src/shim/ttrpc/frame';
import { TtrpcServer, type Handler } from '../../src/shim/ttrpc/server';
import { Code, RpcError } from '../../src/shim/ttrpc/status';

describe('ttrpc frames', () => {
  it('header: length, stream id (big-endian), type, flags, then the payload', () => {
    const f = encodeFrame(0x01020304, MessageType.RESPONSE, new Uint8Array([0xaa, 0xbb]), 0);
    expect(f.toString('hex')).toBe('00000002' + '01020304' + '02' + '00' + 'aabb');
  });

  it('reassembles frames split at every byte, and several in one chunk', () => {
    const a = encodeFrame(1, MessageType.REQUEST, Buffer.from('hello'));
    const b = encodeFrame(3, MessageType.REQUEST, Buffer.alloc(0));
    const c = encodeFrame(5, MessageType.REQUEST, Buffer.from('x'));
    const all = Buffer.concat([a, b, c]);
    const r = new FrameReader();
    const got = [];
    for (const byte of all) got.push(...r.push(Buffer.from([byte])));
    expect(got.map((f) => ({ id: f.streamId, p: isOversized(f) ? null : f.payload.toString() }))).toEqual([
      { id: 1, p: 'hello' },
      { id: 3, p: '' },
      { id: 5, p: 'x' },
    ]);
    expect(new FrameReader().push(all)).toHaveLength(3);
  });

  it('a frame over 4 MiB is reported and its payload skipped; the next frame still arrives', () => {
    const big = Buffer.alloc(HEADER_LENGTH);
    big.writeUInt32BE(MESSAGE_LENGTH_MAX + 1, 0);
    big.writeUInt32BE(7, 4);
    big.writeUInt8(MessageType.REQUEST, 8);
    const r = new FrameReader();
    const out = [...r.push(big), ...r.push(Buffer.alloc(MESSAGE_LENGTH_MAX + 1)), ...r.push(encodeFrame(9, MessageType.REQUEST, Buffer.from('ok')))];
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ streamId: 7, type: MessageType.REQUEST, oversized: MESSAGE_LENGTH_MAX + 1 });
    expect(isOversized(out[1]!) ? null : out[1]!.payload.toString()).toBe('ok');
    expect(() => encodeFrame(1, 1, new Uint8Array(MESSAGE_LENGTH_MAX + 1))).toThrow(RangeError);
  });
});

describe('ttrpc server and client', () => {
  let dir: string | undefined;
  let server: TtrpcServer | undefined;
  afterEach(() => {
    server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function serve(handlers: Record<string, Handler>): Promise<string> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-ttrpc-'));
    const socket = path.join(dir, 's');
    // the shim serves the socket its launcher bound and listens on (fd 3 there)
    const fd = native().listenUnix(socket);
    server = new TtrpcServer({ handlers: new Map(Object.entries(handlers)) });
    await server.listenFd(fd);
    return socket;
  }

  it('answers calls, in the order they finish; errors carry their code', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const socket = await serve({
      'svc/Echo': async (p) => p,
      'svc/Slow': async (p) => {
        await slow;
        return p;
      },
      'svc/Fail': async () => {
        throw new RpcError(Code.NOT_FOUND, 'no such thing');
      },
      'svc/Crash': async () => {
        throw new Error('boom');
      },
    });
    const client = new TtrpcClient(socket);
    try {
      const slowCall = client.call('svc', 'Slow', Buffer.from('s'), { timeoutMs: 5000 });
      // answered while Slow is still pending
      expect(Buffer.from(await client.call('svc', 'Echo', Buffer.from('e'), { timeoutMs: 5000 })).toString()).toBe('e');
      release();
      expect(Buffer.from(await slowCall).toString()).toBe('s');
      await expect(client.call('svc', 'Fail', new Uint8Array(), { timeoutMs: 5000 })).rejects.toMatchObject({ code: Code.NOT_FOUND, message: 'no such thing' });
      await expect(client.call('svc', 'Crash', new Uint8Array(), { timeoutMs: 5000 })).rejects.toMatchObject({ code: Code.UNKNOWN, message: 'boom' });
      await expect(client.call('svc', 'Nope', new Uint8Array(), { timeoutMs: 5000 })).rejects.toMatchObject({ code: Code.UNIMPLEMENTED });
    } finally {
      client.close();
    }
  });

  it('speaks the wire format a Go ttrpc client sends (odd stream ids, Request/Response messages)', async () => {
    const socket = await serve({
      'containerd.task.v2.Task/Connect': async (p) => encode(ConnectResponse, { shimPid: 42, taskPid: decode(ConnectRequest, p).id === 'c1' ? 7 : 0 }),
    });
    const raw = net.createConnection(socket);
    const reader = new FrameReader();
    const frames = new Promise<Buffer>((resolve) => raw.on('data', (d: Buffer) => reader.push(d).forEach((f) => !isOversized(f) && resolve(f.payload))));
    raw.write(encodeFrame(3, MessageType.REQUEST, encode(TtrpcRequest, { service: 'containerd.task.v2.Task', method: 'Connect', payload: encode(ConnectRequest, { id: 'c1' }) })));
    const res = decode(TtrpcResponse, await frames);
    raw.destroy();
    expect(res.status).toBeUndefined();
    expect(decode(ConnectResponse, res.payload)).toEqual({ shimPid: 42, taskPid: 7, version: '' });
  });

  it('a garbled request is answered with an error, and the connection keeps working', async () => {
    const socket = await serve({ 'svc/Echo': async (p) => p });
    const raw = net.createConnection(socket);
    const reader = new FrameReader();
    const got: Array<ReturnType<typeof decode<typeof TtrpcResponse>>> = [];
    const two = new Promise<void>((resolve) =>
      raw.on('data', (d: Buffer) => {
        for (const f of reader.push(d)) if (!isOversized(f)) got.push(decode(TtrpcResponse, f.payload));
        if (got.length === 2) resolve();
      }),
    );
    raw.write(encodeFrame(1, MessageType.REQUEST, Buffer.from([0xff])));
    raw.write(encodeFrame(3, MessageType.REQUEST, encode(TtrpcRequest, { service: 'svc', method: 'Echo', payload: Buffer.from('ok') })));
    await two;
    raw.destroy();
    expect(got[0]!.status?.code).toBe(Code.UNKNOWN);
    expect(Buffer.from(got[1]!.payload).toString()).toBe('ok');
  });
});
