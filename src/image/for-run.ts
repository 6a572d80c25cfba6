// What running an image needs from the store: its run config and the
// unpacked layer trees (overlayfs lower dirs), pulling it first when the
// --pull policy says so; and files of the image (/etc/passwd, /etc/group)
// read from those trees without following any link out of them.
import fs from 'node:fs';
import path from 'node:path';
import type { ImageRunConfig } from '../../oci-spec/image';
import { native } from '../native';
import { ImageError, ImageNotFoundError } from './errors';
import { displayName, imageDetails, resolveLocal, type LocalImage } from './local';
import type { ImageStore } from './store/store';

export type PullPolicy = 'missing' | 'always' | 'never';

export interface RunnableImage {
  /** the config digest */
  id: string;
  /** as the user knows it ("busybox:latest") */
  name: string;
  config: ImageRunConfig;
  /** chain ids, bottom first */
  chainIds: string[];
  /** unpacked trees, bottom first */
  layerTrees: string[];
}

/** The local image `ref` names; `pull` is called to fetch it per the policy. */
export async function runnableImage(store: ImageStore, ref: string, policy: PullPolicy, pull: () => Promise<void>): Promise<RunnableImage> {
  let found: LocalImage[] | undefined;
  if (policy !== 'always') {
    try {
      found = resolveLocal(store, ref);
    } catch (e) {
      if (!(e instanceof ImageNotFoundError) || policy === 'never') throw e;
    }
  }
  if (!found) {
    await pull();
    found = resolveLocal(store, ref);
  }
  const local = found[0] as LocalImage;
  const details = imageDetails(store, local.record);
  for (const c of details.chainIds) if (!store.hasLayer(c)) throw new ImageError(`layer ${c} of ${ref} is missing from the image store ${store.root}: pull the image again`);
  return {
    id: local.record.config,
    name: displayName(local.key),
    config: details.config.config ?? {},
    chainIds: details.chainIds,
    layerTrees: details.chainIds.map((c) => store.layerTree(c)),
  };
}

const MAX_IMAGE_FILE = 4 * 1024 * 1024;

/**
 * A file of the image as the container would see it at `rel` ("etc/passwd"),
 * looked up top layer first, as overlayfs merges them; undefined when absent,
 * deleted by a whiteout, or hidden by an opaque directory on the way (the
 * layers below it do not count there). The trees may end with a container's
 * upper dir (same marks). No symlink is followed, in the path or at its end:
 * the image's /etc/passwd is a plain file in practice, and a link could point
 * out of the layers.
 */
export function readImageFile(layerTreesBottomFirst: readonly string[], rel: string, isOpaque: (dir: string) => boolean = (d) => native().isOverlayOpaque(d)): Buffer | undefined {
  const parts = rel.split('/');
  for (const tree of [...layerTreesBottomFirst].reverse()) {
    let dir = tree;
    let hidesBelow = false;
    for (const [i, name] of parts.entries()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) break;
      // a 0:0 character device is an overlayfs whiteout: deleted in this layer
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      const last = i === parts.length - 1;
      if (st.isSymbolicLink()) throw new ImageError(`/${rel} in the image goes through a symbolic link (/${parts.slice(0, i + 1).join('/')}): not followed`);
      if (!last && !st.isDirectory()) return undefined;
      if (last) {
        if (!st.isFile()) return undefined;
        const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        try {
          if (fs.fstatSync(fd).size > MAX_IMAGE_FILE) throw new ImageError(`/${rel} in the image is larger than ${MAX_IMAGE_FILE} bytes`);
          return fs.readFileSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      if (isOpaque(p)) hidesBelow = true;
      dir = p;
    }
    // absent here: the layers below count, unless a directory on the way was opaque
    if (hidesBelow) return undefined;
  }
  return undefined;
}
