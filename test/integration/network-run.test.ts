// The acceptance of issue 14 through `tsrun container run`. Safety: every
// tsrun command runs inside a network namespace this file creates (nsenter
// --net, so the bind mounts pinning the containers' namespaces stay in the
// test's mount namespace): the bridges, addresses, iptables rules and
// published ports exist only there, and go with `ip netns del`.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, makeRootfs, testTempDir, uniqueId, waitFor } from '../helpers';
import { buildImage, tarDir, writeLayout } from './helpers/oci-image';

const run = promisify(execFile);
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

let ns: string;
let dir: string;
let stateRoot: string;
let imageRoot: string;

type Result = { code: number; stdout: string; stderr: string };

async function inNs(argv: string[], timeout = 60_000): Promise<Result> {
  try {
    const r = await run('nsenter', [`--net=/run/netns/${ns}`, ...argv], { encoding: 'utf8', timeout });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function tsrunArgv(args: string[]): string[] {
  return ['env', '-u', 'NODE_EXTRA_CA_CERTS', process.execPath, CLI_ENTRY, '--root', stateRoot, '--image-root', imageRoot, ...args];
}

const t = (args: string[]) => inNs(tsrunArgv(args));

async function ok(args: string[]): Promise<string> {
  const r = await t(args);
  if (r.code !== 0) throw new Error(`tsrun ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function listening(name: string, port: number): Promise<void> {
  await waitFor(`${name} listening on ${port}`, async () => (await t(['container', 'exec', name, 'netstat', '-ltn'])).stdout.includes(`:${port} `));
}

async function ipOf(name: string, network: string): Promise<string> {
  const doc = JSON.parse(await ok(['container', 'inspect', name])) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
  return doc[0]?.NetworkSettings.Networks[network]?.IPAddress ?? '';
}

async function connectFromNs(host: string, port: number): Promise<string> {
  return (await inNs(['sh', '-c', `busybox nc -w 3 ${host} ${port} </dev/null`])).stdout.trim();
}

async function rules(): Promise<string> {
  return (await inNs(['sh', '-c', 'iptables-save; iptables-save -t nat'])).stdout;
}

async function veths(): Promise<string[]> {
  return (await inNs(['ip', '-o', 'link', 'show', 'type', 'veth'])).stdout.split('\n').filter(Boolean);
}

const attachments = () => fs.readdirSync(path.join(imageRoot, 'networks', 'attachments')).filter((f) => f.endsWith('.json'));
const leases = (network: string) => {
  const d = path.join(imageRoot, 'networks', 'ipam', network);
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};

beforeAll(async () => {
  ns = uniqueId('netrun');
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  dir = testTempDir('netrun');
  stateRoot = path.join(dir, 'state');
  imageRoot = path.join(dir, 'images');
  const rootfs = path.join(dir, 'rootfs');
  makeRootfs(rootfs);
  const img = buildImage([tarDir(rootfs)], { runConfig: { Env: [PATH_ENV], Cmd: ['sh'] } });
  const layout = path.join(dir, 'layout');
  writeLayout(layout, [{ tag: 'busybox:net', descriptor: img.descriptor }], img.blobs);
  spawnSync('tar', ['-C', layout, '-cf', `${layout}.tar`, '.']);
  await ok(['image', 'load', '-q', '-i', `${layout}.tar`]);
}, 120_000);

afterAll(async () => {
  if (stateRoot) {
    const ids = (await t(['container', 'ls', '-a', '-q'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await t(['container', 'rm', '-f', ...ids]);
  }
  const pins = path.join(imageRoot ?? '', 'networks', 'netns');
  if (imageRoot && fs.existsSync(pins)) for (const f of fs.readdirSync(pins)) spawnSync('umount', ['-l', path.join(pins, f)]);
  if (ns) spawnSync('ip', ['netns', 'del', ns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('container run on networks', () => {
  it('members of a user-defined network reach each other by name; another network cannot; --internal routes nothing out', async () => {
    await ok(['network', 'create', '--subnet', '10.251.0.0/24', 'appnet']);
    await ok(['network', 'create', '--subnet', '10.252.0.0/24', 'othernet']);
    await ok(['container', 'run', '-d', '--name', 'srv', '--network', 'appnet', 'busybox:net', 'sh', '-c', 'while true; do echo pong | nc -l -p 7000; done']);
    await listening('srv', 7000);
    const srvIp = await ipOf('srv', 'appnet');
    expect(srvIp).toBe('10.251.0.2');
    expect(await ok(['container', 'run', '--rm', '--network', 'appnet', 'busybox:net', 'nc', '-w', '3', 'srv', '7000'])).toBe('pong\n');
    const outsider = await t(['container', 'run', '--rm', '--network', 'othernet', 'busybox:net', 'sh', '-c', `nc -w 2 ${srvIp} 7000; echo "rc=$?"`]);
    expect(outsider.stdout).not.toContain('pong');
    expect(outsider.stdout).toMatch(/rc=[1-9]/);

    await ok(['network', 'create', '--internal', '--subnet', '10.253.0.0/24', 'closednet']);
    await inNs(['sh', '-c', 'ip link add tsrt-out type dummy && ip addr add 10.254.0.1/24 dev tsrt-out && ip link set tsrt-out up']);
    const inner = await t(['container', 'run', '--rm', '--network', 'closednet', 'busybox:net', 'sh', '-c', 'ip route; ping -c 1 -W 1 10.254.0.1 >/dev/null 2>&1; echo "ping=$?"']);
    expect(inner.stdout).not.toContain('default');
    expect(inner.stdout).toContain('ping=1');

    await ok(['container', 'rm', '-f', 'srv']);
    await ok(['network', 'rm', 'appnet', 'othernet', 'closednet']);
    expect(await veths()).toEqual([]);
    expect(attachments()).toEqual([]);
  });

  it('-p 18080:80 reaches the server from the namespace; after rm the port and its rules are gone', async () => {
    await ok(['container', 'run', '-d', '--name', 'web', '-p', '18080:80', 'busybox:net', 'sh', '-c', 'while true; do echo web | nc -l -p 80; done']);
    await listening('web', 80);
    expect(await connectFromNs('127.0.0.1', 18080)).toBe('web');
    const inspect = JSON.parse(await ok(['container', 'inspect', 'web'])) as Array<{ NetworkSettings: { Networks: { bridge: { IPAddress: string } }; Ports: string[] } }>;
    expect(inspect[0]?.NetworkSettings.Networks.bridge.IPAddress).toMatch(/^172\.17\.0\.\d+$/);
    expect(inspect[0]?.NetworkSettings.Ports).toEqual(['0.0.0.0:18080->80/tcp']);
    // the same host port again: refused, nothing left of the second container
    const before = (await ok(['container', 'ls', '-a', '-q'])).split('\n').filter(Boolean);
    const taken = await t(['container', 'run', '--rm', '-p', '18080:81', 'busybox:net', 'true']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('Bind for 0.0.0.0:18080 failed: port is already allocated');
    expect((await ok(['container', 'ls', '-a', '-q'])).split('\n').filter(Boolean)).toEqual(before);
    expect(attachments()).toHaveLength(1);
    expect(await rules()).toContain('dport 18080');

    await ok(['container', 'rm', '-f', 'web']);
    expect(await rules()).not.toContain('dport 18080');
    expect(await connectFromNs('127.0.0.1', 18080)).toBe('');
    expect(leases('bridge')).toEqual([]);
  });

  it('--network none has only lo, up; --network host sees the namespace it runs in (and warns that -p is ignored)', async () => {
    const none = await ok(['container', 'run', '--rm', '--network', 'none', 'busybox:net', 'ip', '-o', 'link']);
    const links = none.trim().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    const names = (text: string) => text.trim().split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).sort();
    const mine = (await inNs(['ip', '-o', 'link'])).stdout;
    const host = await t(['container', 'run', '--rm', '--network', 'host', '-p', '18090:80', 'busybox:net', 'ip', '-o', 'link']);
    expect(host.code).toBe(0);
    expect(names(host.stdout)).toEqual(names(mine));
    expect(host.stderr).toContain('Published ports are discarded when using host network mode');
  });

  it('kill -9 of tsrun between attach and start, then rm -f: veth, lease and port rules released; the address is free again', async () => {
    await ok(['network', 'create', '--subnet', '10.249.0.0/24', 'crashnet']);
    const child = spawn('nsenter', [`--net=/run/netns/${ns}`, ...tsrunArgv(['container', 'run', '-d', '--name', 'crash', '--network', 'crashnet', '--ip', '10.249.0.9', '-p', '18081:80', 'busybox:net', 'sleep', '100'])], {
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.on('exit', r));
    // the attachment is complete once its record holds the CNI result: kill tsrun right then
    await waitFor(
      'the attach',
      () => attachments().some((f) => fs.readFileSync(path.join(imageRoot, 'networks', 'attachments', f), 'utf8').includes('"result"')),
      30_000,
      2,
    );
    process.kill(child.pid as number, 'SIGKILL');
    await exited;
    expect(leases('crashnet')).toEqual(['10.249.0.9']);
    expect(await veths()).toHaveLength(1);

    await ok(['container', 'rm', '-f', 'crash']);
    expect(await veths()).toEqual([]);
    expect(leases('crashnet')).toEqual([]);
    expect(attachments()).toEqual([]);
    const r = await rules();
    expect(r).not.toContain('dport 18081');
    expect(r).not.toContain('10.249.0.9');
    expect(fs.readdirSync(path.join(imageRoot, 'networks', 'netns'))).toEqual([]);
    // handed out again
    expect(await ok(['container', 'run', '--rm', '--network', 'crashnet', '--ip', '10.249.0.9', 'busybox:net', 'sh', '-c', 'ip -o -4 addr show eth0'])).toContain('10.249.0.9/24');
    await ok(['network', 'rm', 'crashnet']);
  });

  it('bad input: an unknown network, a malformed -p, --ip on the default network; nothing is left', async () => {
    const cases: Array<[string[], string]> = [
      [['--network', 'nosuchnet'], 'network nosuchnet not found'],
      [['-p', '80x:80'], '-p 80x:80: invalid host port'],
      [['-p', '80'], '-p 80: a host port is required'],
      [['--ip', '172.17.0.50'], '--ip: user specified IP address is supported on user defined networks only'],
      [['--dns', 'nameserver'], '--dns nameserver: not an IP address'],
      [['--add-host', 'nocolon'], '--add-host nocolon: invalid host name'],
    ];
    for (const [flags, message] of cases) {
      const r = await t(['container', 'run', '--rm', ...flags, 'busybox:net', 'true']);
      expect(r.code, flags.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(message);
    }
    expect((await ok(['container', 'ls', '-a', '-q'])).trim()).toBe('');
    expect(attachments()).toEqual([]);
    expect(await veths()).toEqual([]);
  });
});
