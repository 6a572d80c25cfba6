// The decoding half of a layer unpack, off the JS thread: a thread of the
// addon (native/src/layer_decode.c) reads the blob and decompresses it (gzip
// or zstd, chosen here by magic number) into a ring of slots, at most the
// ring's size ahead of the consumer, and a second one hashes every
// decompressed byte for the diff_id while the consumer reads the slot. The JS
// thread is left with tar parsing (the filesystem calls run on a third
// thread: apply.ts), so all of it proceeds at once, as `tar -xzf` runs gzip
// beside tar. A thread starts in microseconds (a worker_threads Worker takes
// tens of milliseconds, more on a loaded machine), and no byte is copied
// between the decompressor and write(2).
import fs from 'node:fs';
import { native as realNative, type Native } from '../../native';
import { detectCompression, type Compression } from './decompress';

/**
 * The ring: SLOTS slots of SLOT_SIZE bytes each, which the decoder may fill
 * ahead of the consumer. Its memory comes from the addon in huge pages: on
 * a VM every first write to a 4 KiB page is a fault of tens of
 * microseconds, so a ring of ordinary pages had to stay small (1 MiB), and
 * a small ring left the decoder waiting whenever the applying thread met a
 * run of small files. 4 MiB keeps every thread busy; slots of 512 KiB are
 * still hashed while in the cache.
 */
export const SLOT_SIZE = 512 * 1024;
export const SLOTS = 8;

export interface DecodedLayer {
  compression: Compression;
  /** the memory every chunk is a view of */
  ring: Buffer;
  /**
   * decompressed bytes, in order; each chunk stays valid until the consumer
   * gives it back with release() (the decoder then reuses its memory)
   */
  chunks: AsyncIterable<Buffer>;
  /** the consumer is done with the oldest chunk it holds */
  release(): void;
  /** sha256 of every decompressed byte; resolves after the last chunk */
  diffId(): Promise<string>;
  /** stop early (on an error of the consumer) */
  cancel(): void;
}

function readCompression(path: string): Compression {
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    return detectCompression(head);
  } finally {
    fs.closeSync(fd);
  }
}

/** Decode a layer blob; onRead reports compressed bytes read. */
export function decodeLayer(path: string, onRead?: (bytes: number) => void, n: Native = realNative()): DecodedLayer {
  const compression = readCompression(path);
  const ring = n.layerRingAlloc(SLOTS * SLOT_SIZE);
  const filled: Array<{ slot: number; length: number }> = [];
  let digest: string | undefined;
  let failure: Error | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  const handle = n.layerDecodeStart(path, compression, ring, SLOT_SIZE, (slot, length, read, done, error) => {
    onRead?.(read);
    if (slot >= 0) filled.push({ slot, length });
    else {
      finished = true;
      if (done !== undefined) digest = done;
      else failure = new Error(error ?? 'the layer decoder stopped');
    }
    const w = wake;
    wake = undefined;
    w?.();
  });

  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const f = filled.shift();
        if (f) {
          yield ring.subarray(f.slot * SLOT_SIZE, f.slot * SLOT_SIZE + f.length);
          continue;
        }
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      if (!finished) n.layerDecodeCancel(handle);
    }
  }
  return {
    compression,
    ring,
    chunks: chunks(),
    release: () => n.layerDecodeRelease(handle),
    diffId: async () => {
      if (digest === undefined) throw failure ?? new Error('internal: diff_id asked before the end of the layer');
      return digest;
    },
    cancel: () => n.layerDecodeCancel(handle),
  };
}
