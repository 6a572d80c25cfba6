// Amazon ECR: registries named <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
// take Basic "AWS:<token>", the token coming from ECR's GetAuthorizationToken
// with the standard AWS credential chain. @aws-sdk/client-ecr (pinned) is
// loaded only here, only for such a registry, and nothing it prints reaches
// tsrun's stderr: its warnings are dropped and its logger is silent; its
// errors are reported by their AWS name. Tokens (valid 12 h) are cached in the
// image root and fetched anew once half their lifetime has passed.
import fs from 'node:fs';
import path from 'node:path';
import { log } from '../../log';
import { ImageError } from '../errors';
import type { Credentials } from './docker-config';

const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export interface EcrRegistry {
  account: string;
  region: string;
  fips: boolean;
}

export function parseEcrHost(host: string): EcrRegistry | undefined {
  const m = ECR_HOST.exec(host.toLowerCase());
  if (!m) return undefined;
  return { account: m[1] as string, region: m[3] as string, fips: m[2] !== undefined };
}

interface CachedToken {
  password: string;
  issuedAt: number;
  expiresAt: number;
}

function readCache(file: string): Record<string, CachedToken> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, CachedToken>;
  } catch {
    return {};
  }
}

function writeCache(file: string, cache: Record<string, CachedToken>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(cache), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Credentials for an ECR registry: from the cache while fresh, else from GetAuthorizationToken. */
export async function ecrCredentials(host: string, reg: EcrRegistry, cacheFile: string, now = Date.now()): Promise<Credentials> {
  const cache = readCache(cacheFile);
  const hit = cache[host];
  if (hit && now < hit.issuedAt + (hit.expiresAt - hit.issuedAt) / 2) {
    return { kind: 'password', username: 'AWS', password: hit.password };
  }
  const token = await fetchToken(host, reg);
  const fresh: CachedToken = { password: token.password, issuedAt: now, expiresAt: token.expiresAt };
  writeCache(cacheFile, { ...readCache(cacheFile), [host]: fresh });
  return { kind: 'password', username: 'AWS', password: token.password };
}

/** Forget a cached token (the registry refused it). */
export function dropEcrToken(host: string, cacheFile: string): void {
  const cache = readCache(cacheFile);
  if (!(host in cache)) return;
  delete cache[host];
  writeCache(cacheFile, cache);
}

const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, trace: () => undefined };

async function fetchToken(host: string, reg: EcrRegistry): Promise<{ password: string; expiresAt: number }> {
  // the SDK warns through process.emitWarning (Node version support notices): drop them while it runs
  const emitWarning = process.emitWarning;
  process.emitWarning = ((w: string | Error) => log.debug('aws-sdk warning', { warning: String(w) })) as typeof process.emitWarning;
  try {
    const sdk = await import('@aws-sdk/client-ecr');
    const client = new sdk.ECRClient({ region: reg.region, useFipsEndpoint: reg.fips, logger: silentLogger, maxAttempts: 3 });
    try {
      const out = await client.send(new sdk.GetAuthorizationTokenCommand({}));
      const data = out.authorizationData?.[0];
      if (!data?.authorizationToken) throw new ImageError(`ECR ${host}: GetAuthorizationToken returned no token`);
      const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i < 0) throw new ImageError(`ECR ${host}: the authorization token is not base64 of AWS:<password>`);
      const expiresAt = data.expiresAt instanceof Date ? data.expiresAt.getTime() : Date.now() + 12 * 3600_000;
      return { password: decoded.slice(i + 1), expiresAt };
    } finally {
      client.destroy();
    }
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
    throw new ImageError(`ECR ${host}: GetAuthorizationToken failed: ${err.name}: ${err.message}${status}`, { cause: e });
  } finally {
    process.emitWarning = emitWarning;
  }
}
