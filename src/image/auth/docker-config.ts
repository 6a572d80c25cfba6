// Credentials where Docker keeps them: $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json): "auths" (base64 user:password, or an identity
// token), "credHelpers" (per registry) and "credsStore" (for all), both run as
// docker-credential-<name> get|store|erase with Docker's JSON protocol.
// Docker Hub is keyed "https://index.docker.io/v1/", as Docker writes it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageError } from '../errors';
import { DOCKER_HUB } from '../reference';
import { canonicalHost } from '../registries-config';

export type Credentials =
  | { kind: 'password'; username: string; password: string }
  /** an OAuth2 refresh token from a token server (Docker's "identitytoken") */
  | { kind: 'identity-token'; username?: string; token: string };

const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HELPER_TIMEOUT_MS = 30_000;
const HELPER_OUTPUT_LIMIT = 1024 * 1024;

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [k: string]: unknown;
}

/** Where config.json is: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** The key Docker files a registry under. */
function configKey(registry: string): string {
  return canonicalHost(registry) === DOCKER_HUB ? DOCKER_HUB_KEY : registry;
}

/** "https://host:5000/v2/" -> "host:5000"; the Hub's URL forms -> docker.io */
function hostOfKey(key: string): string {
  const noScheme = key.replace(/^[a-z]+:\/\//i, '');
  return canonicalHost(noScheme.split('/')[0] ?? '');
}

export class DockerConfig {
  private constructor(
    readonly file: string,
    private doc: ConfigFile,
  ) {}

  static read(file: string = dockerConfigFile()): DockerConfig {
    let doc: ConfigFile = {};
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
      doc = parsed as ConfigFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ImageError(`${file}: ${(e as Error).message}`, { cause: e });
    }
    return new DockerConfig(file, doc);
  }

  /** The helper that holds this registry's credentials, if any. */
  helperFor(registry: string): string | undefined {
    const host = canonicalHost(registry);
    for (const [k, v] of Object.entries(this.doc.credHelpers ?? {})) if (hostOfKey(k) === host) return v;
    return this.doc.credsStore || undefined;
  }

  private authEntry(registry: string): [string, AuthEntry] | undefined {
    const host = canonicalHost(registry);
    for (const [k, v] of Object.entries(this.doc.auths ?? {})) if (hostOfKey(k) === host) return [k, v];
    return undefined;
  }

  /** Credentials for a registry, or undefined (anonymous). */
  async credentials(registry: string): Promise<Credentials | undefined> {
    const helper = this.helperFor(registry);
    if (helper) {
      const c = await runHelperGet(helper, configKey(registry));
      if (c) return c;
    }
    const e = this.authEntry(registry)?.[1];
    if (!e) return undefined;
    if (e.identitytoken) {
      // Docker keeps the user as "user:" in auth beside the token
      const user = e.username || (e.auth ? Buffer.from(e.auth, 'base64').toString('utf8').split(':')[0] : '');
      return { kind: 'identity-token', token: e.identitytoken, ...(user ? { username: user } : {}) };
    }
    if (e.auth) {
      const text = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i < 0) throw new ImageError(`${this.file}: auths[${JSON.stringify(configKey(registry))}].auth is not base64 of user:password`);
      return { kind: 'password', username: text.slice(0, i), password: text.slice(i + 1) };
    }
    if (e.username && e.password) return { kind: 'password', username: e.username, password: e.password };
    return undefined;
  }

  /** Save credentials (through the helper when one is configured). */
  async store(registry: string, c: Credentials): Promise<void> {
    const key = configKey(registry);
    const helper = this.helperFor(registry);
    const username = c.kind === 'password' ? c.username : (c.username ?? '<token>');
    const secret = c.kind === 'password' ? c.password : c.token;
    this.doc.auths ??= {};
    if (helper) {
      await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: c.kind === 'identity-token' ? '<token>' : username, Secret: secret }));
      // Docker keeps an empty entry so the registry shows as logged in
      this.doc.auths[key] = {};
    } else if (c.kind === 'identity-token') {
      this.doc.auths[key] = { auth: Buffer.from(`${username}:`).toString('base64'), identitytoken: c.token };
    } else {
      this.doc.auths[key] = { auth: Buffer.from(`${username}:${secret}`).toString('base64') };
    }
    // drop other spellings of the same registry
    for (const k of Object.keys(this.doc.auths)) if (k !== key && hostOfKey(k) === canonicalHost(registry)) delete this.doc.auths[k];
    this.write();
  }

  /** Forget a registry's credentials; false when there were none. */
  async erase(registry: string): Promise<boolean> {
    let found = false;
    const helper = this.helperFor(registry);
    if (helper) found = await runHelper(helper, 'erase', configKey(registry)).then(() => true, () => false);
    for (const k of Object.keys(this.doc.auths ?? {})) {
      if (hostOfKey(k) === canonicalHost(registry)) {
        delete this.doc.auths![k];
        found = true;
      }
    }
    if (found) this.write();
    return found;
  }

  private write(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.doc, null, '\t')}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}

async function runHelperGet(helper: string, serverUrl: string): Promise<Credentials | undefined> {
  let out: string;
  try {
    out = await runHelper(helper, 'get', serverUrl);
  } catch (e) {
    if (/credentials not found/i.test((e as Error).message)) return undefined;
    throw e;
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new ImageError(`docker-credential-${helper} get: output is not JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (!secret) return undefined;
  // Docker's convention: the user "<token>" means the secret is an identity token
  if (username === '<token>') return { kind: 'identity-token', token: secret };
  return { kind: 'password', username, password: secret };
}

/** Run docker-credential-<helper> <action> with input on stdin; its stdout. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) return Promise.reject(new ImageError(`invalid credential helper name ${JSON.stringify(helper)}`));
  const bin = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.length > HELPER_OUTPUT_LIMIT) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 4096)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ImageError(`credential helper ${bin}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new ImageError(`${bin} ${action}: ${(out || err).trim() || (signal ? `killed by ${signal}` : `exit status ${code}`)}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
