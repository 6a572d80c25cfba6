// A registry client for one repository (OCI distribution spec): the /v2/
// ping that finds the scheme and the auth challenge, manifests by tag or
// digest, and blobs streamed into an ingest file with their size and digest
// checked as they arrive, resumed with Range after a broken connection, and
// retried with backoff on 408/429/5xx. Mirrors are tried first, in order,
// falling back to the registry itself.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Descriptor } from '../../../oci-spec/image';
import { log } from '../../log';
import { digestOf, parseDigest } from '../digest';
import { CancelledError, RegistryError, VerificationError } from '../errors';
import { MANIFEST_ACCEPT } from '../manifest';
import type { Endpoint, RegistriesConfig } from '../registries-config';
import type { Ingest } from '../store/ingest';
import { parseChallenges } from '../auth/challenge';
import type { Credentials } from '../auth/docker-config';
import { fetchToken } from '../auth/token';
import { Authorizer, type CredentialSource } from './auth';
import { HttpClient, readBody, redact, type HttpResponse } from './http';

export const MANIFEST_LIMIT = 4 * 1024 * 1024;
const ERROR_BODY_LIMIT = 64 * 1024;
const MAX_ATTEMPTS = 5;
/** resumes of one blob that made progress before breaking */
const MAX_RESUMES = 50;

export interface FetchedManifest {
  bytes: Buffer;
  contentType?: string;
  /** sha256 of the bytes (checked against the requested digest when there was one) */
  digest: string;
}

interface Connection {
  endpoint: Endpoint;
  /** "https://host:port" or "http://host:port": what the ping found */
  origin: string;
  auth: Authorizer;
  /** repository path on this endpoint (a mirror may serve under a prefix) */
  repoPath: string;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function backoffMs(attempt: number, retryAfter: string | string[] | undefined): number {
  const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
  if (ra !== undefined) {
    const s = Number(ra);
    const ms = Number.isFinite(s) ? s * 1000 : Date.parse(ra) - Date.now();
    if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 30_000);
  }
  const base = Math.min(4000, 250 * 2 ** attempt);
  return base * (0.8 + Math.random() * 0.4);
}

/** A distribution error body ({"errors":[{"code","message"}]}) as one line. */
async function errorText(res: HttpResponse): Promise<{ text: string; code?: string }> {
  let body: Buffer;
  try {
    body = await readBody(res, ERROR_BODY_LIMIT, 'error body');
  } catch {
    return { text: `HTTP ${res.status}` };
  }
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
    const first = doc.errors?.[0];
    if (first) return { text: `${first.code ?? `HTTP ${res.status}`}: ${first.message ?? ''}`.trim(), code: first.code };
  } catch {
    // not JSON
  }
  const text = body.toString('utf8', 0, 200).trim();
  return { text: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
}

async function withRetries<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!(e instanceof RegistryError) || !e.retryable || attempt + 1 >= MAX_ATTEMPTS) throw e;
      const wait = backoffMs(attempt, undefined);
      log.debug('registry: retrying', { what, attempt: attempt + 1, waitMs: Math.round(wait), error: e.message });
      await sleep(wait);
    }
  }
}

interface PingResult {
  /** "https://host:port" or "http://host:port": the scheme that answered */
  origin: string;
  /** WWW-Authenticate of a 401 answer; undefined when /v2/ is open */
  challenge?: string | string[];
}

/**
 * GET /v2/: which scheme works (https; then http for a registry configured
 * insecure) and which challenge, if any, the registry sends.
 */
async function pingEndpoint(http: HttpClient, config: RegistriesConfig, ep: Endpoint): Promise<PingResult> {
  const insecure = config.isInsecure(ep.host);
  if (ep.origin.startsWith('http://') && !insecure) {
    throw new RegistryError(
      `${ep.host} is configured as plain http (${ep.origin}); that needs "insecure": true for ${JSON.stringify(ep.host)} under "registries" in ${config.file}`,
    );
  }
  const origins = insecure && ep.origin.startsWith('https://') ? [ep.origin, ep.origin.replace(/^https:/, 'http:')] : [ep.origin];
  let lastError: unknown;
  for (const origin of origins) {
    let res: HttpResponse;
    try {
      res = await withRetries(`ping ${origin}/v2/`, () => http.send({ method: 'GET', url: new URL('/v2/', origin) }));
    } catch (e) {
      lastError = e;
      continue;
    }
    res.body.resume();
    log.debug('registry ping', { origin, status: res.status });
    if (res.status === 401) return { origin, challenge: res.headers['www-authenticate'] ?? '' };
    if (res.status === 200) return { origin };
    throw new RegistryError(`${origin}/v2/: HTTP ${res.status}: not an OCI distribution registry`, { status: res.status });
  }
  throw lastError;
}

/**
 * Check credentials against a registry (tsrun login): Basic on /v2/, or a
 * token from the Bearer realm (asking for a refresh token, which is then
 * what gets stored). Throws when they are refused.
 */
export async function verifyLogin(config: RegistriesConfig, registry: string, creds: Credentials): Promise<{ identityToken?: string }> {
  const http = new HttpClient(config);
  const ep = config.endpoint(registry);
  const p = await pingEndpoint(http, config, ep);
  if (p.challenge === undefined) return {};
  const all = parseChallenges(p.challenge);
  const bearer = all.find((c) => c.scheme === 'bearer');
  if (bearer) {
    const realm = new URL(bearer.params.realm ?? '');
    const t = await fetchToken(http, { realm, service: bearer.params.service, scopes: [], credentials: creds, offline: true });
    return t.refreshToken ? { identityToken: t.refreshToken } : {};
  }
  const auth = new Authorizer(http, registry, '', { get: async () => creds }, p.origin.startsWith('http:'));
  auth.setChallenges(p.challenge);
  const authorization = await auth.header();
  const res = await http.send({ method: 'GET', url: new URL('/v2/', p.origin), headers: authorization ? { authorization } : {} });
  res.body.resume();
  if (res.status === 401) throw new RegistryError(`${registry}: unauthorized: incorrect username or password`, { status: 401 });
  if (res.status !== 200) throw new RegistryError(`${registry}: /v2/ answered HTTP ${res.status}`, { status: res.status });
  return {};
}

export class RepositoryClient {
  private readonly http: HttpClient;
  private connections = new Map<string, Promise<Connection>>();
  /** the endpoint that served the manifest: blobs are asked there first */
  private preferred: Endpoint | undefined;

  constructor(
    private readonly config: RegistriesConfig,
    /** registry name ("docker.io", "host:5000") */
    readonly registry: string,
    /** "library/busybox" */
    readonly repository: string,
    private readonly credentials: CredentialSource,
  ) {
    this.http = new HttpClient(config);
  }

  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  private connect(ep: Endpoint): Promise<Connection> {
    let c = this.connections.get(ep.origin);
    if (!c) {
      c = this.ping(ep);
      this.connections.set(ep.origin, c);
      c.catch(() => this.connections.delete(ep.origin));
    }
    return c;
  }

  private async ping(ep: Endpoint): Promise<Connection> {
    const p = await pingEndpoint(this.http, this.config, ep);
    const repoPath = ep.pathPrefix ? `${ep.pathPrefix}/${this.repository}` : this.repository;
    const credentialHost = ep.isMirror ? ep.host : this.registry;
    const auth = new Authorizer(this.http, credentialHost, `repository:${repoPath}:pull`, this.credentials, p.origin.startsWith('http:'));
    if (p.challenge !== undefined) auth.setChallenges(p.challenge);
    return { endpoint: ep, origin: p.origin, auth, repoPath };
  }

  /**
   * One authorized request with the retry rules: a 401 refreshes the
   * authorization and retries once; 408/429/5xx and broken connections retry
   * with backoff. Returns any other answer for the caller to judge.
   */
  private async request(conn: Connection, method: 'GET' | 'HEAD', path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    let unauthorized = 0;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        const authorization = await conn.auth.header();
        res = await this.http.send({ method, url: new URL(path, conn.origin), headers: { ...headers, ...(authorization ? { authorization } : {}) } });
      } catch (e) {
        if (e instanceof RegistryError && e.retryable && attempt + 1 < MAX_ATTEMPTS) {
          await sleep(backoffMs(attempt, undefined));
          continue;
        }
        throw e;
      }
      if (res.status === 401 && unauthorized < 2) {
        res.body.resume();
        conn.auth.refresh(res.headers['www-authenticate'], unauthorized++);
        continue;
      }
      if (isRetryableStatus(res.status) && attempt + 1 < MAX_ATTEMPTS) {
        res.body.resume();
        const wait = backoffMs(attempt, res.headers['retry-after']);
        log.debug('registry: retrying', { path, status: res.status, waitMs: Math.round(wait) });
        await sleep(wait);
        continue;
      }
      return res;
    }
  }

  private async failure(conn: Connection, res: HttpResponse, what: string): Promise<RegistryError> {
    const { text, code } = await errorText(res);
    let hint = '';
    if (res.status === 401 || res.status === 403) {
      hint = conn.auth.hasCredentials
        ? ` (the credentials for ${conn.auth.credentialHost} were refused)`
        : ` (no credentials for ${conn.auth.credentialHost}: tsrun login ${conn.auth.credentialHost})`;
    }
    return new RegistryError(`${what}: ${text}${hint}`, { status: res.status, code });
  }

  /** Fetch a manifest by tag or digest (verified against the digest when given). */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    if (byDigest) parseDigest(reference, 'manifest reference');
    let lastError: unknown;
    for (const ep of this.config.pullEndpoints(this.registry)) {
      try {
        const conn = await this.connect(ep);
        const what = `${this.name}:${reference}${ep.isMirror ? ` (mirror ${ep.origin})` : ''}`;
        const res = await this.request(conn, 'GET', `/v2/${conn.repoPath}/manifests/${encodeURIComponent(reference).replace(/%3A/g, ':')}`, {
          accept: MANIFEST_ACCEPT.join(', '),
        });
        if (res.status !== 200) throw await this.failure(conn, res, `manifest ${what}`);
        const bytes = await readBody(res, MANIFEST_LIMIT, `manifest ${what}`);
        const digest = byDigest ? digestOf(bytes, parseDigest(reference, 'manifest reference').algorithm) : digestOf(bytes);
        if (byDigest && digest !== reference) {
          throw new VerificationError(`manifest ${what}: the registry sent content with digest ${digest}, not the ${reference} asked for`);
        }
        const ct = res.headers['content-type'];
        this.preferred = ep;
        return { bytes, digest, ...(ct ? { contentType: ct } : {}) };
      } catch (e) {
        lastError = e;
        if (e instanceof VerificationError || !ep.isMirror) throw e;
        log.warn(`mirror ${ep.origin} failed, trying the next: ${(e as Error).message}`);
      }
    }
    throw lastError;
  }

  /** Fetch a small blob (an image config) into memory, verified. */
  async getBlob(desc: Descriptor, limit: number): Promise<Buffer> {
    if (desc.size > limit) throw new RegistryError(`blob ${desc.digest}: ${desc.size} bytes is more than the ${limit}-byte limit for a config`);
    return this.onEndpoints(async (conn) => {
      const res = await this.request(conn, 'GET', `/v2/${conn.repoPath}/blobs/${desc.digest}`);
      if (res.status !== 200) throw await this.failure(conn, res, `blob ${this.name}@${desc.digest}`);
      const data = await readBody(res, desc.size, `blob ${desc.digest} (longer than its ${desc.size} bytes)`).catch((e: Error) => {
        throw new VerificationError(e.message);
      });
      if (data.length !== desc.size) throw new VerificationError(`blob ${desc.digest}: got ${data.length} bytes, the manifest says ${desc.size}`);
      const got = digestOf(data, parseDigest(desc.digest, 'blob').algorithm);
      if (got !== desc.digest) throw new VerificationError(`blob ${desc.digest}: content does not match its digest (got ${got})`);
      return data;
    });
  }

  private async onEndpoints<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    const all = this.config.pullEndpoints(this.registry);
    const order = this.preferred ? [this.preferred, ...all.filter((e) => e.origin !== this.preferred?.origin)] : all;
    let lastError: unknown;
    for (const ep of order) {
      try {
        return await fn(await this.connect(ep));
      } catch (e) {
        lastError = e;
        if (e instanceof VerificationError || e instanceof CancelledError || ep === order[order.length - 1]) throw e;
        log.warn(`${ep.origin} failed, trying the next endpoint: ${(e as Error).message}`);
      }
    }
    throw lastError;
  }

  /**
   * Stream a blob into its ingest file, resuming from what the file already
   * holds. Throws VerificationError for content that is not what the
   * descriptor says (the caller discards the ingest then). onProgress may
   * throw CancelledError to stop the download.
   */
  async fetchBlob(desc: Descriptor, ingest: Ingest, onProgress: (bytes: number) => void): Promise<void> {
    await this.onEndpoints((conn) => this.fetchBlobFrom(conn, desc, ingest, onProgress));
  }

  private async fetchBlobFrom(conn: Connection, desc: Descriptor, ingest: Ingest, onProgress: (bytes: number) => void): Promise<void> {
    const path = `/v2/${conn.repoPath}/blobs/${desc.digest}`;
    let failures = 0;
    let resumes = 0;
    while (ingest.offset < desc.size) {
      const start = ingest.offset;
      const res = await this.request(conn, 'GET', path, start > 0 ? { range: `bytes=${start}-` } : {});
      if (res.status === 416 && start > 0) {
        // the file already holds something the server does not: start over
        res.body.resume();
        ingest.reset();
        continue;
      }
      if (res.status !== 200 && res.status !== 206) throw await this.failure(conn, res, `blob ${this.name}@${desc.digest}`);
      if (res.status === 206) {
        const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
        if (!m || Number(m[1]) !== start) {
          res.body.resume();
          ingest.reset();
          continue;
        }
      } else if (start > 0) {
        ingest.reset(); // the server ignored Range: the whole blob comes
      }
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (ingest.offset + chunk.length > desc.size) {
            res.body.destroy();
            throw new VerificationError(`blob ${desc.digest}: the registry sent more than its ${desc.size} bytes`);
          }
          ingest.write(chunk);
          onProgress(ingest.offset);
        }
      } catch (e) {
        if (e instanceof VerificationError || e instanceof CancelledError) {
          res.body.destroy();
          throw e;
        }
        log.debug('blob download broke', { digest: desc.digest, at: ingest.offset, error: (e as Error).message, url: redact(res.url) });
      }
      if (ingest.offset < desc.size) {
        // a broken or short answer: resume from where it stopped
        if (ingest.offset > start) resumes++;
        else failures++;
        if (failures >= MAX_ATTEMPTS || resumes > MAX_RESUMES) {
          throw new RegistryError(`blob ${this.name}@${desc.digest}: the connection broke at ${ingest.offset} of ${desc.size} bytes, ${failures + resumes} times`, {
            retryable: false,
          });
        }
        await sleep(ingest.offset > start ? 0 : backoffMs(failures, undefined));
      }
    }
    const got = ingest.finish();
    if (got !== desc.digest) throw new VerificationError(`blob ${desc.digest}: content does not match its digest (got ${got})`);
  }
}
