import { describe, expect, it } from 'vitest';
import { buildContainerConfig, capabilities, mergeEnv, processArgs } from '../../src/container/image-run/config';
import { parseEnvFile, parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../../src/container/image-run/mount-specs';
import { resolveUser } from '../../src/container/image-run/user';
import type { ContainerFlags } from '../../src/container/image-run/types';
import { defaultSpec } from '../../src/container/default-spec';

const PASSWD = 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1001::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1001:\nwheel:x:10:app,other\nnogroup:x:65534:\n';

const flags = (o: Partial<ContainerFlags> = {}): ContainerFlags => ({
  env: [],
  volumes: [],
  resources: {},
  readOnly: false,
  capAdd: [],
  capDrop: [],
  noNewPrivileges: false,
  network: 'none',
  publish: [],
  dns: [],
  addHosts: [],
  tty: false,
  interactive: false,
  ...o,
});

describe('Docker precedence of Entrypoint, Cmd and the command', () => {
  it('combines them as docker run does', () => {
    const image = { Entrypoint: ['/ep'], Cmd: ['default'] };
    expect(processArgs(image, [], undefined)).toEqual(['/ep', 'default']);
    expect(processArgs(image, ['x', 'y'], undefined)).toEqual(['/ep', 'x', 'y']);
    expect(processArgs(image, [], '/other')).toEqual(['/other']);
    expect(processArgs(image, ['a'], '')).toEqual(['a']);
    expect(() => processArgs({}, [], undefined)).toThrow(/no command specified/);
  });

  it('env: later lists win by name, first appearance keeps its place', () => {
    expect(mergeEnv(['PATH=/a', 'X=1'], ['X=2', 'Y=3'], ['PATH=/b'])).toEqual(['PATH=/b', 'X=2', 'Y=3']);
  });

  it('capabilities: drop, then add, ALL both ways', () => {
    expect(capabilities(['CAP_KILL', 'CAP_CHOWN'], ['net_admin'], ['chown'])).toEqual(['CAP_KILL', 'CAP_NET_ADMIN']);
    expect(capabilities(['CAP_KILL'], [], ['ALL'])).toEqual([]);
    expect(() => capabilities([], ['NOPE'], [])).toThrow(/unknown capability/);
  });

  it('builds config.json from the default spec, the image and the flags', () => {
    const spec = defaultSpec();
    const config = buildContainerConfig({
      id: 'a'.repeat(64),
      spec,
      image: { Env: ['PATH=/img', 'A=image'], Cmd: ['sh'], WorkingDir: '/srv' },
      command: [],
      flags: flags({ env: ['A=flag'], readOnly: true, network: 'host', resources: { memory: 200 * 1024 * 1024, cpus: 0.5, pidsLimit: 50 }, seccomp: 'unconfined' }),
      user: { uid: 1000, gid: 1000, additionalGids: [] },
      mounts: [{ destination: '/data', type: 'bind', source: '/v', options: ['rbind', 'rw'] }],
      annotations: { k: 'v' },
    }) as { process: { env: string[]; cwd: string; args: string[]; user: unknown }; root: unknown; hostname: string; linux: { namespaces: Array<{ type: string }>; resources: Record<string, unknown>; seccomp?: unknown }; mounts: Array<{ destination: string }> };
    expect(config.process.env).toEqual(['PATH=/img', 'A=flag', `HOSTNAME=${'a'.repeat(12)}`]);
    expect(config.process.cwd).toBe('/srv');
    expect(config.process.args).toEqual(['sh']);
    expect(config.process.user).toEqual({ uid: 1000, gid: 1000 });
    expect(config.root).toEqual({ path: 'rootfs', readonly: true });
    expect(config.hostname).toBe('a'.repeat(12));
    expect(config.linux.namespaces.map((n) => n.type)).not.toContain('network');
    expect(config.linux.seccomp).toBeUndefined();
    expect(config.linux.resources.memory).toEqual({ limit: 209715200, swap: 419430400 });
    expect(config.linux.resources.cpu).toEqual({ quota: 50000, period: 100000 });
    expect(config.linux.resources.pids).toEqual({ limit: 50 });
    expect(config.mounts.at(-1)?.destination).toBe('/data');
  });
});

describe('users from the image', () => {
  it('resolves names, ids and groups as Docker does', () => {
    expect(resolveUser('app', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1001, additionalGids: [10] });
    expect(resolveUser('nobody', PASSWD, GROUP)).toEqual({ uid: 65534, gid: 65534, additionalGids: [] });
    expect(resolveUser('1000:1000', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1000, additionalGids: [] });
    expect(resolveUser('4242', PASSWD, GROUP)).toEqual({ uid: 4242, gid: 0, additionalGids: [] });
    expect(resolveUser('app:wheel', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 10, additionalGids: [] });
    expect(() => resolveUser('ghost', PASSWD, GROUP)).toThrow(/unable to find user ghost/);
    expect(() => resolveUser('app:ghosts', PASSWD, GROUP)).toThrow(/unable to find group ghosts/);
    expect(() => resolveUser('1:2:3', PASSWD, GROUP)).toThrow(/expected name\|uid/);
  });
});

describe('-v, --mount, --tmpfs, --env-file', () => {
  it('reads each form and names the flag in errors', () => {
    expect(parseVolumeFlag('data:/d:ro')).toEqual({ kind: 'named', name: 'data', target: '/d', readonly: true });
    expect(parseVolumeFlag('/h/x:/d')).toEqual({ kind: 'bind', source: '/h/x', target: '/d', readonly: false });
    expect(parseVolumeFlag('/d')).toEqual({ kind: 'anonymous', target: '/d', readonly: false });
    expect(() => parseVolumeFlag('data:rel')).toThrow(/-v data:rel: the container path must be absolute/);
    expect(() => parseVolumeFlag('a:/d:xx')).toThrow(/unknown mode/);
    expect(parseMountFlag('type=bind,src=/h,dst=/d,readonly')).toEqual({ kind: 'bind', source: '/h', target: '/d', readonly: true });
    expect(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=1m')).toEqual({ kind: 'tmpfs', target: '/t', options: ['nosuid', 'nodev', 'size=1m'] });
    expect(() => parseMountFlag('type=nfs,target=/t')).toThrow(/--mount .*type must be/);
    expect(parseTmpfsFlag('/run:size=64k')).toEqual({ kind: 'tmpfs', target: '/run', options: ['noexec', 'nosuid', 'nodev', 'size=64k'] });
    expect(parseEnvFile('f', '# c\nA=1\n\nB\nC\n', { B: 'two' })).toEqual(['A=1', 'B=two']);
    expect(() => parseEnvFile('f', 'BAD KEY=1\n', {})).toThrow(/--env-file f: line 1/);
  });
});
