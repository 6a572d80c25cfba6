// Networks through CNI, below `container run`: the network commands and
// attach/detach of plain network namespaces. Safety: everything happens in
// network namespaces this file creates (`ip netns add tsrun-test-...`): tsrun
// runs inside the "host" one (bridges, iptables rules, published ports live
// there), and each "container" is a namespace of its own. Nothing touches the
// machine's network; all of it goes with `ip netns del`.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, PROJECT_ROOT, cliEnv, makeBundle, makeTestRoot, testTempDir, tsrun, uniqueId, waitFor } from '../helpers';

const run = promisify(execFile);
const NETWORK_API = path.join(PROJECT_ROOT, 'dist', 'src', 'network', 'index.js');

const namespaces: string[] = [];
let hostNs: string;
let dir: string;
let imageRoot: string;

function addNetns(label: string): string {
  const ns = uniqueId(label);
  const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
  namespaces.push(ns);
  return ns;
}

/**
 * A command inside a network namespace (nsenter --net: the mount namespace
 * stays the test's, so the bind mount pinning a container's namespace
 * outlives the command; `ip netns exec` would make a private one). Resolves
 * with its output and status (never throws on a non-zero exit).
 */
async function inNs(ns: string, argv: string[], timeout = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('nsenter', [`--net=/run/netns/${ns}`, ...argv], { encoding: 'utf8', timeout });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** tsrun in the test's host namespace */
function tsrunNet(args: string[]) {
  return inNs(hostNs, ['env', '-u', 'NODE_EXTRA_CA_CERTS', process.execPath, CLI_ENTRY, '--image-root', imageRoot, ...args]);
}

/** attach()/detach() of src/network, in the test's host namespace (what `container run`/`rm` call) */
const ATTACH_SCRIPT = `
const api = require(${JSON.stringify(NETWORK_API)});
const [op, imageRoot, id, arg] = process.argv.slice(1);
const store = api.openNetworkStore({ imageRoot, euid: 0, env: process.env });
try {
  if (op === 'attach') {
    const o = JSON.parse(arg);
    const r = api.attach(store, { containerId: id, netns: o.netns, mode: o.mode, name: o.name, hostname: o.name ?? id.slice(0, 12),
      ports: (o.ports ?? []).map(api.parsePublish), ip: o.ip, dns: [], extraHosts: [] });
    process.stdout.write(JSON.stringify({ ip: api.addressOf(r.record), files: r.files }) + '\\n');
    if (o.hang) setInterval(() => {}, 1000);
  } else {
    process.stdout.write(JSON.stringify({ detached: api.detach(store, id) }) + '\\n');
  }
} catch (e) {
  process.stderr.write(e.constructor.name + ': ' + e.message + '\\n');
  process.exitCode = 1;
}`;

/** setupContainerNetwork()/teardownContainerNetwork(): what `container run` and `rm` use */
const SETUP_SCRIPT = `
const api = require(${JSON.stringify(NETWORK_API)});
const [op, imageRoot, arg] = process.argv.slice(1);
const e = { imageRoot, euid: 0, env: process.env };
try {
  const r = op === 'setup' ? api.setupContainerNetwork(e, JSON.parse(arg)) : { removed: api.teardownContainerNetwork(e, arg), settings: api.containerNetworkSettings(e, arg) };
  process.stdout.write(JSON.stringify(r) + '\\n');
} catch (err) {
  process.stderr.write(err.constructor.name + ': ' + err.message + '\\n');
  process.exitCode = 1;
}`;

interface AttachOpts {
  netns: string;
  mode: { kind: 'network'; network: string } | { kind: 'none' } | { kind: 'host' };
  name?: string;
  ports?: string[];
  ip?: string;
  hang?: boolean;
}

async function attach(id: string, o: AttachOpts): Promise<{ ip: string; files: { hosts: string } }> {
  const r = await inNs(hostNs, [process.execPath, '-e', ATTACH_SCRIPT, 'attach', imageRoot, id, JSON.stringify(o)]);
  if (r.code !== 0) throw new Error(r.stderr.trim());
  return JSON.parse(r.stdout) as { ip: string; files: { hosts: string } };
}

async function attachFails(id: string, o: AttachOpts): Promise<string> {
  const r = await inNs(hostNs, [process.execPath, '-e', ATTACH_SCRIPT, 'attach', imageRoot, id, JSON.stringify(o)]);
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
}

async function detach(id: string): Promise<boolean> {
  const r = await inNs(hostNs, [process.execPath, '-e', ATTACH_SCRIPT, 'detach', imageRoot, id]);
  if (r.code !== 0) throw new Error(r.stderr.trim());
  return (JSON.parse(r.stdout) as { detached: boolean }).detached;
}

/** one TCP reply: `busybox nc -l` in a namespace answering `reply` to the first client */
function serve(ns: string, port: number, reply: string): ChildProcess {
  return spawn('nsenter', [`--net=/run/netns/${ns}`, 'busybox', 'sh', '-c', `echo ${reply} | busybox nc -l -p ${port}`], { stdio: 'ignore' });
}

async function listening(ns: string, port: number): Promise<void> {
  await waitFor(`a listener on ${port} in ${ns}`, async () => (await inNs(ns, ['busybox', 'netstat', '-ltn'])).stdout.includes(`:${port} `));
}

/** connect and read; '' when the connection failed */
async function connect(ns: string, host: string, port: number, opts: { hosts?: string } = {}): Promise<string> {
  const nc = `busybox nc -w 3 ${host} ${port} </dev/null`;
  // a hosts file is seen by the client through a private bind mount over /etc/hosts
  const argv = opts.hosts ? ['unshare', '-m', 'sh', '-c', `mount --bind ${opts.hosts} /etc/hosts && ${nc}`] : ['sh', '-c', nc];
  return (await inNs(ns, argv)).stdout.trim();
}

async function hostIptables(): Promise<string> {
  return (await inNs(hostNs, ['sh', '-c', 'iptables-save; iptables-save -t nat'])).stdout;
}

async function veths(): Promise<string[]> {
  const out = (await inNs(hostNs, ['ip', '-o', 'link', 'show', 'type', 'veth'])).stdout;
  return out.split('\n').filter(Boolean);
}

function leases(network: string): string[] {
  const d = path.join(imageRoot, 'networks', 'ipam', network);
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}

beforeAll(() => {
  hostNs = addNetns('nethost');
  spawnSync('ip', ['-n', hostNs, 'link', 'set', 'lo', 'up']);
  dir = testTempDir('net');
  imageRoot = path.join(dir, 'img');
});

afterAll(() => {
  // a failed test may leave a container's namespace pinned under the image root
  const pins = path.join(imageRoot ?? '', 'networks', 'netns');
  if (imageRoot && fs.existsSync(pins)) for (const f of fs.readdirSync(pins)) spawnSync('umount', ['-l', path.join(pins, f)]);
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('network commands', () => {
  it('create, ls, inspect, rm; the default bridge network is listed and cannot be removed', async () => {
    const c = await tsrunNet(['network', 'create', '--subnet', '10.231.0.0/24', 'cmdnet']);
    expect(c.stderr).toBe('');
    expect(c.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const ls = await tsrunNet(['network', 'ls']);
    expect(ls.stdout).toMatch(/\bbridge\s+bridge\s+local\s+172\.17\.0\.0\/16/);
    expect(ls.stdout).toMatch(/\bcmdnet\s+bridge\s+local\s+10\.231\.0\.0\/24/);
    const inspect = JSON.parse((await tsrunNet(['network', 'inspect', 'cmdnet'])).stdout) as Array<Record<string, unknown>>;
    expect(inspect[0]).toMatchObject({ Name: 'cmdnet', Driver: 'bridge', Internal: false, IPAM: { Config: [{ Subnet: '10.231.0.0/24', Gateway: '10.231.0.1' }] } });
    const conflist = JSON.parse(fs.readFileSync(inspect[0]?.ConfigFile as string, 'utf8')) as { plugins: Array<{ type: string }> };
    expect(conflist.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap', 'firewall']);
    const rmBridge = await tsrunNet(['network', 'rm', 'bridge']);
    expect(rmBridge.code).toBe(1);
    expect(rmBridge.stderr).toContain('bridge is a pre-defined network and cannot be removed');
    expect((await tsrunNet(['network', 'rm', 'cmdnet'])).stdout).toBe('cmdnet\n');
    expect((await tsrunNet(['network', 'ls', '-q'])).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    await tsrunNet(['network', 'create', '--subnet', '10.232.0.0/16', 'first']);
    const files = () => fs.readdirSync(path.join(imageRoot, 'networks')).sort();
    const before = files();
    const cases: Array<[string[], string]> = [
      [['--subnet', '10.232.5.0/24', 'second'], 'Pool overlaps with other one on this address space: --subnet 10.232.5.0/24 overlaps network first (10.232.0.0/16)'],
      [['--subnet', '10.233.0.1/24', 'second'], '--subnet: invalid subnet 10.233.0.1/24: host bits are set'],
      [['--subnet', '10.233.0.0/24', '--gateway', '10.234.0.1', 'second'], '--gateway: 10.234.0.1 is not a host address of subnet 10.233.0.0/24'],
      [['--subnet', 'nonsense', 'second'], '--subnet: invalid subnet'],
      [['first'], 'network with name first already exists'],
      [['host'], 'network name host is reserved'],
      [['bad/name'], 'invalid network name'],
    ];
    for (const [args, message] of cases) {
      const r = await tsrunNet(['network', 'create', ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(message);
    }
    expect(files()).toEqual(before);
    const unknown = await tsrunNet(['network', 'inspect', 'nosuchnet']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('network nosuchnet not found');
    expect((await tsrunNet(['network', 'prune'])).stdout).toBe('Deleted Networks:\nfirst\n');
  });
});

describe('attach and detach through the CNI plugins', () => {
  it('two members of a user-defined network talk by name; a third on another network cannot reach them', async () => {
    await tsrunNet(['network', 'create', '--subnet', '10.241.0.0/24', 'neta']);
    await tsrunNet(['network', 'create', '--subnet', '10.242.0.0/24', 'netb']);
    const [c1, c2, c3] = [addNetns('c1'), addNetns('c2'), addNetns('c3')];
    const [id1, id2, id3] = [uniqueId('a1'), uniqueId('a2'), uniqueId('a3')];
    const a1 = await attach(id1, { netns: `/run/netns/${c1}`, mode: { kind: 'network', network: 'neta' }, name: 'server' });
    const a2 = await attach(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'neta' }, name: 'client' });
    const a3 = await attach(id3, { netns: `/run/netns/${c3}`, mode: { kind: 'network', network: 'netb' }, name: 'outsider' });
    expect(a1.ip).toBe('10.241.0.2');
    expect(a2.ip).toBe('10.241.0.3');
    expect(a3.ip).toBe('10.242.0.2');
    // lo is up in each container, eth0 holds the address
    expect((await inNs(c1, ['ip', '-o', 'addr', 'show', 'lo'])).stdout).toContain('127.0.0.1/8');
    expect((await inNs(c1, ['ip', '-o', '-4', 'addr', 'show', 'eth0'])).stdout).toContain('10.241.0.2/24');
    // the first member's hosts file was rewritten in place when the second joined
    expect(fs.readFileSync(a1.files.hosts, 'utf8')).toMatch(/^10\.241\.0\.3\tclient /m);
    expect(fs.readFileSync(a2.files.hosts, 'utf8')).toMatch(/^10\.241\.0\.2\tserver /m);
    expect(fs.readFileSync(a3.files.hosts, 'utf8')).not.toContain('server');

    const server = serve(c1, 7000, 'pong');
    try {
      await listening(c1, 7000);
      expect(await connect(c2, 'server', 7000, { hosts: a2.files.hosts })).toBe('pong');
    } finally {
      server.kill();
    }
    const again = serve(c1, 7000, 'pong');
    try {
      await listening(c1, 7000);
      // routed through the host namespace, then dropped by the isolation rules
      expect(await connect(c3, '10.241.0.2', 7000)).toBe('');
      expect(await hostIptables()).toMatch(/-A TSRUN-ISOLATION-2 -o tsrun-[0-9a-f]{9} -j DROP/);
    } finally {
      again.kill();
    }

    for (const id of [id1, id2, id3]) expect(await detach(id)).toBe(true);
    expect(await detach(id1)).toBe(false);
    expect(await veths()).toEqual([]);
    expect(leases('neta')).toEqual([]);
    expect(fs.readFileSync(path.join(imageRoot, 'networks', 'attachments', '..', 'neta.conflist'), 'utf8')).toContain('tsrun-');
    const rm = await tsrunNet(['network', 'rm', 'neta', 'netb']);
    expect(rm.stderr).toBe('');
    expect((await inNs(hostNs, ['ip', '-o', 'link', 'show', 'type', 'bridge'])).stdout).not.toContain('tsrun-');
  });

  it('an --internal network routes nothing out of its bridge', async () => {
    await tsrunNet(['network', 'create', '--internal', '--subnet', '10.243.0.0/24', 'inner']);
    // an address of the host namespace outside the network
    await inNs(hostNs, ['sh', '-c', 'ip link add tsrt-out type dummy && ip addr add 10.244.0.1/24 dev tsrt-out && ip link set tsrt-out up']);
    const [c1, c2] = [addNetns('i1'), addNetns('i2')];
    const [id1, id2] = [uniqueId('i1'), uniqueId('i2')];
    const a1 = await attach(id1, { netns: `/run/netns/${c1}`, mode: { kind: 'network', network: 'inner' }, name: 'i1' });
    await attach(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'inner' }, name: 'i2' });
    // no route out, no gateway address on the bridge
    expect((await inNs(c2, ['ip', 'route'])).stdout).not.toContain('default');
    const out = await inNs(c2, ['busybox', 'ping', '-c', '1', '-W', '1', '10.244.0.1']);
    expect(out.code).not.toBe(0);
    expect((await inNs(hostNs, ['busybox', 'ping', '-c', '1', '-W', '1', a1.ip])).code).not.toBe(0);
    // the members reach each other
    const server = serve(c1, 7001, 'inside');
    try {
      await listening(c1, 7001);
      expect(await connect(c2, a1.ip, 7001)).toBe('inside');
    } finally {
      server.kill();
    }
    await detach(id1);
    await detach(id2);
    expect((await tsrunNet(['network', 'rm', 'inner'])).code).toBe(0);
    expect(await hostIptables()).not.toMatch(/TSRUN-ISOLATION-1 .*DROP/);
  });

  it('publishes a port through portmap; the rules go with the detach', async () => {
    await tsrunNet(['network', 'create', '--subnet', '10.245.0.0/24', 'pubnet']);
    const c1 = addNetns('p1');
    const id = uniqueId('p1');
    const hostPort = 18080;
    await attach(id, { netns: `/run/netns/${c1}`, mode: { kind: 'network', network: 'pubnet' }, ports: [`${hostPort}:80`] });
    const server = serve(c1, 80, 'published');
    try {
      await listening(c1, 80);
      expect(await connect(hostNs, '127.0.0.1', hostPort)).toBe('published');
    } finally {
      server.kill();
    }
    // a second container cannot take the same host port: nothing of it is left
    const c2 = addNetns('p2');
    const id2 = uniqueId('p2');
    const vethsBefore = await veths();
    expect(await attachFails(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'pubnet' }, ports: [`${hostPort}:81`] })).toContain(
      `Bind for 0.0.0.0:${hostPort} failed: port is already allocated`,
    );
    expect(await veths()).toEqual(vethsBefore);
    expect(fs.existsSync(path.join(imageRoot, 'networks', 'attachments', `${id2}.json`))).toBe(false);
    expect(await attachFails(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'nosuchnet' } })).toContain('network nosuchnet not found');
    expect(await attachFails(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'pubnet' }, ports: ['80'] })).toContain(
      '-p 80: a host port is required',
    );

    expect(await hostIptables()).toContain(`dport ${hostPort}`);
    await detach(id);
    const rules = await hostIptables();
    expect(rules).not.toContain(`dport ${hostPort}`);
    expect(rules).not.toContain(id);
    const again = serve(c1, 80, 'gone');
    try {
      await listening(c1, 80);
      expect(await connect(hostNs, '127.0.0.1', hostPort)).toBe('');
    } finally {
      again.kill();
    }
    expect((await tsrunNet(['network', 'rm', 'pubnet'])).code).toBe(0);
  });

  it('after kill -9 between attach and start, detach releases the veth, the lease and the port rules', async () => {
    await tsrunNet(['network', 'create', '--subnet', '10.246.0.0/24', 'crashnet']);
    const c1 = addNetns('k1');
    const id = uniqueId('k1');
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${hostNs}`, process.execPath, '-e', ATTACH_SCRIPT, 'attach', imageRoot, id,
        JSON.stringify({ netns: `/run/netns/${c1}`, mode: { kind: 'network', network: 'crashnet' }, ports: ['18081:80'], ip: '10.246.0.9', hang: true })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('the attach to finish', () => out.includes('\n'));
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(leases('crashnet')).toEqual(['10.246.0.9']);
    expect(await veths()).toHaveLength(1);
    expect(await hostIptables()).toContain('dport 18081');

    expect(await detach(id)).toBe(true);
    expect(await veths()).toEqual([]);
    expect(leases('crashnet')).toEqual([]);
    const rules = await hostIptables();
    expect(rules).not.toContain('dport 18081');
    expect(rules).not.toContain(id);
    // the address can be handed out again
    const c2 = addNetns('k2');
    const id2 = uniqueId('k2');
    expect((await attach(id2, { netns: `/run/netns/${c2}`, mode: { kind: 'network', network: 'crashnet' }, ip: '10.246.0.9' })).ip).toBe('10.246.0.9');
    await detach(id2);
    expect((await tsrunNet(['network', 'rm', 'crashnet'])).code).toBe(0);
  });

  it('--network none brings up only lo; host adds nothing to the namespace', async () => {
    const c1 = addNetns('n1');
    const id = uniqueId('n1');
    await attach(id, { netns: `/run/netns/${c1}`, mode: { kind: 'none' } });
    const links = (await inNs(c1, ['ip', '-o', 'link'])).stdout.trim().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(await detach(id)).toBe(true);
    const hostLinksBefore = (await inNs(hostNs, ['ip', '-o', 'link'])).stdout;
    const idh = uniqueId('h1');
    await attach(idh, { netns: `/run/netns/${hostNs}`, mode: { kind: 'host' } });
    expect((await inNs(hostNs, ['ip', '-o', 'link'])).stdout).toBe(hostLinksBefore);
    expect(await detach(idh)).toBe(true);
  });
});

describe('a runc-style tsrun container joining the namespace tsrun made for it', () => {
  it('serves through a published port, sees its /etc files, and leaves nothing after delete', async () => {
    await tsrunNet(['network', 'create', '--subnet', '10.247.0.0/24', 'webnet']);
    const id = uniqueId('web');
    const req = { containerId: id, name: 'web', network: 'webnet', publish: ['18082:80'], dns: ['192.0.2.53'], addHosts: ['db:10.0.0.5', 'gw:host-gateway'] };
    const setup = await inNs(hostNs, [process.execPath, '-e', SETUP_SCRIPT, 'setup', imageRoot, JSON.stringify(req)]);
    expect(setup.stderr).toBe('');
    const net = JSON.parse(setup.stdout) as { netnsPath: string; hostname: string; address: string; mounts: object[] };
    expect(net.address).toBe('10.247.0.2');
    expect(net.hostname).toBe(id.slice(0, 12));
    const root = makeTestRoot('netc');
    const bundle = makeBundle((spec) => {
      spec.process.args = ['sh', '-c', 'echo from-container | nc -l -p 80; sleep 30'];
      spec.hostname = net.hostname;
      spec.mounts.push(...(net.mounts as typeof spec.mounts));
      spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: net.netnsPath } : n));
      return spec;
    });
    try {
      expect((await tsrun(['--root', root.root, 'run', '--detach', '--bundle', bundle.dir, id], { viaFiles: true })).code).toBe(0);
      const etc = await tsrun(['--root', root.root, 'exec', id, 'cat', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname']);
      expect(etc.stdout).toMatch(/^10\.0\.0\.5\tdb$/m);
      expect(etc.stdout).toMatch(/^10\.247\.0\.1\tgw$/m);
      expect(etc.stdout).toMatch(new RegExp(`^10\\.247\\.0\\.2\\t${net.hostname}$`, 'm'));
      expect(etc.stdout).toContain('nameserver 192.0.2.53\n');
      const ip = await tsrun(['--root', root.root, 'exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
      expect(ip.stdout).toContain('10.247.0.2/24');
      await waitFor('the server in the container', async () => (await tsrun(['--root', root.root, 'exec', id, 'netstat', '-ltn'])).stdout.includes(':80 '));
      expect(await connect(hostNs, '127.0.0.1', 18082)).toBe('from-container');
    } finally {
      await tsrun(['--root', root.root, 'delete', '--force', id], { env: cliEnv() });
      bundle.cleanup();
      root.cleanup();
    }
    const down = await inNs(hostNs, [process.execPath, '-e', SETUP_SCRIPT, 'teardown', imageRoot, id]);
    expect(JSON.parse(down.stdout)).toEqual({ removed: true, settings: { Networks: {} } });
    expect(fs.existsSync(net.netnsPath)).toBe(false);
    expect(leases('webnet')).toEqual([]);
    expect(await veths()).toEqual([]);
    expect(await hostIptables()).not.toContain('dport 18082');
    expect((await tsrunNet(['network', 'rm', 'webnet'])).code).toBe(0);
  });
});
