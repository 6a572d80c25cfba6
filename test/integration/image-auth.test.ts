// Registry authentication against real registries on 127.0.0.1: Basic over
// TLS with a test CA (certs.d), tsrun login/logout and credential helpers;
// Bearer tokens from a token server (RS256 JWT with x5c), identity tokens,
// a token that expires mid-pull, renewal before expiry; and a blob redirect
// to a server that refuses any Authorization header.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers';
import { loadRegistriesConfig } from '../../src/image/registries-config';
import { HttpClient } from '../../src/image/registry/http';
import { errorMessage, imageCli, type ImageCli } from './helpers/images';
import { buildImage, tarEntries, writeLayout, type BuiltImage } from './helpers/oci-image';
import { startProxy, type Proxy } from './helpers/proxy';
import { ensureRegistryTools, push, startRegistry, writeHtpasswd, type Registry } from './helpers/registry';
import { makeCa, type TestCa } from './helpers/tls';
import { startTokenServer, type TokenServer } from './helpers/token-server';

let dir: string;
let ca: TestCa;
let basicReg: Registry;
let tokenReg: Registry;
let tokens: TokenServer;
let proxy: Proxy;
let img: BuiltImage;
let layout: string;
let n = 0;

function cli(registries: Record<string, unknown>, env: Record<string, string> = {}): ImageCli {
  const c = imageCli(path.join(dir, `cli-${++n}`), env);
  c.setConfig({ registries });
  return c;
}

function dockerConfig(c: ImageCli, doc: unknown): void {
  const f = path.join(path.dirname(path.dirname(c.configFile)), 'docker', 'config.json');
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, JSON.stringify(doc));
}

function readDockerConfig(c: ImageCli): { auths?: Record<string, { auth?: string; identitytoken?: string }> } {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(path.dirname(c.configFile)), 'docker', 'config.json'), 'utf8')) as ReturnType<typeof readDockerConfig>;
}

function basic(user: string, pass: string): string {
  return Buffer.from(`${user}:${pass}`).toString('base64');
}

function registryBlob(reg: string, digest: string): string {
  const hex = digest.slice(7);
  return path.join(dir, reg, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-auth');
  ca = makeCa(path.join(dir, 'ca'));
  const cert = ca.issue('registry');
  const htpasswd = path.join(dir, 'htpasswd');
  writeHtpasswd(htpasswd, 'alice', 'secret');
  basicReg = await startRegistry({ dir: path.join(dir, 'basic-reg'), tls: cert, htpasswd });
  tokens = await startTokenServer(makeCa(path.join(dir, 'token-ca'), 'token CA'), 'bob', 'pw');
  tokenReg = await startRegistry({
    dir: path.join(dir, 'token-reg'),
    token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: path.join(dir, 'token-ca', 'ca.crt') },
  });
  proxy = await startProxy(`http://${tokenReg.host}`);
  img = buildImage([await tarEntries([{ name: 'a', data: 'a'.repeat(100_000) }]), await tarEntries([{ name: 'b', data: 'b'.repeat(50_000) }])]);
  layout = path.join(dir, 'layout');
  writeLayout(layout, [{ tag: 'x', descriptor: img.descriptor }], img.blobs);
  const certDir = path.join(dir, 'skopeo-certs');
  fs.mkdirSync(certDir);
  fs.copyFileSync(ca.certFile, path.join(certDir, 'ca.crt'));
  await push(layout, 'x', `${basicReg.host}/auth/basic:1`, { certDir, creds: 'alice:secret' });
  await push(layout, 'x', `${tokenReg.host}/auth/token:1`, { creds: 'bob:pw' });
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await tokens?.stop();
  await basicReg?.stop();
  await tokenReg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Basic auth over TLS', () => {
  it('names the CA setting for an untrusted certificate, then the login for missing credentials', async () => {
    const c = cli({});
    const untrusted = await c.run(['pull', `${basicReg.host}/auth/basic:1`]);
    expect(untrusted.code).toBe(1);
    expect(errorMessage(untrusted.stderr)).toContain(`TLS certificate of ${basicReg.host} is not trusted`);
    expect(errorMessage(untrusted.stderr)).toContain(`certs.d/${basicReg.host}/ca.crt beside ${c.configFile}`);

    const certs = path.join(path.dirname(c.configFile), 'certs.d', basicReg.host);
    fs.mkdirSync(certs, { recursive: true });
    fs.copyFileSync(ca.certFile, path.join(certs, 'ca.crt'));
    const anonymous = await c.run(['pull', `${basicReg.host}/auth/basic:1`]);
    expect(anonymous.code).toBe(1);
    expect(errorMessage(anonymous.stderr)).toContain(`no credentials for ${basicReg.host}: tsrun login ${basicReg.host}`);
  });

  it('login checks the password, stores it in config.json (0600), and logout removes it', async () => {
    const c = cli({});
    const certs = path.join(path.dirname(c.configFile), 'certs.d', basicReg.host);
    fs.mkdirSync(certs, { recursive: true });
    fs.copyFileSync(ca.certFile, path.join(certs, 'ca.crt'));
    const wrong = await c.run(['login', '-u', 'alice', '--password-stdin', basicReg.host], { input: 'nope\n' });
    expect(wrong.code).toBe(1);
    expect(errorMessage(wrong.stderr)).toContain('incorrect username or password');

    const ok = await c.run(['login', '-u', 'alice', '--password-stdin', basicReg.host], { input: 'secret\n' });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('Login Succeeded\n');
    expect(readDockerConfig(c).auths?.[basicReg.host]?.auth).toBe(basic('alice', 'secret'));
    const file = path.join(path.dirname(path.dirname(c.configFile)), 'docker', 'config.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const pulled = await c.run(['pull', '-q', `${basicReg.host}/auth/basic:1`]);
    expect(pulled.stderr).toBe('');
    expect(pulled.stdout).toBe(`${img.manifest.digest}\n`);

    const out = await c.run(['logout', basicReg.host]);
    expect(out.stdout).toBe(`Removing login credentials for ${basicReg.host}\n`);
    expect(readDockerConfig(c).auths?.[basicReg.host]).toBeUndefined();
    expect((await c.run(['logout', basicReg.host])).stdout).toBe(`Not logged in to ${basicReg.host}\n`);
  });

  it('takes credentials from a credential helper (credHelpers and credsStore)', async () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const helper = path.join(bin, 'docker-credential-tsrun-test');
    fs.writeFileSync(helper, `#!/bin/sh\n[ "$1" = get ] || exit 1\nread server\necho "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"alice\\",\\"Secret\\":\\"secret\\"}"\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env.PATH}` };
    for (const doc of [{ credHelpers: { [basicReg.host]: 'tsrun-test' } }, { credsStore: 'tsrun-test' }]) {
      const c = cli({ [basicReg.host]: { ca: ca.certFile } }, env);
      dockerConfig(c, doc);
      const r = await c.run(['pull', '-q', `${basicReg.host}/auth/basic:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });
});

describe('Bearer tokens', () => {
  it('gets a token with the stored password and pulls', async () => {
    const c = cli({ [tokenReg.host]: { insecure: true } });
    dockerConfig(c, { auths: { [tokenReg.host]: { auth: basic('bob', 'pw') } } });
    const before = tokens.log.length;
    const r = await c.run(['pull', '-q', `${tokenReg.host}/auth/token:1`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tokens.log.slice(before)).toEqual([{ method: 'GET', basic: true }]);
  });

  it('login stores the identity token the server offers; pulls use it (OAuth2 POST, falling back to GET)', async () => {
    const c = cli({ [tokenReg.host]: { insecure: true } });
    const login = await c.run(['login', '-u', 'bob', '--password-stdin', tokenReg.host], { input: 'pw' });
    expect(login.stdout).toBe('Login Succeeded\n');
    const entry = readDockerConfig(c).auths?.[tokenReg.host];
    expect(entry?.identitytoken).toMatch(/^refresh-/);
    expect(entry?.auth).toBe(basic('bob', ''));

    let before = tokens.log.length;
    expect((await c.run(['pull', '-q', `${tokenReg.host}/auth/token:1`])).code).toBe(0);
    expect(tokens.log.slice(before)).toEqual([{ method: 'POST', basic: false, grant: 'refresh_token' }]);

    tokens.setOAuth(false);
    try {
      const again = cli({ [tokenReg.host]: { insecure: true } });
      dockerConfig(again, readDockerConfig(c));
      before = tokens.log.length;
      const r = await again.run(['pull', '-q', `${tokenReg.host}/auth/token:1`]);
      expect(r.stderr).toBe('');
      expect(tokens.log.slice(before)).toEqual([
        { method: 'POST', basic: false, grant: 'refresh_token' },
        { method: 'GET', basic: true },
      ]);
    } finally {
      tokens.setOAuth(true);
    }
  });

  it('a token that expires mid-pull: the 401 brings a fresh token and one retry', async () => {
    const c = cli({ [proxy.host]: { insecure: true } });
    dockerConfig(c, { auths: { [proxy.host]: { auth: basic('bob', 'pw') } } });
    // the registry accepts a token up to 60 s past its exp: this one has 3 s left
    tokens.setNext({ expOffset: -57, expiresIn: 300, once: true });
    let delayed = false;
    proxy.setRule((req) => {
      if (!delayed && /\/blobs\/sha256:/.test(req.url ?? '')) {
        delayed = true;
        return { kind: 'delay', ms: 4500 };
      }
      return { kind: 'forward' };
    });
    const issued = tokens.issued();
    const start = proxy.requests.length;
    try {
      const r = await c.run(['pull', '-q', `${proxy.host}/auth/token:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    const seen = proxy.requests.slice(start).map((q) => `${q.method} ${q.path.replace(/sha256:[a-f0-9]+/, 'D')} ${q.status}`);
    expect(seen.filter((s) => s.includes('/manifests/') && s.endsWith(' 200'))).toHaveLength(1);
    expect(seen.filter((s) => s.includes('/blobs/') && s.endsWith(' 401'))).toHaveLength(1);
    expect(tokens.issued() - issued).toBe(2);
  });

  it('renews a token before it runs out (no 401 after the ping)', async () => {
    const c = cli({ [proxy.host]: { insecure: true } });
    dockerConfig(c, { auths: { [proxy.host]: { auth: basic('bob', 'pw') } } });
    // valid at the registry for 5 minutes, but the client is told 6 s: renewed after 1 s
    tokens.setNext({ expOffset: 300, expiresIn: 6, once: true });
    let delayed = false;
    proxy.setRule((req) => {
      if (!delayed && req.url?.includes(img.config.digest)) {
        delayed = true;
        return { kind: 'delay', ms: 1500 };
      }
      return { kind: 'forward' };
    });
    const issued = tokens.issued();
    const start = proxy.requests.length;
    try {
      expect((await c.run(['pull', '-q', `${proxy.host}/auth/token:1`])).code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
    }
    expect(proxy.requests.slice(start).filter((q) => q.status === 401).map((q) => q.path)).toEqual(['/v2/']);
    expect(tokens.issued() - issued).toBe(2);
  });

  it('follows a blob redirect without sending Authorization to the other host', async () => {
    const cdnLog: Array<{ path: string; auth: boolean }> = [];
    const cdn = http.createServer((req, res) => {
      cdnLog.push({ path: req.url ?? '', auth: req.headers.authorization !== undefined });
      if (req.headers.authorization !== undefined) {
        res.writeHead(403);
        res.end('Authorization not accepted here');
        return;
      }
      const digest = new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '';
      const f = registryBlob('token-reg', digest);
      if (!/^sha256:[a-f0-9]{64}$/.test(digest) || !fs.existsSync(f)) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': String(fs.statSync(f).size) });
      fs.createReadStream(f).pipe(res);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
    const cdnOrigin = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    const c = cli({ [proxy.host]: { insecure: true } });
    dockerConfig(c, { auths: { [proxy.host]: { auth: basic('bob', 'pw') } } });
    const start = proxy.requests.length;
    proxy.setRule((req) => {
      const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
      return m ? { kind: 'redirect', location: `${cdnOrigin}/cdn/${m[1]}?sig=abc` } : { kind: 'forward' };
    });
    try {
      const r = await c.run(['pull', '-q', `${proxy.host}/auth/token:1`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      proxy.setRule(() => ({ kind: 'forward' }));
      await new Promise((r) => cdn.close(r));
    }
    const redirected = proxy.requests.slice(start).filter((q) => q.status === 307);
    expect(redirected.length).toBe(3);
    expect(redirected.every((q) => q.headers.authorization?.startsWith('Bearer '))).toBe(true);
    expect(cdnLog).toHaveLength(3);
    expect(cdnLog.every((l) => !l.auth)).toBe(true);
  });

  it('refuses a redirect from https to plain http', async () => {
    const cert = ca.issue('redirector');
    const target = http.createServer((_req, res) => res.end('plain'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const tls = https.createServer({ cert: fs.readFileSync(cert.certFile), key: fs.readFileSync(cert.keyFile) }, (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/blob` });
      res.end();
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(tls.address() as AddressInfo).port}`;
    const cfgFile = path.join(dir, 'redirect-registries.json');
    fs.writeFileSync(cfgFile, JSON.stringify({ registries: { [host]: { ca: ca.certFile } } }));
    try {
      const client = new HttpClient(loadRegistriesConfig(cfgFile));
      await expect(client.send({ method: 'GET', url: new URL(`https://${host}/v2/x/blobs/y`), headers: { authorization: 'Bearer t' } })).rejects.toThrow(
        /refusing the redirect from https:\/\/127\.0\.0\.1:\d+\/v2\/x\/blobs\/y to plain http/,
      );
    } finally {
      await new Promise((r) => tls.close(r));
      await new Promise((r) => target.close(r));
    }
  });
});
