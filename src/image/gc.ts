// What the store still needs (everything a name reaches, every layer a
// container holds) and removing the rest: `image prune` over the whole store,
// `rmi` over what the removed images used. The caller holds the store lock
// exclusively, so no pull or load is running.
import fs from 'node:fs';
import path from 'node:path';
import { chainIds } from './digest';
import { parseManifest } from './manifest';
import { CONFIG_LIMIT, parseImageConfig } from './pull';
import { MANIFEST_LIMIT } from './registry/client';
import { listHolds } from './store/in-use';
import { readdirSafe, type ImageStore, type RefRecord } from './store/store';
import { log } from '../log';

export interface LiveSet {
  blobs: Set<string>;
  layers: Set<string>;
}

export interface Removed {
  blobs: string[];
  layers: string[];
  /** ingests and temporary directories */
  other: string[];
  bytes: number;
}

/** Blobs and layers an image (its ref record) reaches; missing ones are skipped. */
export function reachable(store: ImageStore, r: RefRecord, into: LiveSet): void {
  const addManifest = (digest: string): void => {
    if (into.blobs.has(digest) || !store.hasBlob(digest)) return;
    into.blobs.add(digest);
    let parsed;
    try {
      parsed = parseManifest(store.readBlob(digest, MANIFEST_LIMIT), undefined, `manifest ${digest}`);
    } catch (e) {
      log.warn(`image store: ${(e as Error).message}`);
      return;
    }
    if (parsed.kind === 'index') {
      for (const m of parsed.index.manifests) addManifest(m.digest);
      return;
    }
    const m = parsed.manifest;
    into.blobs.add(m.config.digest);
    for (const l of m.layers) into.blobs.add(l.digest);
    if (store.hasBlob(m.config.digest)) {
      try {
        const config = parseImageConfig(store.readBlob(m.config.digest, CONFIG_LIMIT), `image config ${m.config.digest}`);
        for (const c of chainIds(config.rootfs.diff_ids)) into.layers.add(c);
      } catch (e) {
        log.warn(`image store: ${(e as Error).message}`);
      }
    }
  };
  addManifest(r.target);
  addManifest(r.manifest);
}

function liveSet(store: ImageStore): LiveSet {
  const live: LiveSet = { blobs: new Set(), layers: new Set() };
  for (const r of Object.values(store.readRefs())) reachable(store, r, live);
  for (const h of listHolds(store)) for (const c of h.layers) live.layers.add(c);
  return live;
}

function layerBytes(store: ImageStore, chainId: string): number {
  return store.layerInfo(chainId)?.size ?? 0;
}

/** Remove the candidates that nothing live needs (all of the store when candidates is undefined). */
export function collect(store: ImageStore, candidates?: LiveSet): Removed {
  const live = liveSet(store);
  const out: Removed = { blobs: [], layers: [], other: [], bytes: 0 };
  const layers = candidates ? [...candidates.layers] : store.listLayers();
  for (const c of layers) {
    if (live.layers.has(c) || !fs.existsSync(store.layerPath(c))) continue;
    out.bytes += layerBytes(store, c);
    store.removeTree(store.layerPath(c));
    out.layers.push(c);
  }
  const blobs = candidates ? [...candidates.blobs] : store.listBlobs();
  for (const d of blobs) {
    if (live.blobs.has(d)) continue;
    const size = store.blobSize(d);
    if (size === undefined) continue;
    fs.rmSync(store.blobPath(d), { force: true });
    out.bytes += size;
    out.blobs.push(d);
  }
  if (!candidates) {
    // with the store lock held exclusively nothing is downloading or unpacking
    for (const dir of ['ingest', 'tmp']) {
      for (const name of readdirSafe(path.join(store.root, dir))) {
        const p = path.join(store.root, dir, name);
        try {
          out.bytes += fs.lstatSync(p).isFile() ? fs.lstatSync(p).size : 0;
        } catch {
          // gone
        }
        fs.rmSync(p, { recursive: true, force: true });
        out.other.push(`${dir}/${name}`);
      }
    }
  }
  return out;
}
