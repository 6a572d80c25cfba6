// Which layers a container uses: one record per holder (a container id) in
// <image-root>/in-use/<holder>.json. The containers of the next issue write
// them when they mount an image's layers and remove them when deleted; prune
// never removes a layer named in one, and rmi refuses an image a holder uses.
import fs from 'node:fs';
import path from 'node:path';
import { parseDigest } from '../digest';
import { ImageError } from '../errors';
import { readdirSafe, type ImageStore } from './store';

export interface LayerHold {
  /** who uses the layers: a container id */
  holder: string;
  /** the image's config digest (its id) */
  image: string;
  /** the name it was created from, for messages */
  ref?: string;
  /** chain ids, bottom first */
  layers: string[];
  created: string;
}

const HOLDER = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,250}$/;

function holdFile(store: ImageStore, holder: string): string {
  if (!HOLDER.test(holder)) throw new ImageError(`invalid layer holder name ${JSON.stringify(holder)}`);
  return path.join(store.root, 'in-use', `${holder}.json`);
}

/**
 * Record that `holder` uses these layers. Taken under the shared store lock,
 * so it cannot interleave with a prune; every layer must be in the store.
 */
export async function holdLayers(store: ImageStore, hold: Omit<LayerHold, 'created'>): Promise<void> {
  parseDigest(hold.image, 'image id');
  const l = await store.lockStore(false);
  try {
    for (const c of hold.layers) {
      if (!store.hasLayer(c)) throw new ImageError(`layer ${c} of image ${hold.image} is not in the image store ${store.root}`);
    }
    const file = holdFile(store, hold.holder);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ ...hold, created: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } finally {
    l.release();
  }
}

/** Drop the record of `holder` (no error when there is none). */
export function releaseLayers(store: ImageStore, holder: string): void {
  fs.rmSync(holdFile(store, holder), { force: true });
}

/** Every record, skipping unreadable ones (a holder killed mid-write leaves only a .tmp). */
export function listHolds(store: ImageStore): LayerHold[] {
  const out: LayerHold[] = [];
  for (const f of readdirSafe(path.join(store.root, 'in-use'))) {
    if (!f.endsWith('.json')) continue;
    try {
      const h = JSON.parse(fs.readFileSync(path.join(store.root, 'in-use', f), 'utf8')) as LayerHold;
      if (typeof h.holder === 'string' && Array.isArray(h.layers)) out.push(h);
    } catch {
      // unreadable: ignored
    }
  }
  return out;
}
