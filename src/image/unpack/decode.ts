// The decoding half of a layer unpack, off the main thread: a worker reads
// the blob, decompresses it (gzip or zstd, chosen by magic number), hashes
// every decompressed byte for the diff_id, and hands the bytes over in
// chunks, at most a few MiB ahead of the consumer. The main thread is left
// with tar parsing and the filesystem calls, so both proceed at once, as
// `tar -xzf` runs gzip beside tar. Small blobs are decoded inline (a worker
// costs more to start than they take).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { decompressor, detectCompression, type Compression } from './decompress';

const READ_CHUNK = 1024 * 1024;
/** below this, decoding on the main thread is cheaper than starting a worker */
const WORKER_THRESHOLD = 2 * 1024 * 1024;
/** bytes the worker may run ahead of the consumer */
const IN_FLIGHT = 8 * 1024 * 1024;
const BATCH = 1024 * 1024;

export interface DecodedLayer {
  compression: Compression;
  /** decompressed bytes, in order */
  chunks: AsyncIterable<Buffer>;
  /** sha256 of every decompressed byte; resolves after the last chunk */
  diffId(): Promise<string>;
  /** stop early (on an error of the consumer) */
  cancel(): void;
}

function readHead(path: string): { compression: Compression; size: number } {
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    return { compression: detectCompression(head), size: fs.fstatSync(fd).size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Decode a layer blob; onRead reports compressed bytes read. */
export async function decodeLayer(path: string, onRead?: (bytes: number) => void): Promise<DecodedLayer> {
  const { compression, size } = readHead(path);
  if (size >= WORKER_THRESHOLD) return decodeInWorker(path, compression, onRead);
  return decodeInline(path, compression, onRead);
}

async function decodeInline(path: string, compression: Compression, onRead?: (bytes: number) => void): Promise<DecodedLayer> {
  const input = fs.createReadStream(path, { highWaterMark: READ_CHUNK });
  let read = 0;
  if (onRead) input.on('data', (c) => onRead((read += c.length)));
  const dec = await decompressor(compression);
  if (dec) input.on('error', (e) => dec.destroy(e));
  const source = dec ? input.pipe(dec) : input;
  const hash = crypto.createHash('sha256');
  let digest: string | undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const c of source as AsyncIterable<Buffer>) {
      hash.update(c);
      yield c;
    }
    digest = `sha256:${hash.digest('hex')}`;
  }
  return {
    compression,
    chunks: chunks(),
    diffId: async () => {
      if (digest === undefined) throw new Error('internal: diff_id asked before the end of the layer');
      return digest;
    },
    cancel: () => {
      input.destroy();
      source.destroy();
    },
  };
}

/** The worker's program (evaluated: the bundle has no separate file for it). */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { path, compression, zstdPath, inFlight, readChunk, batchSize } = workerData;
let credit = inFlight;
let wake;
parentPort.on('message', (m) => {
  if (m === 'cancel') process.exit(0);
  credit += m;
  if (wake && credit > 0) { const w = wake; wake = undefined; w(); }
});
(async () => {
  const hash = crypto.createHash('sha256');
  const input = fs.createReadStream(path, { highWaterMark: readChunk });
  let read = 0;
  input.on('data', (c) => { read += c.length; });
  let source = input;
  if (compression === 'gzip') source = input.pipe(zlib.createGunzip({ chunkSize: 256 * 1024 }));
  else if (compression === 'zstd') source = input.pipe(new (require(zstdPath).DecompressStream)());
  input.on('error', (e) => source.destroy(e));
  // batches of ~1 MiB: one message per batch (each crossing costs a thread wake-up)
  let batch = new Uint8Array(batchSize);
  let used = 0;
  const flush = async () => {
    if (used === 0) return;
    const own = used === batch.length ? batch : batch.slice(0, used);
    batch = new Uint8Array(batchSize);
    used = 0;
    credit -= own.length;
    parentPort.postMessage({ chunk: own, read }, [own.buffer]);
    if (credit <= 0) await new Promise((r) => (wake = r));
  };
  for await (const c of source) {
    hash.update(c);
    // copied: decompressors reuse their output buffers
    let off = 0;
    while (off < c.length) {
      const n = Math.min(c.length - off, batch.length - used);
      batch.set(c.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === batch.length) await flush();
    }
  }
  await flush();
  parentPort.postMessage({ done: 'sha256:' + hash.digest('hex'), read });
})().catch((e) => parentPort.postMessage({ error: String(e && e.message || e) }));
`;

async function decodeInWorker(path: string, compression: Compression, onRead?: (bytes: number) => void): Promise<DecodedLayer> {
  const zstdPath = compression === 'zstd' ? require.resolve('zstd-napi') : '';
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, compression, zstdPath, inFlight: IN_FLIGHT, readChunk: READ_CHUNK, batchSize: BATCH } });
  const queue: Buffer[] = [];
  let digest: string | undefined;
  let failure: Error | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: { chunk?: Uint8Array; done?: string; error?: string; read?: number }) => {
    if (m.read !== undefined) onRead?.(m.read);
    if (m.chunk) queue.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    else if (m.done) {
      digest = m.done;
      finished = true;
    } else if (m.error !== undefined) {
      failure = new Error(m.error);
      finished = true;
    }
    notify();
  });
  worker.on('error', (e) => {
    failure ??= e;
    finished = true;
    notify();
  });
  worker.on('exit', () => {
    finished = true;
    notify();
  });
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const c = queue.shift();
        if (c) {
          worker.postMessage(c.length);
          yield c;
          continue;
        }
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      if (!finished) worker.postMessage('cancel');
      await worker.terminate();
    }
  }
  return {
    compression,
    chunks: chunks(),
    diffId: async () => {
      if (digest === undefined) throw failure ?? new Error('internal: diff_id asked before the end of the layer');
      return digest;
    },
    cancel: () => {
      void worker.terminate();
    },
  };
}
