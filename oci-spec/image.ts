// OCI image-spec v1.1 documents (descriptor.md, manifest.md, image-index.md,
// config.md, image-layout.md; specs-go/v1) and the media types tsrun reads,
// including Docker's v2 schema 2 ones, which share the OCI shapes.
import { z } from 'zod';
import { int, obj, opt, OPT_BOOL, OPT_STRING, OPT_STRING_MAP, OPT_STRINGS, patterned, STRING } from './schema-kit';

export const MEDIA_TYPES = {
  ociDescriptor: 'application/vnd.oci.descriptor.v1+json',
  ociLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmptyJson: 'application/vnd.oci.empty.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** deprecated by image-spec 1.1, still found in old images */
  ociLayerNondistributableTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerTarGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;
export type MediaType = (typeof MEDIA_TYPES)[keyof typeof MEDIA_TYPES];

/** Media types whose blob is a layer tarball (plain, gzip or zstd). */
export const LAYER_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociLayerTar, MEDIA_TYPES.ociLayerTarGzip, MEDIA_TYPES.ociLayerTarZstd,
  MEDIA_TYPES.ociLayerNondistributableTar, MEDIA_TYPES.ociLayerNondistributableTarGzip,
  MEDIA_TYPES.ociLayerNondistributableTarZstd, MEDIA_TYPES.dockerLayerTarGzip, MEDIA_TYPES.dockerForeignLayerTarGzip,
];

/** oci-layout file content, and the names inside an image layout directory. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';
export const IMAGE_LAYOUT_FILE = 'oci-layout';
export const IMAGE_INDEX_FILE = 'index.json';
export const IMAGE_BLOBS_DIR = 'blobs';

/** Annotation naming an image in an index ("ref.name", e.g. a tag). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * "algorithm:encoded". sha256 and sha512 (the registered algorithms) must have
 * their exact lowercase hex length; other algorithms only the general grammar.
 */
export const DigestSchema = patterned(
  /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}|(?!sha256:|sha512:)[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/,
  'a digest such as "sha256:" followed by 64 lowercase hex digits',
);
export type Digest = z.infer<typeof DigestSchema>;

export const PlatformSchema = obj({
  architecture: STRING,
  os: STRING,
  'os.version': OPT_STRING,
  'os.features': OPT_STRINGS,
  variant: OPT_STRING,
});
export type Platform = z.infer<typeof PlatformSchema>;

const descriptorShape = {
  mediaType: STRING,
  digest: DigestSchema,
  /** bytes; a safe integer (no blob reaches 2^53 bytes) */
  size: int('uint'),
  urls: OPT_STRINGS,
  annotations: OPT_STRING_MAP,
  /** the content itself, base64; must match digest and size */
  data: OPT_STRING,
  platform: opt(PlatformSchema),
  artifactType: OPT_STRING,
};

export const DescriptorSchema = obj(descriptorShape);
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** Also reads Docker v2 schema 2 manifests (same fields, Docker media types). */
export const ManifestSchema = obj({
  schemaVersion: z.literal(2),
  mediaType: OPT_STRING,
  artifactType: OPT_STRING,
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: opt(DescriptorSchema),
  annotations: OPT_STRING_MAP,
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Also reads Docker manifest lists. */
export const IndexSchema = obj({
  schemaVersion: z.literal(2),
  mediaType: OPT_STRING,
  artifactType: OPT_STRING,
  manifests: z.array(DescriptorSchema),
  subject: opt(DescriptorSchema),
  annotations: OPT_STRING_MAP,
});
export type Index = z.infer<typeof IndexSchema>;

/** Go's map[string]struct{} (ExposedPorts, Volumes): only the keys matter. */
const OPT_KEY_SET = opt(z.record(z.string(), obj({})));

/** The runtime defaults an image carries (image config's "config"). */
export const ImageRunConfigSchema = obj({
  User: OPT_STRING,
  ExposedPorts: OPT_KEY_SET,
  Env: OPT_STRINGS,
  Entrypoint: OPT_STRINGS,
  Cmd: OPT_STRINGS,
  Volumes: OPT_KEY_SET,
  WorkingDir: OPT_STRING,
  Labels: OPT_STRING_MAP,
  StopSignal: OPT_STRING,
  ArgsEscaped: OPT_BOOL,
});
export type ImageRunConfig = z.infer<typeof ImageRunConfigSchema>;

export const RootFSSchema = obj({
  /** always "layers" */
  type: z.literal('layers'),
  /** digests of the uncompressed layers, bottom first */
  diff_ids: z.array(DigestSchema),
});
export type RootFS = z.infer<typeof RootFSSchema>;

export const HistorySchema = obj({
  created: OPT_STRING,
  created_by: OPT_STRING,
  author: OPT_STRING,
  comment: OPT_STRING,
  empty_layer: OPT_BOOL,
});
export type History = z.infer<typeof HistorySchema>;

/** The image configuration blob (OCI or Docker); Docker-only fields are dropped. */
export const ImageConfigSchema = obj({
  /** RFC 3339 */
  created: OPT_STRING,
  author: OPT_STRING,
  architecture: STRING,
  os: STRING,
  'os.version': OPT_STRING,
  'os.features': OPT_STRINGS,
  variant: OPT_STRING,
  config: opt(ImageRunConfigSchema),
  rootfs: RootFSSchema,
  history: opt(z.array(HistorySchema)),
});
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

export const ImageLayoutSchema = obj({
  imageLayoutVersion: STRING,
});
export type ImageLayout = z.infer<typeof ImageLayoutSchema>;
