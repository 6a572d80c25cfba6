// Amazon ECR with the real @aws-sdk/client-ecr against a loopback endpoint
// answering GetAuthorizationToken (AWS JSON 1.1), whose token an htpasswd
// registry accepts as user AWS. Instance metadata is disabled and every
// endpoint is on 127.0.0.1: no traffic leaves the machine.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTempDir } from '../helpers';
import { errorMessage, imageCli } from './helpers/images';
import { buildImage, tarEntries, writeLayout } from './helpers/oci-image';
import { ensureRegistryTools, push, startRegistry, writeHtpasswd, type Registry } from './helpers/registry';
import { makeCa, type TestCa } from './helpers/tls';

const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const PASSWORD = 'ecr-token-password-0123456789';

interface EcrCall {
  target: string;
  authorization: string;
}

let dir: string;
let ca: TestCa;
let reg: Registry;
let ecr: http.Server;
let ecrOrigin: string;
const calls: EcrCall[] = [];
let answer: { kind: 'token'; expiresInS: number } | { kind: 'denied' } = { kind: 'token', expiresInS: 12 * 3600 };
let n = 0;

function cli(): ReturnType<typeof imageCli> {
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const c = imageCli(path.join(dir, `cli-${++n}`), {
    HOME: home,
    AWS_ACCESS_KEY_ID: 'AKIDTSRUNTEST',
    AWS_SECRET_ACCESS_KEY: 'tsrun-test-secret',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_ECR: ecrOrigin,
  });
  c.setConfig({ registries: { [ECR_HOST]: { endpoint: `https://${reg.host}`, ca: ca.certFile } } });
  return c;
}

beforeAll(async () => {
  ensureRegistryTools();
  dir = testTempDir('img-ecr');
  ca = makeCa(path.join(dir, 'ca'));
  const htpasswd = path.join(dir, 'htpasswd');
  writeHtpasswd(htpasswd, 'AWS', PASSWORD);
  reg = await startRegistry({ dir: path.join(dir, 'registry'), tls: ca.issue('registry'), htpasswd });
  ecr = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ target: String(req.headers['x-amz-target'] ?? ''), authorization: String(req.headers.authorization ?? '') });
      if (answer.kind === 'denied') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:GetAuthorizationToken' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${PASSWORD}`).toString('base64'),
              expiresAt: Date.now() / 1000 + answer.expiresInS,
              proxyEndpoint: `https://${ECR_HOST}`,
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((r) => ecr.listen(0, '127.0.0.1', r));
  ecrOrigin = `http://127.0.0.1:${(ecr.address() as AddressInfo).port}`;
  const img = buildImage([await tarEntries([{ name: 'ecr', data: 'from ecr' }])]);
  const layout = path.join(dir, 'layout');
  writeLayout(layout, [{ tag: 'x', descriptor: img.descriptor }], img.blobs);
  const certDir = path.join(dir, 'skopeo-certs');
  fs.mkdirSync(certDir);
  fs.copyFileSync(ca.certFile, path.join(certDir, 'ca.crt'));
  await push(layout, 'x', `${reg.host}/app:1`, { certDir, creds: `AWS:${PASSWORD}` });
}, 120_000);

afterAll(async () => {
  await reg?.stop();
  await new Promise((r) => ecr?.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('ECR', () => {
  it('gets a token from GetAuthorizationToken (SigV4, region from the host name) and pulls with it as AWS', async () => {
    answer = { kind: 'token', expiresInS: 12 * 3600 };
    const c = cli();
    const before = calls.length;
    const r = await c.run(['pull', '--progress', 'plain', `${ECR_HOST}/app:1`]);
    // nothing the SDK prints (its Node version notice) reaches stderr
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${ECR_HOST}/app:1`);
    const made = calls.slice(before);
    expect(made).toHaveLength(1);
    expect(made[0]?.target).toBe('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    expect(made[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTSRUNTEST\/\d{8}\/us-east-1\/ecr\/aws4_request/);
    // cached: the next pull asks ECR nothing
    expect((await c.run(['pull', '-q', `${ECR_HOST}/app:1`])).code).toBe(0);
    expect(calls.length - before).toBe(1);
  });

  it('fetches a fresh token once half the lifetime of the cached one has passed', async () => {
    answer = { kind: 'token', expiresInS: 4 };
    const c = cli();
    const before = calls.length;
    expect((await c.run(['pull', '-q', `${ECR_HOST}/app:1`])).code).toBe(0);
    expect(calls.length - before).toBe(1);
    // the token was issued during that pull: 2.5 s from now is past half its 4 s
    await new Promise((r) => setTimeout(r, 2500));
    const mid = calls.length;
    expect((await c.run(['pull', '-q', `${ECR_HOST}/app:1`])).code).toBe(0);
    expect(calls.length - mid).toBe(1);
  });

  it('reports AccessDeniedException by name', async () => {
    answer = { kind: 'denied' };
    const c = cli();
    const r = await c.run(['pull', `${ECR_HOST}/app:1`]);
    expect(r.code).toBe(1);
    expect(errorMessage(r.stderr)).toContain(`ECR ${ECR_HOST}: GetAuthorizationToken failed: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized`);
    answer = { kind: 'token', expiresInS: 12 * 3600 };
  });
});
