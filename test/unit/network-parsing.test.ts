// Pure parts of src/network: addresses and subnets, -p, --add-host, --dns,
// the /etc files, the conflist round trip, and the store's checks (a fake
// flock: the store's files live in a temp dir, no network is touched).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Native } from '../../src/native';
import { formatCidr, isHostAddress, overlaps, parseCidr, parseIpv4 } from '../../src/network/cidr';
import { buildConflist, specOf } from '../../src/network/conflist';
import { hostsContent, parseAddHost, parseDns, resolvConfContent, rewriteInPlace } from '../../src/network/etc-files';
import { parsePublish, sameHostSocket } from '../../src/network/ports';
import { NetworkStore } from '../../src/network/store';

describe('IPv4 subnets', () => {
  it('parses, formats and compares', () => {
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203);
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(parseIpv4('01.1.1.1')).toBeUndefined();
    const a = parseCidr('10.1.0.0/16', '--subnet');
    expect(formatCidr(a)).toBe('10.1.0.0/16');
    expect(overlaps(a, parseCidr('10.1.200.0/24', 'x'))).toBe(true);
    expect(overlaps(a, parseCidr('10.2.0.0/24', 'x'))).toBe(false);
    expect(isHostAddress(a, parseIpv4('10.1.0.0') as number)).toBe(false);
    expect(isHostAddress(a, parseIpv4('10.1.255.255') as number)).toBe(false);
    expect(isHostAddress(a, parseIpv4('10.1.0.1') as number)).toBe(true);
  });

  it('refuses what is not a usable subnet, naming the flag', () => {
    expect(() => parseCidr('10.1.0.1/16', '--subnet')).toThrow('--subnet: invalid subnet 10.1.0.1/16: host bits are set (did you mean 10.1.0.0/16?)');
    expect(() => parseCidr('10.1.0.0', '--subnet')).toThrow('--subnet: invalid subnet "10.1.0.0": expected an IPv4 CIDR');
    expect(() => parseCidr('10.1.0.0/33', '--subnet')).toThrow('expected an IPv4 CIDR');
    expect(() => parseCidr('10.1.0.0/31', '--subnet')).toThrow('too small');
  });
});

describe('-p', () => {
  it('takes [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]', () => {
    expect(parsePublish('8080:80')).toEqual({ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' });
    expect(parsePublish('127.0.0.1:53:5353/udp')).toEqual({ hostPort: 53, containerPort: 5353, protocol: 'udp', hostIP: '127.0.0.1' });
    expect(parsePublish('0.0.0.0:1:2/tcp')).toEqual({ hostPort: 1, containerPort: 2, protocol: 'tcp', hostIP: '' });
  });

  it('explains what is wrong', () => {
    const cases: Array<[string, string]> = [
      ['80', '-p 80: a host port is required'],
      ['x:80', '-p x:80: invalid host port "x"'],
      ['8080:0', '-p 8080:0: invalid container port "0"'],
      ['70000:80', 'invalid host port "70000"'],
      ['8080:80/sctp', '-p 8080:80/sctp: invalid protocol "sctp"'],
      ['1.2.3:8080:80', 'invalid host IP "1.2.3"'],
      ['[::1]:8080:80', 'IPv6 host addresses are not supported'],
      ['a:b:c:d', 'too many ":"'],
    ];
    for (const [spec, message] of cases) expect(() => parsePublish(spec), spec).toThrow(message);
  });

  it('knows when two mappings want the same host socket', () => {
    const any = parsePublish('8080:80');
    expect(sameHostSocket(any, parsePublish('127.0.0.1:8080:81'))).toBe(true);
    expect(sameHostSocket(any, parsePublish('8080:80/udp'))).toBe(false);
    expect(sameHostSocket(parsePublish('127.0.0.1:8080:80'), parsePublish('127.0.0.2:8080:80'))).toBe(false);
  });
});

describe('/etc files', () => {
  it('--add-host and --dns', () => {
    expect(parseAddHost('db:10.0.0.5', undefined)).toEqual({ name: 'db', ip: '10.0.0.5' });
    expect(parseAddHost('db=10.0.0.5', undefined)).toEqual({ name: 'db', ip: '10.0.0.5' });
    expect(parseAddHost('v6:[::1]', undefined)).toEqual({ name: 'v6', ip: '::1' });
    expect(parseAddHost('gw:host-gateway', '10.89.0.1')).toEqual({ name: 'gw', ip: '10.89.0.1' });
    expect(() => parseAddHost('db', undefined)).toThrow('--add-host db: invalid host name ""');
    expect(() => parseAddHost('db:notanip', undefined)).toThrow('--add-host db:notanip: invalid IP address "notanip"');
    expect(parseDns('1.1.1.1')).toBe('1.1.1.1');
    expect(() => parseDns('one')).toThrow('--dns one: not an IP address');
  });

  it('hosts: localhost, extra hosts, the container, its peers', () => {
    const text = hostsContent({
      hostname: 'web',
      ip: '10.89.0.2',
      extraHosts: [{ name: 'db', ip: '10.0.0.5' }],
      peers: [{ ip: '10.89.0.3', names: ['client', 'abc123'] }],
    });
    expect(text.split('\n')).toEqual(expect.arrayContaining(['127.0.0.1\tlocalhost', '10.0.0.5\tdb', '10.89.0.2\tweb', '10.89.0.3\tclient abc123']));
  });

  it("resolv.conf: Docker's rules", () => {
    const host = 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.com\noptions edns0\n';
    expect(resolvConfContent(host, [], false)).toBe('nameserver 192.0.2.1\nsearch example.com\noptions edns0\n');
    expect(resolvConfContent('nameserver 127.0.0.53\n', [], false)).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConfContent(host, ['1.1.1.1'], false)).toBe('nameserver 1.1.1.1\nsearch example.com\noptions edns0\n');
    expect(resolvConfContent(host, [], true)).toBe(host);
  });
});

describe('network store', () => {
  const dirs: string[] = [];
  const fakeNative = { flock: () => true } as unknown as Native;
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  function open(): NetworkStore {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-net-'));
    dirs.push(d);
    return NetworkStore.open(d, fakeNative);
  }

  it('a conflist reads back into the same network', () => {
    const s = open();
    const n = s.create({ name: 'web', subnet: '10.90.0.0/24', gateway: '10.90.0.254', internal: true });
    expect(specOf(buildConflist(n.spec), 'x')).toEqual(n.spec);
    expect(s.get('web').spec).toEqual(n.spec);
    expect(s.get(n.spec.id.slice(0, 12)).spec.name).toBe('web');
    expect(n.conflist.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(n.conflist.plugins[0]).toMatchObject({ isGateway: false, ipMasq: false, ipam: { routes: [] } });
  });

  it('has the default bridge network, and picks free default pools', () => {
    const s = open();
    expect(s.get('bridge').spec).toMatchObject({ bridge: 'tsrun0', nameResolution: false, internal: false });
    expect(formatCidr(s.get('bridge').spec.subnet)).toBe('172.17.0.0/16');
    const a = s.create({ name: 'a', internal: false });
    const b = s.create({ name: 'b', internal: false });
    expect(overlaps(a.spec.subnet, b.spec.subnet)).toBe(false);
    expect(a.spec.bridge).toMatch(/^tsrun-[0-9a-f]{9}$/);
    expect(a.spec.bridge.length).toBeLessThanOrEqual(15);
  });

  it('refuses overlaps and bad names, leaving no file', () => {
    const s = open();
    s.create({ name: 'a', subnet: '10.1.0.0/16', internal: false });
    const before = fs.readdirSync(s.dir).sort();
    expect(() => s.create({ name: 'b', subnet: '10.1.128.0/17', internal: false })).toThrow('Pool overlaps with other one on this address space');
    expect(() => s.create({ name: 'b', subnet: '172.17.5.0/24', internal: false })).toThrow('overlaps network bridge');
    expect(() => s.create({ name: 'none', internal: false })).toThrow('network name none is reserved');
    expect(() => s.create({ name: '-x', internal: false })).toThrow('invalid network name');
    expect(() => s.create({ name: 'b', gateway: '10.3.0.1', internal: false })).toThrow('--gateway needs --subnet');
    expect(() => s.create({ name: 'b', subnet: '10.3.0.0/24', gateway: '10.3.0.255', internal: false })).toThrow('is not a host address');
    expect(() => s.get('nope')).toThrow('network nope not found');
    expect(fs.readdirSync(s.dir).sort()).toEqual(before);
  });

  it('rewrites a file in place (a bind mount of it sees the change)', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-unit-net-'));
    dirs.push(d);
    const f = path.join(d, 'hosts');
    rewriteInPlace(f, 'a long first version\n');
    const ino = fs.statSync(f).ino;
    rewriteInPlace(f, 'short\n');
    expect(fs.readFileSync(f, 'utf8')).toBe('short\n');
    expect(fs.statSync(f).ino).toBe(ino);
  });
});
