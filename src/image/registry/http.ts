// Requests to registries on Node's own HTTP stack (node:http/https, keep-alive
// agents), with what a registry client needs and fetch() does not give:
// redirects followed by hand (Authorization never goes to another host, an
// https -> http downgrade is refused), a stall timeout on every socket, TLS
// settings per host, and error messages that say what to change.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { RegistryError } from '../errors';
import type { RegistriesConfig } from '../registries-config';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** follow 3xx (GET/HEAD only); default true */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** where the final response came from (after redirects) */
  url: URL;
  body: http.IncomingMessage;
}

const MAX_REDIRECTS = 5;
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** Close idle keep-alive sockets (so the process can exit at once). */
export function closeConnections(): void {
  agents.http.destroy();
  agents.https.destroy();
}

export class HttpClient {
  constructor(private readonly config: RegistriesConfig) {}

  /** Send a request, following redirects by hand. The caller must consume or destroy the body. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let method = req.method;
    let headers = { ...(req.headers ?? {}) };
    let body = req.body;
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const res = await this.once(method, url, headers, body);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (req.followRedirects === false || ![301, 302, 303, 307, 308].includes(status) || location === undefined) {
        return { status, headers: res.headers, url, body: res };
      }
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new RegistryError(`${req.url.host}: more than ${MAX_REDIRECTS} redirects (last to ${redact(url)})`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new RegistryError(`${redact(url)} redirected to ${next.protocol} URL ${redact(next)}`);
      if (url.protocol === 'https:' && next.protocol === 'http:') {
        throw new RegistryError(`refusing the redirect from ${redact(url)} to plain http ${redact(next)} (an https download may not continue over http)`);
      }
      // credentials are for the registry: never for the host a redirect names (a CDN, a bucket)
      if (next.origin !== origin) {
        const { authorization: _a, Authorization: _b, ...rest } = headers;
        headers = rest;
      }
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  private once(method: string, url: URL, headers: Record<string, string>, body: Buffer | string | undefined): Promise<http.IncomingMessage> {
    const secure = url.protocol === 'https:';
    const host = url.host;
    const opts: https.RequestOptions = {
      method,
      headers: { 'user-agent': 'tsrun', ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      agent: secure ? agents.https : agents.http,
    };
    if (secure) {
      const t = this.config.tls(host);
      if (t.ca.length) opts.ca = [...tls.rootCertificates, ...t.ca.map((b) => b.toString())];
      if (t.cert) opts.cert = t.cert;
      if (t.key) opts.key = t.key;
      if (this.config.isInsecure(host)) opts.rejectUnauthorized = false;
    }
    const stallMs = this.config.stallTimeoutMs;
    return new Promise((resolve, reject) => {
      const r = (secure ? https : http).request(url, opts, (res) => {
        // the stall timer keeps running while the body streams (socket-level)
        res.on('error', () => undefined);
        resolve(res);
      });
      r.setTimeout(stallMs, () => {
        r.destroy(new RegistryError(`${method} ${redact(url)}: no data for ${stallMs / 1000} s (stalled)`, { retryable: true }));
      });
      r.on('error', (e) => reject(describeNetworkError(e, url, this.config)));
      r.end(body);
    });
  }
}

/** A URL for messages: no query string (it may hold signed credentials). */
export function redact(u: URL): string {
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT',
]);

/** Turn a socket or TLS error into one that says what to do about it. */
function describeNetworkError(e: unknown, url: URL, config: RegistriesConfig): Error {
  if (e instanceof RegistryError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? '';
  const host = url.host;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|http request/i.test(err.message)) {
    return new RegistryError(
      `${host} does not speak TLS (it answered in plain http): to use it over http, set "insecure": true for ${JSON.stringify(host)} ` +
        `under "registries" in ${config.file}`,
      { cause: e },
    );
  }
  if (TLS_TRUST_CODES.has(code)) {
    return new RegistryError(
      `TLS certificate of ${host} is not trusted (${code}: ${err.message}): put its CA certificate in ` +
        `certs.d/${host}/ca.crt beside ${config.file}, or name it in "ca" for ${JSON.stringify(host)} there`,
      { cause: e },
    );
  }
  if (code === 'ECONNREFUSED') return new RegistryError(`${host}: connection refused (${url.protocol.slice(0, -1)})`, { cause: e });
  if (code === 'ENOTFOUND') return new RegistryError(`${host}: no such host`, { cause: e });
  const retryable = RETRYABLE_CODES.has(code) || /socket hang up|aborted/i.test(err.message);
  return new RegistryError(`${host}: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`, { cause: e, retryable });
}

/** Read a whole body, refusing more than `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw new RegistryError(`${what}: ${declared} bytes is more than the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        res.body.destroy();
        throw new RegistryError(`${what}: more than the ${limit}-byte limit`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    throw new RegistryError(`${what}: ${(e as Error).message}`, { cause: e, retryable: true });
  }
  return Buffer.concat(chunks);
}
