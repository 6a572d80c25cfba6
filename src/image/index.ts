// The image commands, as the CLI calls them. This module and everything it
// imports load only when an image command runs (the CLI imports it with a
// dynamic import, and the bundle keeps it in its own chunk): `tsrun state`
// and `tsrun create` never pay for it.
import fs from 'node:fs';
import path from 'node:path';
import { defaultImageRoot } from '../data-root';
import { log } from '../log';
import { loadArchive, saveImages } from './archive';
import { DockerConfig, dockerConfigFile, type Credentials } from './auth/docker-config';
import { credentialSource } from './credentials';
import { shortId } from './digest';
import { ImageError } from './errors';
import { collect, reachable, type LiveSet } from './gc';
import { displayName, imageDetails, resolveLocal, since, splitKey, type LocalImage } from './local';
import { progressMode, progressSink, humanSize } from './progress';
import { pull } from './pull';
import { parseReference } from './reference';
import { canonicalHost, DEFAULT_REGISTRIES_CONFIG, loadRegistriesConfig } from './registries-config';
import { verifyLogin } from './registry/client';
import { closeConnections } from './registry/http';
import { listHolds } from './store/in-use';
import { ImageStore } from './store/store';
import { runnableImage, type PullPolicy, type RunnableImage } from './for-run';

export { holdLayers, releaseLayers, listHolds, type LayerHold } from './store/in-use';
export { ImageStore } from './store/store';
export { readImageFile, type PullPolicy, type RunnableImage } from './for-run';

export interface ImageEnv {
  /** --image-root, or undefined for the default */
  imageRoot?: string;
  /** --registries-config, or undefined for the default */
  registriesConfig?: string;
  out(text: string): void;
  stdoutIsTty: boolean;
  columns: number;
  euid: number;
  env: NodeJS.ProcessEnv;
}

function imageRoot(e: ImageEnv): string {
  return e.imageRoot ?? defaultImageRoot(e.euid, e.env);
}

function openStore(e: ImageEnv): ImageStore {
  return ImageStore.open(imageRoot(e));
}

export async function pullCommand(e: ImageEnv, o: { ref: string; platform?: string; quiet: boolean; progress?: string }): Promise<number> {
  const mode = progressMode(o.progress, o.quiet, e.stdoutIsTty, e.env.TERM);
  const store = openStore(e);
  const config = loadRegistriesConfig(e.registriesConfig ?? DEFAULT_REGISTRIES_CONFIG);
  const progress = progressSink(mode, e.out, () => e.columns);
  try {
    await pull({ ref: o.ref, ...(o.platform ? { platform: o.platform } : {}) }, { store, config, credentials: credentialSource(store.root, e.env), progress });
  } finally {
    closeConnections();
  }
  return 0;
}

interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedAt: string;
  CreatedSince: string;
  Size: string;
  /** bytes */
  size: number;
  created: number;
}

function rows(store: ImageStore): ImageRow[] {
  const out: ImageRow[] = [];
  for (const [key, record] of Object.entries(store.readRefs())) {
    let created: string | undefined;
    let size = 0;
    try {
      const d = imageDetails(store, record);
      created = d.config.created;
      size = d.size;
    } catch (err) {
      log.warn(`image ${key}: ${(err as Error).message}`);
    }
    const { tag } = splitKey(key);
    const shown = displayName(key);
    out.push({
      Repository: tag !== undefined ? shown.slice(0, shown.length - tag.length - 1) : shown.slice(0, shown.indexOf('@')),
      Tag: tag ?? '<none>',
      Digest: record.target,
      ID: record.config,
      CreatedAt: created ?? '',
      CreatedSince: since(created),
      Size: humanSize(size),
      size,
      created: created ? Date.parse(created) : 0,
    });
  }
  return out.sort((a, b) => b.created - a.created || a.Repository.localeCompare(b.Repository) || a.Tag.localeCompare(b.Tag));
}

export async function imagesCommand(e: ImageEnv, o: { format: 'table' | 'json'; quiet: boolean }): Promise<number> {
  const list = rows(openStore(e));
  if (o.quiet) {
    e.out([...new Set(list.map((r) => shortId(r.ID)))].map((id) => `${id}\n`).join(''));
    return 0;
  }
  if (o.format === 'json') {
    e.out(list.map(({ size: _s, created: _c, ...r }) => `${JSON.stringify(r)}\n`).join(''));
    return 0;
  }
  const table = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...list.map((r) => [r.Repository, r.Tag, shortId(r.ID), r.CreatedSince, r.Size])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  e.out(table.map((row) => `${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd((widths[i] as number) + 3))).join('')}\n`).join(''));
  return 0;
}

export async function inspectCommand(e: ImageEnv, o: { refs: string[] }): Promise<number> {
  const store = openStore(e);
  const refs = store.readRefs();
  const holds = listHolds(store);
  const out: unknown[] = [];
  let failed: Error | undefined;
  for (const text of o.refs) {
    try {
      const [first] = resolveLocal(store, text);
      const r = (first as LocalImage).record;
      const d = imageDetails(store, r);
      const names = Object.entries(refs).filter(([, x]) => x.config === r.config);
      out.push({
        Id: r.config,
        RepoTags: names.filter(([k]) => !k.includes('@')).map(([k]) => displayName(k)),
        RepoDigests: [...new Set(names.map(([k, x]) => `${displayName(k).replace(/[:@].*$/, '')}@${x.target}`))],
        Created: d.config.created ?? '',
        Author: d.config.author ?? '',
        Architecture: d.config.architecture,
        Os: d.config.os,
        ...(d.config.variant ? { Variant: d.config.variant } : {}),
        Config: d.config.config ?? {},
        RootFS: { Type: 'layers', Layers: d.config.rootfs.diff_ids },
        Size: d.size,
        Tsrun: {
          Manifest: r.manifest,
          Platform: r.platform,
          Layers: d.chainIds.map((c, i) => ({ ChainID: c, DiffID: d.config.rootfs.diff_ids[i], Blob: d.manifest.layers[i]?.digest, Path: store.layerTree(c) })),
          UsedBy: holds.filter((h) => h.image === r.config).map((h) => h.holder),
        },
      });
    } catch (err) {
      failed ??= err as Error;
      log.error((err as Error).message);
    }
  }
  e.out(`${JSON.stringify(out, null, 4)}\n`);
  if (failed) throw failed;
  return 0;
}

export async function removeCommand(e: ImageEnv, o: { refs: string[]; force: boolean }): Promise<number> {
  const store = openStore(e);
  const l = await store.lockStore(true, () => log.info('waiting for pulls and loads in progress to finish'));
  try {
    const doomed: LiveSet = { blobs: new Set(), layers: new Set() };
    let failed: Error | undefined;
    for (const text of o.refs) {
      try {
        const images = resolveLocal(store, text);
        const refs = store.readRefs();
        for (const img of images) {
          const config = img.record.config;
          const others = Object.entries(refs).filter(([k, r]) => r.config === config && k !== img.key);
          const users = listHolds(store).filter((h) => h.image === config);
          if (users.length && others.length === 0 && !o.force) {
            throw new ImageError(
              `conflict: unable to remove repository reference ${JSON.stringify(displayName(img.key))} (must force) - container ${users[0]?.holder} is using its referenced image ${shortId(config)}`,
            );
          }
          reachable(store, img.record, doomed);
          await store.updateRefs((all) => {
            delete all[img.key];
          });
          delete refs[img.key];
          e.out(`Untagged: ${displayName(img.key)}\n`);
          if (!Object.values(store.readRefs()).some((r) => r.config === config)) e.out(`Deleted: ${config}\n`);
        }
      } catch (err) {
        failed ??= err as Error;
        log.error((err as Error).message);
      }
    }
    const removed = collect(store, doomed);
    for (const c of removed.layers) log.debug('removed layer', { chainId: c });
    if (failed) throw failed;
  } finally {
    l.release();
  }
  return 0;
}

export async function pruneCommand(e: ImageEnv): Promise<number> {
  const store = openStore(e);
  const l = await store.lockStore(true, () => log.info('waiting for pulls and loads in progress to finish'));
  try {
    const removed = collect(store);
    for (const d of removed.blobs) e.out(`Deleted: ${d}\n`);
    for (const c of removed.layers) e.out(`Deleted layer: ${c}\n`);
    e.out(`Total reclaimed space: ${humanSize(removed.bytes)}\n`);
  } finally {
    l.release();
  }
  return 0;
}

export async function loadCommand(e: ImageEnv, o: { input?: string; quiet: boolean; stdin: NodeJS.ReadableStream }): Promise<number> {
  const store = openStore(e);
  let input: NodeJS.ReadableStream;
  if (o.input !== undefined) {
    try {
      input = fs.createReadStream('', { fd: fs.openSync(o.input, 'r'), highWaterMark: 1024 * 1024 });
    } catch (err) {
      throw new ImageError(`-i ${o.input}: ${(err as Error).message}`);
    }
  } else {
    input = o.stdin;
  }
  const mode = o.quiet ? 'quiet' : e.stdoutIsTty ? 'tty' : 'plain';
  const progress = progressSink(mode, e.out, () => e.columns);
  let loaded;
  try {
    loaded = await loadArchive(store, input as import('node:stream').Readable, (id, status, current, total) =>
      progress.event({ type: 'layer', id, status, ...(current !== undefined ? { current, total } : {}) }),
    );
  } finally {
    progress.close();
  }
  for (const img of loaded) e.out(img.name ? `Loaded image: ${displayName(img.name)}\n` : `Loaded image ID: ${img.config}\n`);
  return 0;
}

export async function saveCommand(e: ImageEnv, o: { output?: string; refs: string[]; stdout: NodeJS.WritableStream }): Promise<number> {
  const store = openStore(e);
  const images: LocalImage[] = [];
  for (const text of o.refs) images.push(...resolveLocal(store, text));
  if (o.output === undefined) {
    if (e.stdoutIsTty) throw new ImageError('cowardly refusing to write an image archive to a terminal: use -o FILE or redirect stdout');
    await saveImages(store, images, o.stdout as import('node:stream').Writable);
    return 0;
  }
  const dest = path.resolve(o.output);
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    await saveImages(store, images, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return 0;
}

export async function loginCommand(
  e: ImageEnv,
  o: { registry?: string; username?: string; password?: string },
): Promise<number> {
  const registry = registryOf(o.registry);
  if (!o.username || o.password === undefined) throw new ImageError('login: a username and a password are needed');
  const config = loadRegistriesConfig(e.registriesConfig ?? DEFAULT_REGISTRIES_CONFIG);
  const creds: Credentials = { kind: 'password', username: o.username, password: o.password };
  let stored: Credentials = creds;
  try {
    const r = await verifyLogin(config, registry, creds);
    if (r.identityToken) stored = { kind: 'identity-token', username: o.username, token: r.identityToken };
  } finally {
    closeConnections();
  }
  const file = dockerConfigFile(e.env);
  await DockerConfig.read(file).store(registry, stored);
  e.out('Login Succeeded\n');
  return 0;
}

export async function logoutCommand(e: ImageEnv, o: { registry?: string }): Promise<number> {
  const registry = registryOf(o.registry);
  const removed = await DockerConfig.read(dockerConfigFile(e.env)).erase(registry);
  e.out(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
  return 0;
}

/** "host:5000", "https://host/", "docker.io" -> the registry name credentials are kept under. */
function registryOf(text: string | undefined): string {
  if (!text) return 'docker.io';
  const host = text.replace(/^[a-z]+:\/\//i, '').split('/')[0] ?? '';
  if (!host) throw new ImageError(`invalid registry ${JSON.stringify(text)}`);
  // validate the way a reference's registry part is validated
  parseReference(`${host}/x`);
  return canonicalHost(host);
}

/** The store under the image root `e` names (created when missing). */
export function openImageStore(e: Pick<ImageEnv, 'imageRoot' | 'euid' | 'env'>): ImageStore {
  return ImageStore.open(e.imageRoot ?? defaultImageRoot(e.euid, e.env));
}

/**
 * The image `ref` names, ready to run: pulled first when missing (or always,
 * per the policy), with `docker run`'s progress on stderr.
 */
export async function imageForRun(e: ImageEnv, o: { ref: string; pull: PullPolicy; platform?: string; err: (text: string) => void }): Promise<RunnableImage> {
  const store = openStore(e);
  return runnableImage(store, o.ref, o.pull, async () => {
    if (o.pull === 'missing') o.err(`Unable to find image '${o.ref}' locally\n`);
    const config = loadRegistriesConfig(e.registriesConfig ?? DEFAULT_REGISTRIES_CONFIG);
    try {
      await pull(
        { ref: o.ref, ...(o.platform ? { platform: o.platform } : {}) },
        { store, config, credentials: credentialSource(store.root, e.env), progress: progressSink('plain', o.err) },
      );
    } finally {
      closeConnections();
    }
  });
}
