// Manifests as a registry or an archive serves them: the four image types
// (OCI index and manifest, Docker list and v2 schema 2), checked and
// classified. Schema 1 and artifacts that are not container images are
// refused by name; every digest is validated before anything uses it.
import { IndexSchema, ManifestSchema, MEDIA_TYPES, type Descriptor, type Index, type Manifest } from '../../oci-spec/image';
import { parseWithSchema } from '../../oci-spec/validate';
import { ImageError } from './errors';

/** What a registry is asked for: every image manifest type tsrun reads. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest];

const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);

/** Layer media types and how their blob is encoded. */
const LAYER_ENCODING: Record<string, 'tar' | 'gzip' | 'zstd'> = {
  [MEDIA_TYPES.ociLayerTar]: 'tar',
  [MEDIA_TYPES.ociLayerTarGzip]: 'gzip',
  [MEDIA_TYPES.ociLayerTarZstd]: 'zstd',
  [MEDIA_TYPES.dockerLayerTarGzip]: 'gzip',
};
const FOREIGN_LAYER_TYPES = new Set<string>([
  MEDIA_TYPES.dockerForeignLayerTarGzip,
  MEDIA_TYPES.ociLayerNondistributableTar,
  MEDIA_TYPES.ociLayerNondistributableTarGzip,
  MEDIA_TYPES.ociLayerNondistributableTarZstd,
]);

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: Index }
  | { kind: 'manifest'; mediaType: string; manifest: Manifest };

function baseType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * Parse a manifest body. `where` names it in errors ("manifest of
 * docker.io/library/busybox:latest"). The body's own mediaType wins over the
 * Content-Type header, as in containerd.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ImageError(`${where}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ImageError(`${where}: expected a JSON object`);
  const doc = json as Record<string, unknown>;
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : baseType(contentType);
  if (doc.schemaVersion === 1 || (declared !== undefined && SCHEMA1_TYPES.has(declared))) {
    throw new ImageError(
      `${where}: Docker image manifest schema 1 (${declared ?? 'schemaVersion 1'}) is not supported; ` +
        'it was deprecated in 2019: push the image again with a current Docker, skopeo or crane',
    );
  }
  const isIndex = declared !== undefined ? INDEX_TYPES.has(declared) : Array.isArray(doc.manifests);
  if (isIndex) {
    const index = wrapSpec(() => parseWithSchema(IndexSchema, json, where));
    return { kind: 'index', mediaType: declared ?? MEDIA_TYPES.ociIndex, index };
  }
  if (declared !== undefined && !MANIFEST_TYPES.has(declared)) {
    throw new ImageError(`${where}: media type ${JSON.stringify(declared)} is not an image manifest (expected one of ${MANIFEST_ACCEPT.join(', ')})`);
  }
  const manifest = wrapSpec(() => parseWithSchema(ManifestSchema, json, where));
  checkImageManifest(manifest, where);
  return { kind: 'manifest', mediaType: declared ?? MEDIA_TYPES.ociManifest, manifest };
}

function wrapSpec<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new ImageError((e as Error).message, { cause: e });
  }
}

/** A manifest that is not a container image (a Helm chart, a signature, an SBOM...) is refused by name. */
function checkImageManifest(m: Manifest, where: string): void {
  if (!CONFIG_TYPES.has(m.config.mediaType)) {
    const what = m.artifactType ?? m.config.mediaType;
    throw new ImageError(`${where}: not a container image but an artifact of type ${JSON.stringify(what)} (config media type ${m.config.mediaType})`);
  }
  m.layers.forEach((l, i) => {
    layerEncoding(l, `${where}: layers[${i}]`);
  });
}

/** How a layer blob is encoded; refuses foreign and unknown layer types. */
export function layerEncoding(layer: Descriptor, where: string): 'tar' | 'gzip' | 'zstd' {
  const enc = LAYER_ENCODING[layer.mediaType];
  if (enc) return enc;
  if (FOREIGN_LAYER_TYPES.has(layer.mediaType)) {
    throw new ImageError(`${where}: foreign (non-distributable) layer ${layer.mediaType} is not supported`);
  }
  throw new ImageError(`${where}: ${JSON.stringify(layer.mediaType)} is not a layer media type tsrun can unpack`);
}
