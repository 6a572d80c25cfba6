// Turning a stored layer blob into its layer directory, once: under the
// layer's lock (concurrent pulls and loads unpack it once), into a temporary
// directory renamed into place only after its diff_id matches the config.
import type { Descriptor } from '../../oci-spec/image';
import { VerificationError } from './errors';
import type { LayerStatus } from './progress';
import type { ImageStore } from './store/store';
import { unpackLayer } from './unpack/layer';

export type LayerReporter = (status: LayerStatus, current?: number, total?: number) => void;

/** Unpack a layer unless the store has it; true when this call unpacked it. */
export async function ensureLayer(
  store: ImageStore,
  layer: Descriptor,
  diffId: string,
  chainId: string,
  parent: string | undefined,
  report: LayerReporter,
): Promise<boolean> {
  const lock = await store.lockLayer(chainId, () => report('Waiting'));
  try {
    if (store.hasLayer(chainId)) {
      report('Already exists');
      return false;
    }
    const { dir, tree } = store.newLayerDir(chainId);
    try {
      report('Extracting', 0, layer.size);
      const r = await unpackLayer({
        blobPath: store.blobPath(layer.digest),
        destDir: tree,
        layerName: layer.digest,
        onProgress: (n) => report('Extracting', n, layer.size),
      });
      if (r.diffId !== diffId) {
        throw new VerificationError(`layer ${layer.digest}: its uncompressed content is ${r.diffId}, but the image config's diff_id is ${diffId}`);
      }
      store.commitLayer(dir, { chainId, diffId, ...(parent ? { parent } : {}), blob: layer.digest, size: r.contentBytes, unpacked: new Date().toISOString() });
    } catch (e) {
      store.removeTree(dir);
      throw e;
    }
    report('Pull complete');
    return true;
  } finally {
    lock.release();
  }
}
