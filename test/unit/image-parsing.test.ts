// Pure parts of the image code: WWW-Authenticate challenges (RFC 7235),
// references (Docker's rules), platforms, digests and chain ids, PAX records,
// layer entry classification, token lifetimes, manifests, registries.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../src/image/auth/challenge';
import { parseEcrHost } from '../../src/image/auth/ecr';
import { renewTime } from '../../src/image/auth/token';
import { chainIds, digestOf, parseDigest } from '../../src/image/digest';
import { parseManifest } from '../../src/image/manifest';
import { chooseManifest, normalizePlatform, parsePlatform } from '../../src/image/platform';
import { humanSize, progressSink } from '../../src/image/progress';
import { familiarName, parseReference, storeKey } from '../../src/image/reference';
import { loadRegistriesConfig } from '../../src/image/registries-config';
import { classifyEntry, EntryRefused, normalizeEntryPath } from '../../src/image/unpack/entry';
import { parsePax, parsePaxTime } from '../../src/image/unpack/pax';
import type { TarHeader } from '../../src/image/unpack/tar';

describe('WWW-Authenticate (RFC 7235)', () => {
  it('reads several challenges, quoted commas and escapes, any parameter order', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
    expect(parseChallenges('Basic realm="a, b", Bearer scope="x" , service=svc,realm="r\\"q"')).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { scope: 'x', service: 'svc', realm: 'r"q' } },
    ]);
    expect(parseChallenges(['Negotiate abc==, Basic realm=x', 'NTLM'])).toEqual([
      { scheme: 'negotiate', params: {}, token68: 'abc==' },
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'ntlm', params: {} },
    ]);
    expect(parseChallenges('BASIC REALM = "x"')).toEqual([{ scheme: 'basic', params: { realm: 'x' } }]);
    expect(parseChallenges(', ,Basic')).toEqual([{ scheme: 'basic', params: {} }]);
    expect(parseChallenges('Bearer realm="unterminated')).toEqual([{ scheme: 'bearer', params: {} }]);
  });
});

describe('references', () => {
  it('follows Docker: library/, docker.io, registries with dots, ports or localhost, tags and digests', () => {
    expect(parseReference('busybox')).toEqual({ registry: 'docker.io', repository: 'library/busybox', tag: 'latest' });
    expect(parseReference('user/app:1.2')).toEqual({ registry: 'docker.io', repository: 'user/app', tag: '1.2' });
    expect(parseReference('index.docker.io/library/alpine')).toMatchObject({ registry: 'docker.io', repository: 'library/alpine' });
    expect(parseReference('localhost/x')).toMatchObject({ registry: 'localhost', repository: 'x', tag: 'latest' });
    expect(parseReference('127.0.0.1:5000/a/b:c')).toEqual({ registry: '127.0.0.1:5000', repository: 'a/b', tag: 'c' });
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`quay.io/x@${d}`)).toEqual({ registry: 'quay.io', repository: 'x', digest: d });
    expect(parseReference(`x:1@${d}`)).toMatchObject({ tag: '1', digest: d });
    expect(familiarName(parseReference('busybox'))).toBe('busybox');
    expect(storeKey(parseReference('busybox'))).toBe('docker.io/library/busybox:latest');
    for (const bad of ['', 'UPPER', 'a/B', 'x:', 'x@sha256:abc', 'a//b', 'x:-tag', `h:1/${'a'.repeat(300)}`]) {
      expect(() => parseReference(bad), bad).toThrow(/invalid reference format/);
    }
  });

  it('validates digests before they become paths and computes chain ids', () => {
    expect(() => parseDigest('sha256:../../etc', 'x')).toThrow(/invalid digest/);
    expect(() => parseDigest(`sha256:${'A'.repeat(64)}`, 'x')).toThrow(/invalid digest/);
    expect(() => parseDigest(`md5:${'a'.repeat(32)}`, 'x')).toThrow(/invalid digest/);
    const a = digestOf('a');
    const b = digestOf('b');
    expect(chainIds([a, b])).toEqual([a, digestOf(`${a} ${b}`)]);
  });
});

describe('platforms', () => {
  const entry = (architecture: string, variant?: string, os = 'linux') => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: digestOf(`${os}/${architecture}/${variant}`),
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });

  it('normalises aliases and default variants', () => {
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/arm64/8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('Linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/armhf')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(normalizePlatform({ os: 'linux', architecture: 'arm' })).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(() => parsePlatform('linux')).toThrow(/--platform: expected os\/arch/);
  });

  it('prefers the exact variant, falls back to compatible ones, skips attestations, lists what exists', () => {
    const list = [entry('unknown', undefined, 'unknown'), entry('amd64'), entry('arm64'), entry('arm', 'v6'), entry('arm', 'v7')];
    expect(chooseManifest(list, parsePlatform('linux/arm64/v8'), 'x').platform?.architecture).toBe('arm64');
    expect(chooseManifest(list, parsePlatform('linux/arm/v7'), 'x').platform?.variant).toBe('v7');
    expect(chooseManifest([entry('arm', 'v6')], parsePlatform('linux/arm/v7'), 'x').platform?.variant).toBe('v6');
    expect(() => chooseManifest([entry('arm', 'v7')], parsePlatform('linux/arm/v6'), 'img')).toThrow('img: no image for platform linux/arm/v6; it has: linux/arm/v7');
    expect(() => chooseManifest(list, parsePlatform('linux/s390x'), 'img')).toThrow('it has: linux/amd64, linux/arm64/v8, linux/arm/v6, linux/arm/v7');
  });
});

describe('manifests', () => {
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf('c'), size: 1 };
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf('l'), size: 1 };

  it('classifies the four types and refuses schema 1 and artifacts by name', () => {
    const m = (doc: unknown, ct?: string) => parseManifest(Buffer.from(JSON.stringify(doc)), ct, 'm');
    expect(m({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }).kind).toBe('manifest');
    expect(m({ schemaVersion: 2, config, layers: [] }, 'application/vnd.docker.distribution.manifest.v2+json').kind).toBe('manifest');
    expect(m({ schemaVersion: 2, manifests: [] }, 'application/vnd.docker.distribution.manifest.list.v2+json').kind).toBe('index');
    expect(() => m({ schemaVersion: 1, name: 'x', fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws')).toThrow(/schema 1 .* is not supported/);
    expect(() => m({ schemaVersion: 2, artifactType: 'application/vnd.cncf.helm.chart', config: { ...config, mediaType: 'application/vnd.cncf.helm.config.v1+json' }, layers: [] })).toThrow(
      /not a container image but an artifact of type "application\/vnd.cncf.helm.chart"/,
    );
    expect(() => m({ schemaVersion: 2, config, layers: [{ ...layer, mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' }] })).toThrow(/foreign/);
    expect(() => m({ schemaVersion: 2, config, layers: [{ ...layer, digest: 'sha256:nothex' }] })).toThrow(/layers\[0\]\.digest/);
  });
});

describe('layer entries', () => {
  const h = (over: Partial<TarHeader>): TarHeader => ({ name: '', type: 'file', typeflag: '0', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 1e9, linkname: null, devmajor: 0, devminor: 0, ...over });

  it('normalises names and refuses escapes', () => {
    expect(normalizeEntryPath('./a//b/./c/')).toBe('a/b/c');
    expect(normalizeEntryPath('./')).toBe('');
    for (const [name, why] of [
      ['../x', /"\.\." in its name/],
      ['a/../../x', /"\.\." in its name/],
      ['/etc/passwd', /absolute name/],
      ['a\0b', /NUL byte/],
      [`${'x'.repeat(256)}`, /component longer than 255/],
    ] as const) {
      expect(() => normalizeEntryPath(name)).toThrow(why);
      expect(() => normalizeEntryPath(name)).toThrow(EntryRefused);
    }
  });

  it('turns OCI whiteouts into overlay ones and keeps metadata (PAX times, ids, xattrs; overlay xattrs dropped)', () => {
    expect(classifyEntry('d/.wh.f', h({}), undefined)).toMatchObject({ kind: 'whiteout', path: 'd/f' });
    expect(classifyEntry('d/.wh..wh..opq', h({}), undefined)).toEqual({ kind: 'opaque', dir: 'd' });
    expect(classifyEntry('.wh..wh.plnk/1.2', h({}), undefined)).toMatchObject({ kind: 'skip' });
    expect(() => classifyEntry('d/.wh..wh.x', h({}), undefined)).toThrow(/unknown whiteout metadata/);
    expect(() => classifyEntry('.wh.', h({}), undefined)).toThrow(/invalid name ""/);
    const pax = new Map([
      ['mtime', Buffer.from('1700000000.5')],
      ['uid', Buffer.from('100000')],
      ['SCHILY.xattr.security.capability', Buffer.from([1, 0, 0, 2, 0xff])],
      ['SCHILY.xattr.trusted.overlay.opaque', Buffer.from('y')],
      ['LIBARCHIVE.xattr.user.note', Buffer.from(Buffer.from('hi').toString('base64'))],
    ]);
    const a = classifyEntry('f', h({ mode: 0o104755 }), pax);
    expect(a).toMatchObject({ kind: 'file', meta: { uid: 100000, mode: 0o4755, mtime: 1700000000, mtimeNs: 500000000 } });
    expect(a.kind === 'file' && a.meta.xattrs).toEqual([
      ['security.capability', Buffer.from([1, 0, 0, 2, 0xff])],
      ['user.note', Buffer.from('hi')],
    ]);
    expect(() => classifyEntry('l', h({ type: 'link', linkname: '../../etc/passwd' }), undefined)).toThrow(/hard link target/);
    expect(() => classifyEntry('', h({ type: 'file' }), undefined)).toThrow(/root must be a directory/);
    expect(() => classifyEntry('x', h({ type: null, typeflag: 'S' }), undefined)).toThrow(/unsupported tar entry type "S"/);
  });

  it('parses PAX records from raw bytes with limits', () => {
    const rec = (k: string, v: string | Buffer) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len++;
      return Buffer.concat([Buffer.from(String(len)), body]);
    };
    const recs = parsePax(Buffer.concat([rec('path', 'a/b'), rec('SCHILY.xattr.x', Buffer.from([0, 0xff]))]));
    expect(recs.get('path')?.toString()).toBe('a/b');
    expect(recs.get('SCHILY.xattr.x')).toEqual(Buffer.from([0, 0xff]));
    expect(() => parsePax(Buffer.from('99 path=x\n'))).toThrow(/malformed PAX record/);
    expect(() => parsePax(Buffer.alloc(2 * 1024 * 1024, 0x31))).toThrow(/exceeds the 1048576-byte limit/);
    expect(parsePaxTime(Buffer.from('-1.25'))).toEqual({ s: -2, ns: 750000000 });
  });
});

describe('tokens, ECR hosts, progress, settings', () => {
  it('renews tokens before they expire', () => {
    expect(renewTime(1000, 60)).toBe(1000 + 54_000);
    expect(renewTime(1000, 300)).toBe(1000 + 270_000);
    expect(renewTime(1000, 6)).toBe(1000 + 1000);
    expect(renewTime(1000, 2)).toBe(1000);
  });

  it('recognises ECR registries (FIPS and China too)', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({ account: '123456789012', region: 'eu-west-1', fips: false });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com')).toMatchObject({ fips: true });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toMatchObject({ region: 'cn-north-1' });
    expect(parseEcrHost('evil.com/123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBeUndefined();
    expect(parseEcrHost('docker.io')).toBeUndefined();
  });

  it('prints sizes and plain progress lines as docker pull does', () => {
    expect([humanSize(12), humanSize(1234), humanSize(52_428_800)]).toEqual(['12B', '1.23kB', '52.4MB']);
    let out = '';
    const p = progressSink('plain', (s) => (out += s));
    p.event({ type: 'start', tagOrDigest: 'latest', repository: 'busybox' });
    p.event({ type: 'layer', id: 'abc', status: 'Downloading', current: 1, total: 10 });
    p.event({ type: 'layer', id: 'abc', status: 'Downloading', current: 5, total: 10 });
    p.event({ type: 'layer', id: 'abc', status: 'Pull complete' });
    expect(out).toBe('latest: Pulling from busybox\nabc: Downloading\nabc: Pull complete\n');
  });

  it('registries.json: unknown fields are errors naming their path; endpoints inherit their registry CA', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-test-regcfg-'));
    try {
      const f = path.join(dir, 'registries.json');
      fs.writeFileSync(f, JSON.stringify({ registries: { 'r.example': { insecur: true } } }));
      expect(() => loadRegistriesConfig(f)).toThrow(/registries\["r.example"\]: unexpected field "insecur"/);
      fs.writeFileSync(path.join(dir, 'ca.pem'), 'PEM');
      fs.writeFileSync(f, JSON.stringify({ registries: { 'index.docker.io': { mirrors: ['http://127.0.0.1:5000/hub'] }, 'r.example': { endpoint: 'https://10.0.0.1:443', ca: 'ca.pem' } } }));
      const c = loadRegistriesConfig(f);
      expect(c.pullEndpoints('docker.io').map((e) => [e.origin, e.pathPrefix, e.isMirror])).toEqual([
        ['http://127.0.0.1:5000', 'hub', true],
        ['https://registry-1.docker.io', '', false],
      ]);
      expect(c.tls('10.0.0.1').ca.map(String)).toEqual(['PEM']);
      expect(loadRegistriesConfig(path.join(dir, 'missing.json')).maxConcurrentDownloads).toBe(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
