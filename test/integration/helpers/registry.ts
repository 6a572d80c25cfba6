// Debian's docker-registry (distribution 2.8) for tests: its own config
// (never the stock one, which listens on every interface), bound to
// 127.0.0.1 on a port the kernel picks, storage in a temp dir, access log
// kept so tests can count the requests it served. stop() ends it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RegistryOptions {
  dir: string;
  tls?: { certFile: string; keyFile: string };
  /** htpasswd file (bcrypt): Basic auth */
  htpasswd?: string;
  /** Bearer tokens from a token server */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export interface Registry {
  /** "127.0.0.1:port" */
  host: string;
  port: number;
  /** the registry's log (access log included) */
  log(): string;
  /** GET requests for /v2/<repo>/blobs/<digest> that it answered (any repo when repo is undefined) */
  blobGets(digest: string): number;
  /** how many requests matched the regular expression */
  requests(pattern: RegExp): string[];
  stop(): Promise<void>;
}

export function ensureRegistryTools(): void {
  for (const bin of ['docker-registry', 'skopeo', 'umoci', 'htpasswd', 'openssl']) {
    const found = (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && fs.existsSync(path.join(d, bin)));
    if (!found) throw new Error(`${bin} is missing: run scripts/install-deps.sh (docker-registry skopeo umoci apache2-utils)`);
  }
}

export function writeHtpasswd(file: string, user: string, password: string): void {
  execFileSync('htpasswd', ['-Bbc', file, user, password], { stdio: 'ignore' });
}

export async function startRegistry(opts: RegistryOptions): Promise<Registry> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(opts.dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    '  addr: 127.0.0.1:0',
    '  secret: tsrun-test-secret',
  ];
  if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.certFile}`, `    key: ${opts.tls.keyFile}`);
  if (opts.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: tsrun-test', `    path: ${opts.htpasswd}`);
  if (opts.token) {
    lines.push('auth:', '  token:', `    realm: ${opts.token.realm}`, `    service: ${opts.token.service}`, `    issuer: ${opts.token.issuer}`, `    rootcertbundle: ${opts.token.rootCertBundle}`);
  }
  const cfg = path.join(opts.dir, 'config.yml');
  fs.writeFileSync(cfg, `${lines.join('\n')}\n`);
  const logFile = path.join(opts.dir, 'registry.log');
  const fd = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited = false;
  child.on('exit', () => (exited = true));
  const log = (): string => fs.readFileSync(logFile, 'utf8');
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!exited) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 15_000;
  let port = 0;
  while (!port) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log());
    if (m) port = Number(m[1]);
    else if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start:\n${log().slice(-2000)}`);
    } else await new Promise((r) => setTimeout(r, 20));
  }
  const requests = (pattern: RegExp): string[] => log().split('\n').filter((l) => /"(GET|HEAD|PUT|POST|PATCH|DELETE) /.test(l) && pattern.test(l));
  return {
    host: `127.0.0.1:${port}`,
    port,
    log,
    requests,
    blobGets: (digest) => requests(new RegExp(`"GET /v2/[^ ]+/blobs/${digest.replace(':', ':')} HTTP`)).filter((l) => /" (200|206) /.test(l)).length,
    stop,
  };
}

export interface PushOptions {
  /** TLS: a directory holding ca.crt; undefined: plain http */
  certDir?: string;
  creds?: string;
  /** skopeo --format (v2s2 turns OCI into Docker media types) */
  format?: 'oci' | 'v2s2';
  all?: boolean;
}

/** skopeo copy oci:<layout>:<tag> docker://<dest> (asynchronous: token servers and proxies of the test must keep answering) */
export function push(layout: string, tag: string, dest: string, o: PushOptions = {}): Promise<void> {
  const args = ['copy', '--quiet', '--retry-times', '2'];
  if (o.certDir) args.push('--dest-cert-dir', o.certDir);
  else args.push('--dest-tls-verify=false');
  if (o.creds) args.push('--dest-creds', o.creds);
  if (o.format) args.push('--format', o.format);
  if (o.all) args.push('--all');
  args.push(`oci:${layout}:${tag}`, `docker://${dest}`);
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { timeout: 120_000 }, (err, _out, stderr) => (err ? reject(new Error(`skopeo ${args.join(' ')}: ${stderr || err.message}`)) : resolve()));
  });
}
