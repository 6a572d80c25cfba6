// Bearer tokens from a registry's token server (distribution's token
// authentication spec and its OAuth2 variant): GET with Basic credentials, or
// POST grant_type=refresh_token for an identity token (GET when the server
// does not take the POST). expires_in defaults to 60 s; a token is renewed
// before it runs out.
import { RegistryError } from '../errors';
import { readBody, redact, type HttpClient } from '../registry/http';
import type { Credentials } from './docker-config';

const DEFAULT_TOKEN_LIFETIME_S = 60;
const TOKEN_BODY_LIMIT = 1024 * 1024;
const CLIENT_ID = 'tsrun';

export interface Token {
  token: string;
  /** when it must be renewed (ms since the epoch): before it expires */
  renewAt: number;
  /** an OAuth2 refresh token the server offered (login stores it as the identity token) */
  refreshToken?: string;
}

export interface TokenRequest {
  realm: URL;
  service?: string;
  scopes: string[];
  credentials?: Credentials;
  /** ask for a refresh token (login) */
  offline?: boolean;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Renew when 90% of the lifetime has passed, and at least 5 s before the end. */
export function renewTime(receivedAt: number, lifetimeS: number): number {
  const life = lifetimeS * 1000;
  return receivedAt + Math.max(0, Math.min(life * 0.9, life - 5000));
}

export async function fetchToken(http: HttpClient, req: TokenRequest): Promise<Token> {
  const c = req.credentials;
  if (c?.kind === 'identity-token') {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.token, client_id: CLIENT_ID });
    if (req.service) form.set('service', req.service);
    if (req.scopes.length) form.set('scope', req.scopes.join(' '));
    const res = await http.send({
      method: 'POST',
      url: req.realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    // a token server without OAuth2 support: distribution's GET, with the token as the password
    if (res.status !== 404 && res.status !== 405) return parseTokenResponse(res.status, await readBody(res, TOKEN_BODY_LIMIT, 'token response'), req.realm);
    res.body.resume();
  }
  const url = new URL(req.realm);
  if (req.service) url.searchParams.set('service', req.service);
  for (const s of req.scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  if (c?.kind === 'password') {
    url.searchParams.set('account', c.username);
    headers.authorization = basic(c.username, c.password);
  } else if (c?.kind === 'identity-token') {
    headers.authorization = basic(c.username ?? '<token>', c.token);
  }
  if (req.offline) {
    url.searchParams.set('offline_token', 'true');
    url.searchParams.set('client_id', CLIENT_ID);
  }
  const res = await http.send({ method: 'GET', url, headers });
  return parseTokenResponse(res.status, await readBody(res, TOKEN_BODY_LIMIT, 'token response'), req.realm);
}

function parseTokenResponse(status: number, body: Buffer, realm: URL): Token {
  if (status === 401 || status === 403) {
    throw new RegistryError(`token server ${redact(realm)}: ${status === 401 ? 'unauthorized: incorrect username or password' : 'access denied'}`, { status });
  }
  if (status < 200 || status > 299) {
    throw new RegistryError(`token server ${redact(realm)}: HTTP ${status}: ${body.toString('utf8', 0, 300)}`, {
      status,
      retryable: status >= 500 || status === 429 || status === 408,
    });
  }
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8')) as typeof doc;
  } catch {
    throw new RegistryError(`token server ${redact(realm)}: the answer is not JSON`);
  }
  const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
  if (!token) throw new RegistryError(`token server ${redact(realm)}: the answer has no token`);
  const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  return {
    token,
    renewAt: renewTime(Date.now(), lifetime),
    ...(typeof doc.refresh_token === 'string' && doc.refresh_token ? { refreshToken: doc.refresh_token } : {}),
  };
}
