// Images in the local store: resolving what a user types (a name, a short or
// full image id, name@digest) to records, and what `images` and
// `image inspect` show about them.
import type { ImageConfig, Manifest } from '../../oci-spec/image';
import { chainIds, shortId } from './digest';
import { ImageError, ImageNotFoundError } from './errors';
import { parseManifest } from './manifest';
import { CONFIG_LIMIT, parseImageConfig } from './pull';
import { familiarName, parseReference, repositoryName, storeKey } from './reference';
import { MANIFEST_LIMIT } from './registry/client';
import type { ImageStore, RefRecord } from './store/store';

export interface LocalImage {
  /** store key: "docker.io/library/busybox:latest" or "name@sha256:..." */
  key: string;
  record: RefRecord;
}

export interface ImageDetails {
  manifest: Manifest;
  config: ImageConfig;
  chainIds: string[];
  /** bytes of unpacked content */
  size: number;
}

const ID_PREFIX = /^(?:sha256:)?([a-f0-9]{4,64})$/;

/** Split a store key into repository ("docker.io/library/busybox") and tag or digest. */
export function splitKey(key: string): { repository: string; tag?: string; digest?: string } {
  const at = key.indexOf('@');
  if (at >= 0) return { repository: key.slice(0, at), digest: key.slice(at + 1) };
  const colon = key.lastIndexOf(':');
  return { repository: key.slice(0, colon), tag: key.slice(colon + 1) };
}

/** "busybox:latest" for a Docker Hub key; other registries keep their host. */
export function displayName(key: string): string {
  const { repository, tag, digest } = splitKey(key);
  const slash = repository.indexOf('/');
  const short = familiarName({ registry: repository.slice(0, slash), repository: repository.slice(slash + 1) });
  return tag !== undefined ? `${short}:${tag}` : `${short}@${digest}`;
}

/**
 * The images a user's word names: a reference (busybox, host:5000/x:1,
 * name@sha256:...) or an image id (full or a unique prefix of 4+ hex digits).
 */
export function resolveLocal(store: ImageStore, text: string): LocalImage[] {
  const refs = store.readRefs();
  const idMatch = ID_PREFIX.exec(text);
  if (idMatch) {
    const hex = idMatch[1] as string;
    const hits = Object.entries(refs).filter(([, r]) => r.config.slice(7).startsWith(hex));
    const ids = new Set(hits.map(([, r]) => r.config));
    if (ids.size > 1) throw new ImageError(`${text}: ambiguous image id (${[...ids].map(shortId).join(', ')})`);
    if (hits.length) return hits.map(([key, record]) => ({ key, record }));
    if (text.startsWith('sha256:')) throw new ImageNotFoundError(text);
  }
  let ref;
  try {
    ref = parseReference(text);
  } catch (e) {
    if (idMatch) throw new ImageNotFoundError(text);
    throw e;
  }
  if (ref.digest !== undefined) {
    const repo = repositoryName(ref);
    const hits = Object.entries(refs).filter(([k, r]) => splitKey(k).repository === repo && (r.target === ref.digest || r.manifest === ref.digest));
    if (hits.length) return hits.map(([key, record]) => ({ key, record }));
    throw new ImageNotFoundError(text);
  }
  const key = storeKey(ref);
  const record = refs[key];
  if (!record) throw new ImageNotFoundError(text);
  return [{ key, record }];
}

export function imageDetails(store: ImageStore, r: RefRecord): ImageDetails {
  const parsed = parseManifest(store.readBlob(r.manifest, MANIFEST_LIMIT), undefined, `manifest ${r.manifest}`);
  if (parsed.kind !== 'manifest') throw new ImageError(`${r.manifest} in the store is not an image manifest`);
  const config = parseImageConfig(store.readBlob(r.config, CONFIG_LIMIT), `image config ${r.config}`);
  const chains = chainIds(config.rootfs.diff_ids);
  const size = chains.reduce((sum, c) => sum + (store.layerInfo(c)?.size ?? 0), 0);
  return { manifest: parsed.manifest, config, chainIds: chains, size };
}

/** "3 days ago", as Docker's CREATED column. */
export function since(created: string | undefined, now = Date.now()): string {
  const t = created ? Date.parse(created) : NaN;
  if (!Number.isFinite(t)) return 'N/A';
  const s = Math.max(0, (now - t) / 1000);
  const steps: Array<[number, string]> = [
    [60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.345, 'week'], [12, 'month'], [Infinity, 'year'],
  ];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) {
      const n = Math.max(1, Math.floor(v));
      if (unit === 'second' && s < 1) return 'Less than a second ago';
      return `${n === 1 && unit !== 'second' ? (unit === 'hour' ? 'An' : 'A') : n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    v /= size;
  }
  return 'N/A';
}
