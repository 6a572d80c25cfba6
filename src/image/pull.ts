// `tsrun pull`: resolve the reference at the registry, choose the platform's
// manifest, fetch the config, download the layer blobs (3 at a time) into
// the store and unpack each into its own layer directory as soon as it is
// there, in order; the name is recorded last, so an interrupted pull leaves no
// image behind (only resumable downloads and finished layers, which a rerun
// reuses and prune removes). Content that fails verification is not kept: the
// ingest is dropped and what this pull added is rolled back.
import fs from 'node:fs';
import { ImageConfigSchema, type Descriptor, type ImageConfig, type Manifest } from '../../oci-spec/image';
import { parseWithSchema } from '../../oci-spec/validate';
import { log } from '../log';
import { chainIds, shortId } from './digest';
import { CancelledError, ImageError, LayerEntryError, VerificationError } from './errors';
import { ensureLayer } from './layers';
import { layerEncoding, parseManifest } from './manifest';
import { chooseManifest, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformMatches, type PlatformSpec } from './platform';
import type { LayerStatus, ProgressSink } from './progress';
import { familiarName, formatReference, parseReference, repositoryName, storeKey } from './reference';
import type { RegistriesConfig } from './registries-config';
import type { CredentialSource } from './registry/auth';
import { RepositoryClient } from './registry/client';
import type { ImageStore } from './store/store';

export const CONFIG_LIMIT = 8 * 1024 * 1024;

export interface PullOptions {
  ref: string;
  /** --platform; default: this machine's */
  platform?: string;
}

export interface PullContext {
  store: ImageStore;
  config: RegistriesConfig;
  credentials: CredentialSource;
  progress: ProgressSink;
}

export interface PullResult {
  /** the store key: "docker.io/library/busybox:latest" */
  name: string;
  /** what the name resolved to (index or manifest): the repo digest */
  digest: string;
  manifest: string;
  config: string;
  upToDate: boolean;
}

/** What this pull added to the store, to take back if its content turns out bad. */
interface Added {
  blobs: string[];
  layers: string[];
  /** partial downloads this pull stopped */
  ingests: Array<{ discard(): void }>;
}

class Semaphore {
  private waiting: Array<() => void> = [];
  private free: number;
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free === 0) await new Promise<void>((r) => this.waiting.push(r));
    else this.free--;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export function parseImageConfig(bytes: Buffer, where: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ImageError(`${where}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseWithSchema(ImageConfigSchema, json, where);
  } catch (e) {
    throw new ImageError((e as Error).message, { cause: e });
  }
}

export async function pull(opts: PullOptions, ctx: PullContext): Promise<PullResult> {
  const ref = parseReference(opts.ref);
  const want: PlatformSpec = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const reference = ref.digest ?? (ref.tag as string);
  const display = formatReference(ref);
  const client = new RepositoryClient(ctx.config, ref.registry, ref.repository, ctx.credentials);
  ctx.progress.event({ type: 'start', tagOrDigest: reference, repository: familiarName(ref) });

  const storeLock = await ctx.store.lockStore(false);
  const added: Added = { blobs: [], layers: [], ingests: [] };
  try {
    return await pullLocked();
  } catch (e) {
    // bad content (a digest, a size, a diff_id, a hostile layer entry): keep nothing of this image
    if (e instanceof VerificationError || e instanceof LayerEntryError) rollBack(ctx.store, added);
    throw e;
  } finally {
    storeLock.release();
    ctx.progress.close();
  }

  async function pullLocked(): Promise<PullResult> {
    const top = await client.getManifest(reference);
    const parsedTop = parseManifest(top.bytes, top.contentType, `manifest of ${display}`);
    const manifestBlobs: Array<[string, Buffer]> = [[top.digest, top.bytes]];
    let manifest: Manifest;
    let manifestDigest = top.digest;
    if (parsedTop.kind === 'index') {
      const chosen = chooseManifest(parsedTop.index.manifests, want, display);
      const m = await client.getManifest(chosen.digest);
      if (m.bytes.length !== chosen.size) {
        throw new VerificationError(`manifest ${chosen.digest} of ${display}: ${m.bytes.length} bytes, the index says ${chosen.size}`);
      }
      const parsed = parseManifest(m.bytes, chosen.mediaType, `manifest ${chosen.digest} of ${display}`);
      if (parsed.kind !== 'manifest') throw new ImageError(`${display}: the index entry for ${formatPlatform(want)} is another index`);
      manifest = parsed.manifest;
      manifestDigest = m.digest;
      manifestBlobs.push([m.digest, m.bytes]);
    } else {
      manifest = parsedTop.manifest;
    }

    const configBytes = await fetchConfig(manifest.config);
    const config = parseImageConfig(configBytes, `image config ${manifest.config.digest} of ${display}`);
    const imagePlatform = normalizePlatform(config);
    if (!platformMatches(config, want)) {
      if (opts.platform) throw new ImageError(`${display} is for ${formatPlatform(imagePlatform)}, not the requested ${formatPlatform(want)}`);
      log.warn(`the image's platform (${formatPlatform(imagePlatform)}) does not match this machine's (${formatPlatform(want)})`);
    }
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new ImageError(`${display}: the manifest has ${manifest.layers.length} layers, the config ${diffIds.length} diff_ids`);
    }
    manifest.layers.forEach((l, i) => layerEncoding(l, `manifest ${manifestDigest} of ${display}: layers[${i}]`));
    const chains = chainIds(diffIds);

    const work = await fetchAndUnpack(manifest.layers, diffIds, chains);

    for (const [digest, bytes] of manifestBlobs) {
      if (!ctx.store.hasBlob(digest)) {
        ctx.store.putBlob(digest, bytes);
        added.blobs.push(digest);
      }
    }
    const name = storeKey(ref);
    const previous = await ctx.store.updateRefs((refs) => {
      // a concurrent prune cannot run (we hold the store lock); check anyway that the image is whole
      for (const c of chains) if (!ctx.store.hasLayer(c)) throw new ImageError(`${display}: layer ${c} vanished from the store during the pull`);
      const prev = refs[name];
      refs[name] = {
        target: top.digest,
        targetMediaType: parsedTop.mediaType,
        manifest: manifestDigest,
        config: manifest.config.digest,
        platform: formatPlatform(imagePlatform),
        updated: new Date().toISOString(),
      };
      return prev;
    });
    const upToDate = previous?.target === top.digest && previous.manifest === manifestDigest && !work.changed;
    ctx.progress.event({
      type: 'done',
      digest: top.digest,
      name: `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : `@${ref.digest}`}`,
      fullName: ref.tag !== undefined ? `${repositoryName(ref)}:${ref.tag}` : `${repositoryName(ref)}@${ref.digest}`,
      upToDate,
    });
    return { name, digest: top.digest, manifest: manifestDigest, config: manifest.config.digest, upToDate };
  }

  /** The config blob through the store (one download however many pulls want it). */
  async function fetchConfig(desc: Descriptor): Promise<Buffer> {
    const l = await ctx.store.lockBlob(desc.digest);
    try {
      if (ctx.store.hasBlob(desc.digest)) return ctx.store.readBlob(desc.digest, CONFIG_LIMIT);
      const data = await client.getBlob(desc, CONFIG_LIMIT);
      ctx.store.putBlob(desc.digest, data);
      added.blobs.push(desc.digest);
      return data;
    } finally {
      l.release();
    }
  }

  async function fetchAndUnpack(layers: Descriptor[], diffIds: string[], chains: string[]): Promise<{ changed: boolean }> {
    const sem = new Semaphore(ctx.config.maxConcurrentDownloads);
    let failed: unknown;
    let changed = false;
    const cancelled = (): void => {
      if (failed !== undefined) throw new CancelledError('pull cancelled');
    };
    const report = (l: Descriptor, status: LayerStatus, current?: number, total?: number): void =>
      ctx.progress.event({ type: 'layer', id: shortId(l.digest), status, ...(current !== undefined ? { current, total } : {}) });

    const present = chains.map((c) => ctx.store.hasLayer(c));
    layers.forEach((l, i) => report(l, present[i] ? 'Already exists' : 'Waiting'));

    const downloads = layers.map((l, i) =>
      present[i]
        ? Promise.resolve()
        : sem.run(async () => {
            cancelled();
            if (ctx.store.hasLayer(chains[i] as string)) return;
            if (await download(l)) changed = true;
          }),
    );
    downloads.forEach((d) =>
      d.catch((e) => {
        failed ??= e;
      }),
    );

    for (let i = 0; i < layers.length; i++) {
      if (present[i]) continue;
      try {
        await downloads[i];
        cancelled();
        if (await unpack(layers[i] as Descriptor, diffIds[i] as string, chains[i] as string, chains[i - 1])) changed = true;
      } catch (e) {
        failed ??= e;
        break;
      }
    }
    await Promise.allSettled(downloads);
    if (failed !== undefined) throw failed;
    return { changed };

    /** Get the blob into the store; true when this pull downloaded it. */
    async function download(l: Descriptor): Promise<boolean> {
      const lock = await ctx.store.lockBlob(l.digest);
      try {
        if (ctx.store.hasBlob(l.digest)) {
          report(l, 'Download complete');
          return false;
        }
        const ingest = ctx.store.openIngest(l.digest, l.size);
        try {
          report(l, 'Downloading', ingest.offset, l.size);
          await client.fetchBlob(l, ingest, (n) => {
            cancelled();
            report(l, 'Downloading', n, l.size);
          });
          report(l, 'Verifying Checksum');
          ctx.store.commitIngest(ingest);
          added.blobs.push(l.digest);
        } catch (e) {
          // bad content is dropped; a broken download stays for the next pull to resume
          if (e instanceof VerificationError) ingest.discard();
          else {
            ingest.close();
            added.ingests.push(ingest);
          }
          throw e;
        }
        report(l, 'Download complete');
        return true;
      } finally {
        lock.release();
      }
    }

    async function unpack(l: Descriptor, diffId: string, chainId: string, parent: string | undefined): Promise<boolean> {
      const did = await ensureLayer(ctx.store, l, diffId, chainId, parent, (status, current, total) => report(l, status, current, total));
      if (did) added.layers.push(chainId);
      return did;
    }
  }
}

function rollBack(store: ImageStore, added: Added): void {
  for (const c of added.layers) store.removeTree(store.layerPath(c));
  for (const d of added.blobs) fs.rmSync(store.blobPath(d), { force: true });
  // downloads stopped because of the bad content: nothing of this image stays
  for (const i of added.ingests) i.discard();
  if (added.blobs.length || added.layers.length) log.debug('pull: rolled back what it stored', { blobs: added.blobs, layers: added.layers });
}
