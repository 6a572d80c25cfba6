// Layer blobs are gzip, zstd or plain tar. The format is read from the first
// bytes (magic numbers), as containerd does, not trusted from the media type:
// registries and tools get media types wrong, magic numbers cannot lie.
import type { Transform } from 'node:stream';

export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function detectCompression(head: Buffer): Compression {
  const starts = (m: number[]) => head.length >= m.length && m.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * A decompressing stream for the format, or undefined for plain tar: for
 * image archives (`tsrun image load`); layers are decoded by the addon.
 */
export async function decompressor(c: Compression): Promise<Transform | undefined> {
  switch (c) {
    case 'gzip': {
      // loaded here: unpacking a layer does not need it
      const { createGunzip } = await import('node:zlib');
      return createGunzip({ chunkSize: 256 * 1024 });
    }
    case 'zstd': {
      // loaded only for zstd archives (a native addon, not bundled)
      const { DecompressStream } = await import('zstd-napi');
      return new DecompressStream();
    }
    case 'none':
      return undefined;
  }
}
