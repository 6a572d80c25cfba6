// A registry token server (distribution's token authentication), on
// 127.0.0.1: RS256 JWTs whose header carries the signing certificate chain
// (x5c), as distribution requires, granting what the scope asks for to one
// user. GET with Basic credentials, and the OAuth2 POST (password and
// refresh_token grants) that identity tokens use. Tests can change what the
// next tokens look like (their lifetime, their expiry) and count them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './tls';

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** how many tokens it handed out */
  issued(): number;
  /** requests it served: "GET" or "POST" and whether they had credentials */
  log: Array<{ method: string; basic: boolean; grant?: string }>;
  /** the next tokens: the JWT's exp relative to now (s), and the expires_in told to the client */
  setNext(t: { expOffset?: number; expiresIn?: number | null; once?: boolean }): void;
  /** whether the POST (OAuth2) endpoint answers 404 (a server without OAuth2) */
  setOAuth(enabled: boolean): void;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startTokenServer(ca: TestCa, user: string, password: string): Promise<TokenServer> {
  const signer = ca.issue('token-signer', ['DNS:token-signer']);
  const key = crypto.createPrivateKey(fs.readFileSync(signer.keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(signer.certFile)).raw.toString('base64');
  const service = 'tsrun-test-registry';
  const issuer = 'tsrun-test-issuer';
  const refreshToken = `refresh-${crypto.randomBytes(8).toString('hex')}`;
  let count = 0;
  let next: { expOffset: number; expiresIn: number | null; once: boolean } = { expOffset: 300, expiresIn: 300, once: false };
  let oauth = true;
  const log: TokenServer['log'] = [];

  const token = (account: string, scopes: string[]): { token: string; expires_in?: number } => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes
      .map((s) => s.split(':'))
      .filter((p) => p[0] === 'repository' && p.length >= 3)
      .map((p) => ({ type: 'repository', name: p.slice(1, -1).join(':'), actions: (p[p.length - 1] as string).split(',') }));
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: issuer, sub: account, aud: service, exp: now + next.expOffset, nbf: now - 10, iat: now, jti: crypto.randomBytes(8).toString('hex'), access };
    const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = crypto.sign('RSA-SHA256', Buffer.from(data), key);
    count++;
    const out: { token: string; expires_in?: number } = { token: `${data}.${b64url(sig)}` };
    if (next.expiresIn !== null) out.expires_in = next.expiresIn;
    if (next.once) next = { expOffset: 300, expiresIn: 300, once: false };
    return out;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET') {
      const auth = req.headers.authorization ?? '';
      const basic = auth.startsWith('Basic ');
      log.push({ method: 'GET', basic });
      let account = '';
      if (basic) {
        const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
        if (u !== user || (p !== password && p !== refreshToken)) return reply(401, { details: 'incorrect username or password' });
        account = u;
      }
      if (!account) return reply(401, { details: 'authentication required' });
      const out: Record<string, unknown> = token(account, url.searchParams.getAll('scope').flatMap((s) => s.split(' ')));
      if (url.searchParams.get('offline_token') === 'true') out.refresh_token = refreshToken;
      return reply(200, out);
    }
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        log.push({ method: 'POST', basic: false, grant: form.get('grant_type') ?? '' });
        if (!oauth) return reply(404, { details: 'not found' });
        const grant = form.get('grant_type');
        const ok = (grant === 'refresh_token' && form.get('refresh_token') === refreshToken) || (grant === 'password' && form.get('username') === user && form.get('password') === password);
        if (!ok) return reply(401, { details: 'invalid grant' });
        const t = token(user, (form.get('scope') ?? '').split(' ').filter(Boolean));
        return reply(200, { access_token: t.token, expires_in: t.expires_in, refresh_token: refreshToken });
      });
      return;
    }
    reply(405, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    issued: () => count,
    log,
    setNext: (t) => (next = { expOffset: t.expOffset ?? 300, expiresIn: t.expiresIn === undefined ? 300 : t.expiresIn, once: t.once ?? false }),
    setOAuth: (e) => (oauth = e),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
