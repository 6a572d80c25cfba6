// Registry settings: one JSON file (default /etc/tsrun/registries.json, or
// --registries-config FILE), and Docker's certs.d/<host:port>/ beside it:
//
//   {
//     "registries": {
//       "localhost:5000": { "insecure": true },
//       "registry.example.com": { "ca": "/etc/ssl/example-ca.pem", "mirrors": ["https://mirror.example.com"] },
//       "docker.io": { "mirrors": ["https://mirror.gcr.io"] },
//       "123456789012.dkr.ecr.eu-west-1.amazonaws.com": { "endpoint": "https://vpce.example:443" }
//     },
//     "stallTimeoutSeconds": 30,
//     "maxConcurrentDownloads": 3
//   }
//
// A missing file means no settings. Unknown fields are errors naming their
// JSON path (a misspelt "insecure" must not be silently ignored).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseWithSchema } from '../../oci-spec/validate';
import { ImageError } from './errors';
import { DOCKER_HUB } from './reference';

export const DEFAULT_REGISTRIES_CONFIG = '/etc/tsrun/registries.json';

const HostSettingsSchema = z
  .object({
    /** plain http allowed, and https without certificate verification */
    insecure: z.boolean().optional(),
    /** PEM files with CA certificates trusted for this registry (besides the system's) */
    ca: z.union([z.string(), z.array(z.string())]).optional(),
    /** tried in order for pulls before the registry itself: "https://host[:port][/path-prefix]" */
    mirrors: z.array(z.string()).optional(),
    /** where the registry's API is reached, when not at its name (credentials still go by the name) */
    endpoint: z.string().optional(),
  })
  .strict();

const RegistriesFileSchema = z
  .object({
    registries: z.record(z.string(), HostSettingsSchema).optional(),
    stallTimeoutSeconds: z.number().positive().max(3600).optional(),
    maxConcurrentDownloads: z.number().int().min(1).max(16).optional(),
  })
  .strict();

interface TlsSettings {
  /** extra trusted CAs (PEM) */
  ca: Buffer[];
  /** client certificate and key (certs.d/<host>/*.cert + *.key) */
  cert?: Buffer;
  key?: Buffer;
}

export interface Endpoint {
  /** "https://host:port" (no trailing slash) */
  origin: string;
  /** repository prefix a mirror serves under ("" for none) */
  pathPrefix: string;
  /** the host whose settings (TLS, insecure) apply */
  host: string;
  isMirror: boolean;
}

export interface RegistriesConfig {
  /** the file the settings came from (named in error messages) */
  file: string;
  stallTimeoutMs: number;
  maxConcurrentDownloads: number;
  isInsecure(host: string): boolean;
  tls(host: string): TlsSettings;
  /** where to pull from, in order: mirrors, then the registry (or its endpoint) */
  pullEndpoints(registry: string): Endpoint[];
  /** the registry itself (login, push) */
  endpoint(registry: string): Endpoint;
}

type HostSettings = z.infer<typeof HostSettingsSchema>;

/** "docker.io", "index.docker.io" and "registry-1.docker.io" are one registry. */
export function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return h === 'index.docker.io' || h === 'registry-1.docker.io' ? DOCKER_HUB : h;
}

/** Read the settings; a missing file gives the defaults. */
export function loadRegistriesConfig(file: string = DEFAULT_REGISTRIES_CONFIG): RegistriesConfig {
  let json: unknown = {};
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ImageError(`registries config ${file}: ${(e as Error).message}`, { cause: e });
  }
  let doc: z.infer<typeof RegistriesFileSchema>;
  try {
    doc = parseWithSchema(RegistriesFileSchema, json, file);
  } catch (e) {
    throw new ImageError((e as Error).message, { cause: e });
  }
  const hosts = new Map<string, HostSettings>();
  for (const [k, v] of Object.entries(doc.registries ?? {})) hosts.set(canonicalHost(k), v);
  for (const [k, v] of hosts) {
    for (const m of v.mirrors ?? []) parseEndpoint(m, file, `registries[${JSON.stringify(k)}].mirrors`);
    if (v.endpoint !== undefined) parseEndpoint(v.endpoint, file, `registries[${JSON.stringify(k)}].endpoint`);
  }
  const certsDir = path.join(path.dirname(file), 'certs.d');
  const tlsCache = new Map<string, TlsSettings>();
  // an "endpoint" host without settings of its own takes its registry's (CA, insecure)
  const endpointOwner = new Map<string, string>();
  for (const [k, v] of hosts) {
    if (v.endpoint !== undefined) endpointOwner.set(parseEndpoint(v.endpoint, file, 'endpoint').host.toLowerCase(), k);
  }

  const settings = (host: string): HostSettings => {
    const h = canonicalHost(host);
    return hosts.get(h) ?? hosts.get(endpointOwner.get(h) ?? '') ?? {};
  };
  const isInsecure = (host: string): boolean => settings(host).insecure === true;

  const tls = (host: string): TlsSettings => {
    const key = canonicalHost(host);
    let t = tlsCache.get(key);
    if (!t) {
      t = { ca: [] };
      const s = settings(host);
      for (const ca of typeof s.ca === 'string' ? [s.ca] : (s.ca ?? [])) {
        const p = path.resolve(path.dirname(file), ca);
        try {
          t.ca.push(fs.readFileSync(p));
        } catch (e) {
          throw new ImageError(`registries config ${file}: registries[${JSON.stringify(host)}].ca: ${p}: ${(e as Error).message}`);
        }
      }
      readCertsDir(path.join(certsDir, host), t);
      const owner = endpointOwner.get(key);
      if (owner !== undefined && !hosts.has(key)) readCertsDir(path.join(certsDir, owner), t);
      tlsCache.set(key, t);
    }
    return t;
  };

  const endpoint = (registry: string): Endpoint => {
    const s = settings(registry);
    if (s.endpoint !== undefined) return { ...parseEndpoint(s.endpoint, file, 'endpoint'), isMirror: false };
    const apiHost = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
    return { origin: `https://${apiHost}`, pathPrefix: '', host: registry, isMirror: false };
  };

  return {
    file,
    stallTimeoutMs: (doc.stallTimeoutSeconds ?? 30) * 1000,
    maxConcurrentDownloads: doc.maxConcurrentDownloads ?? 3,
    isInsecure,
    tls,
    endpoint,
    pullEndpoints: (registry) => [
      ...(settings(registry).mirrors ?? []).map((m) => ({ ...parseEndpoint(m, file, 'mirrors'), isMirror: true })),
      endpoint(registry),
    ],
  };
}

/** "https://host:port/prefix", "http://host", or a bare "host:port" (https). */
function parseEndpoint(text: string, file: string, where: string): Omit<Endpoint, 'isMirror'> {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `https://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new ImageError(`registries config ${file}: ${where}: ${JSON.stringify(text)} is not a URL or host[:port]`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ImageError(`registries config ${file}: ${where}: ${JSON.stringify(text)}: only http and https`);
  if (u.search || u.hash || u.username || u.password) throw new ImageError(`registries config ${file}: ${where}: ${JSON.stringify(text)}: no query, fragment or credentials allowed`);
  const prefix = u.pathname.replace(/^\/+|\/+$/g, '').replace(/^v2(\/|$)/, '');
  return { origin: `${u.protocol}//${u.host}`, pathPrefix: prefix, host: u.host };
}

/** Docker's layout: *.crt are CAs; a *.cert with the *.key of the same name is a client certificate. */
function readCertsDir(dir: string, t: TlsSettings): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    if (n.endsWith('.crt')) t.ca.push(fs.readFileSync(p));
    else if (n.endsWith('.cert')) {
      const key = path.join(dir, `${n.slice(0, -5)}.key`);
      if (!fs.existsSync(key)) throw new ImageError(`${p}: client certificate without its key ${key}`);
      t.cert = fs.readFileSync(p);
      t.key = fs.readFileSync(key);
    }
  }
}
