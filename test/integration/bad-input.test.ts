// Bad input: each case fails `create` with exit 1 and a clear error (naming
// the JSON path where the config is at fault) and leaves nothing behind: no
// mount, no process, no cgroup, no state directory. Some fail in validation,
// some only once the init is half built (stage 1 or 2), which is where
// cleanup matters most.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertNoLeftovers,
  type Bundle,
  containerLab,
  makeBundle,
  PROCESS_TAG,
  snapshotLeftovers,
  type SpecDoc,
  tsrun,
  uniqueId,
} from '../helpers';
import { testTempDir } from '../helpers/ids';

const lab = containerLab('badinput');
const { root, work, bundles } = lab;

function bundle(mutate?: (spec: SpecDoc, b: { dir: string; rootfs: string }) => void): Bundle {
  const b = makeBundle();
  bundles.push(b);
  if (mutate) {
    mutate(b.spec, b);
    b.writeConfig();
  }
  return b;
}

/**
 * `tsrun create` that must fail: exit 1, nothing on stdout, the error as the
 * last (here: only error) line on stderr; and nothing left behind. Returns the
 * error message.
 */
async function createFails(dir: string, opts: { id?: string; command?: 'create' | 'run' } = {}): Promise<string> {
  const id = opts.id ?? uniqueId('bad');
  const snap = snapshotLeftovers({ root, match: PROCESS_TAG });
  const r = await tsrun(['--root', root, '--log-format', 'json', opts.command ?? 'create', '--bundle', dir, id]);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
  const records = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
  expect(records.filter((x) => x.level === 'error')).toHaveLength(1);
  expect(records.at(-1)!.level).toBe('error');
  assertNoLeftovers(snap);
  expect(fs.existsSync(path.join(root, id))).toBe(false);
  return records.at(-1)!.msg;
}

describe('the bundle and config.json', () => {
  it('no config.json', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'empty-bundle-'));
    expect(await createFails(dir)).toBe(`JSON specification file config.json not found in bundle ${dir}`);
  });

  it('a bundle directory that does not exist', async () => {
    const dir = path.join(work, 'no-such-bundle');
    expect(await createFails(dir)).toContain(dir);
  });

  it('invalid JSON: the position and what is wrong', async () => {
    const b = bundle();
    fs.writeFileSync(b.configPath, '{"ociVersion": "1.3.0", "process": ');
    expect(await createFails(b.dir)).toBe('config.json: invalid JSON at line 1 column 36: expected a value after the colon, but the input ended');
    fs.writeFileSync(b.configPath, '{"ociVersion": "1.3.0",\n "root": {"path": "rootfs"},,}');
    expect(await createFails(b.dir)).toMatch(/^config\.json: invalid JSON at line 2 column 29: /);
  });

  it('not an object', async () => {
    const b = bundle();
    fs.writeFileSync(b.configPath, '[]');
    expect(await createFails(b.dir)).toBe('config.json: expected an object, got array');
  });

  it('wrong types: every error names its JSON path', async () => {
    const b = bundle((s) => {
      (s.process.user as Record<string, unknown>).uid = 'abc';
      (s.mounts[1] as unknown as Record<string, unknown>).destination = 5;
      (s.process as Record<string, unknown>).args = 'sh';
    });
    const msg = await createFails(b.dir);
    expect(msg.split('\n').sort()).toEqual(
      [
        'config.json: process.args: expected an array, got string',
        'config.json: process.user.uid: expected a number, got string',
        'config.json: mounts[1].destination: expected a string, got number',
      ].sort(),
    );
  });

  it('an unknown namespace type names linux.namespaces[i].type', async () => {
    const b = bundle((s) => {
      (s.linux.namespaces[2] as { type: string }).type = 'foo';
    });
    expect(await createFails(b.dir)).toBe(
      'config.json: linux.namespaces[2].type: expected one of pid, network, mount, ipc, uts, user, cgroup, time, got "foo"',
    );
  });

  it('semantic errors name their path: relative cwd, maps without a user namespace, a host sysctl, an unknown rlimit', async () => {
    const cases: Array<[(s: SpecDoc) => void, string]> = [
      [(s) => void (s.process.cwd = 'rel'), 'config.json: process.cwd: must be an absolute path, got "rel"'],
      [
        (s) => Object.assign(s.linux, { uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }),
        'config.json: linux.uidMappings: ID mappings need a user namespace: add {"type": "user"} to linux.namespaces',
      ],
      [
        (s) => Object.assign(s.linux, { sysctl: { 'vm.swappiness': '1' } }),
        'config.json: linux.sysctl["vm.swappiness"]: is not namespaced: setting it would change the host',
      ],
      [
        (s) => Object.assign(s.linux, { sysctl: { 'kernel.hostname': 'x' } }),
        'config.json: linux.sysctl["kernel.hostname"]: conflicts with the "hostname" field: set the hostname there',
      ],
      [
        (s) => void (s.process.rlimits = [{ type: 'RLIMIT_FOO' as 'RLIMIT_NOFILE', soft: 1, hard: 1 }]),
        'config.json: process.rlimits[0].type: expected one of',
      ],
      [
        (s) => Object.assign(s.linux, { timeOffsets: { monotonic: { secs: 1 } } }),
        'config.json: linux.timeOffsets: time offsets need a new time namespace',
      ],
      [
        (s) => void (s.process.terminal = true),
        'config.json: process.terminal: cannot allocate tty if tsrun will detach without setting console socket',
      ],
    ];
    for (const [mutate, message] of cases) {
      const b = bundle(mutate);
      expect(await createFails(b.dir)).toContain(message);
    }
  });

  it("a net.* sysctl with the caller's own network namespace joined by path is refused, and the host's value stays", async () => {
    const key = 'net.core.somaxconn';
    const hostValue = fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();
    const other = String(Number(hostValue) + 7);
    for (const nsPath of ['/proc/self/ns/net', `/proc/${process.pid}/ns/net`]) {
      const b = bundle((s) => {
        const i = s.linux.namespaces.findIndex((n) => n.type === 'network');
        const net = { type: 'network', path: nsPath };
        if (i === -1) s.linux.namespaces.push(net);
        else s.linux.namespaces[i] = net;
        Object.assign(s.linux, { sysctl: { [key]: other } });
      });
      const index = JSON.parse(fs.readFileSync(path.join(b.dir, 'config.json'), 'utf8')).linux.namespaces.findIndex((n: { type: string }) => n.type === 'network');
      expect(await createFails(b.dir)).toBe(
        `config.json: linux.sysctl["${key}"]: linux.namespaces[${index}].path is the host's network namespace, which this would change`,
      );
      expect(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()).toBe(hostValue);
    }
  });

  it('an invalid container id', async () => {
    const b = bundle();
    const r = await tsrun(['--root', root, 'create', '--bundle', b.dir, 'bad/id']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid container ID format');
    expect(fs.existsSync(root) ? fs.readdirSync(root).filter((e) => !e.startsWith('.')) : []).toEqual([]);
  });
});

describe('the rootfs and the process', () => {
  it('missing rootfs, or a file where the rootfs should be', async () => {
    const b = bundle();
    fs.rmSync(b.rootfs, { recursive: true });
    expect(await createFails(b.dir)).toBe(`config.json: root.path: rootfs (${b.rootfs}) does not exist`);
    fs.writeFileSync(b.rootfs, '');
    expect(await createFails(b.dir)).toBe(`config.json: root.path: rootfs (${b.rootfs}) is not a directory`);
  });

  it('args[0] not found fails at create (as runc), not at start', async () => {
    const b = bundle((s) => void (s.process.args = ['no-such-binary', 'x']));
    expect(await createFails(b.dir)).toBe('exec: "no-such-binary": executable file not found in $PATH');
  });

  it('args[0] as a path: missing, a directory, not executable', async () => {
    const cases: Array<[string, string]> = [
      ['/bin/nope', 'exec: "/bin/nope": stat: no such file or directory (ENOENT)'],
      ['/etc', 'exec: "/etc": is a directory'],
      ['/etc/passwd', 'exec: "/etc/passwd": access: permission denied (EACCES)'],
    ];
    for (const [arg0, message] of cases) {
      const b = bundle((s) => void (s.process.args = [arg0]));
      expect(await createFails(b.dir)).toBe(message);
    }
  });

  it('a cwd under a file (a missing one is made, as runc makes it)', async () => {
    // a missing cwd is made (as runc makes it); one under a file cannot be
    const b = bundle((s) => void (s.process.cwd = '/bin/busybox/dir'));
    expect(await createFails(b.dir)).toBe('chdir to cwd /bin/busybox/dir: not a directory (ENOTDIR)');
  });

  it('a namespace path that does not exist (fails in stage 1, after the cgroups exist)', async () => {
    const b = bundle((s) => {
      s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
    });
    expect(await createFails(b.dir)).toBe('open namespace /proc/999999999/ns/net: no such file or directory (ENOENT)');
  });

  it('a mount that fails half way through the rootfs (unknown fs type, missing bind source)', async () => {
    let b = bundle((s) => void s.mounts.push({ destination: '/x', type: 'foofs', source: 'foo' }));
    expect(await createFails(b.dir)).toBe('mount foo to /x (type foofs): no such device (ENODEV)');
    b = bundle((s) => void s.mounts.push({ destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind'] }));
    expect(await createFails(b.dir)).toBe('bind mount /no/such/source to /x: no such file or directory (ENOENT)');
  });

  it('fails the same way under `run`', async () => {
    const b = bundle((s) => void (s.process.args = ['no-such-binary']));
    expect(await createFails(b.dir, { command: 'run' })).toBe('exec: "no-such-binary": executable file not found in $PATH');
  });
});

describe('mount destinations through symlinks stay inside the rootfs', () => {
  const hostTarget = testTempDir('host-target');
  afterAll(() => fs.rmSync(hostTarget, { recursive: true, force: true }));
  /**
   * The host's mounts where this test's would land if a link were followed
   * out of the rootfs (the link targets) or leaked from the container (any
   * dir of this test process: its tag): other programs' mounts do not count.
   */
  const hostMountsAt = (...roots: string[]): string[] =>
    fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => {
        const point = l.split(' ')[4];
        return point !== undefined && (point.includes(PROCESS_TAG) || roots.some((r) => point === r || point.startsWith(`${r}/`)));
      });

  it('absolute, relative (../../..) and dangling symlinks are resolved in the rootfs; the host is not touched', async () => {
    const hostBefore = fs.readdirSync(hostTarget);
    const watched = [hostTarget, '/nonexistent', work];
    const hostMountsBefore = hostMountsAt(...watched);
    const b = lab.shBundle('cat /proc/self/mountinfo; echo ---; cat /etc/hostname-seen');
    fs.symlinkSync(hostTarget, path.join(b.rootfs, 'abs'));
    fs.symlinkSync(`../../../../../../../../..${hostTarget}`, path.join(b.rootfs, 'rel'));
    fs.symlinkSync('/nonexistent/deeper', path.join(b.rootfs, 'dangling'));
    fs.writeFileSync(path.join(work, 'bound-file'), 'bound\n');
    b.spec.mounts.push(
      { destination: '/abs/a', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/rel/r', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/dangling/d', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/abs/file', type: 'bind', source: path.join(work, 'bound-file'), options: ['bind', 'ro'] },
      { destination: '/etc/hostname-seen', type: 'bind', source: path.join(work, 'bound-file'), options: ['bind', 'ro'] },
    );
    b.writeConfig();
    const r = await lab.runBundle(b);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const [info, seen] = r.stdout.split('---\n');
    const points = info!.split('\n').filter(Boolean).map((l) => l.split(' ')[4]);
    expect(points).toEqual(expect.arrayContaining([`${hostTarget}/a`, `${hostTarget}/r`, '/nonexistent/deeper/d', `${hostTarget}/file`]));
    expect(seen).toBe('bound\n');
    // what the links pointed at was made inside the rootfs
    for (const p of [`${hostTarget}/a`, `${hostTarget}/r`, '/nonexistent/deeper/d', `${hostTarget}/file`]) {
      expect(fs.existsSync(path.join(b.rootfs, p))).toBe(true);
    }
    // and nothing on the host
    expect(fs.readdirSync(hostTarget)).toEqual(hostBefore);
    expect(fs.existsSync('/nonexistent')).toBe(false);
    expect(hostMountsAt(...watched)).toEqual(hostMountsBefore);
  });

  it('a symlink loop on a mount destination is a clean error', async () => {
    const b = bundle((s) => void s.mounts.push({ destination: '/loop/x', type: 'tmpfs', source: 'tmpfs' }));
    fs.symlinkSync('loop2', path.join(b.rootfs, 'loop'));
    fs.symlinkSync('loop', path.join(b.rootfs, 'loop2'));
    expect(await createFails(b.dir)).toBe('create mount point for tmpfs to /loop/x (type tmpfs): too many levels of symbolic links (ELOOP)');
  });

  it('masked and read-only paths are not followed out of the rootfs either', async () => {
    // /proc is mounted over, so use paths in the image: a link to a host file
    const hostFile = path.join(hostTarget, 'secret');
    fs.writeFileSync(hostFile, 'host secret\n');
    const b = lab.shBundle('cat /etc/masked-link 2>&1; ls /etc/ro-link 2>&1; echo done');
    fs.symlinkSync(hostFile, path.join(b.rootfs, 'etc', 'masked-link'));
    fs.symlinkSync(hostTarget, path.join(b.rootfs, 'etc', 'ro-link'));
    b.spec.linux.maskedPaths = ['/etc/masked-link'];
    b.spec.linux.readonlyPaths = ['/etc/ro-link'];
    b.writeConfig();
    const hostMountsBefore = hostMountsAt(hostTarget, work);
    const r = await lab.runBundle(b);
    expect(r.code).toBe(0);
    // inside, the links resolve in the rootfs (where nothing exists), never to the host
    expect(r.stdout).not.toContain('host secret');
    expect(r.stdout.endsWith('done\n')).toBe(true);
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('host secret\n');
    expect(hostMountsAt(hostTarget, work)).toEqual(hostMountsBefore);
  });
});


describe('what runc refuses on purpose is refused at validation, with the JSON path (issue 10)', () => {
  it('a bind mount onto "/"', async () => {
    const b = bundle((s) => void s.mounts.push({ destination: '/', type: 'bind', source: work, options: ['rbind'] }));
    expect(await createFails(b.dir)).toBe(
      `config.json: mounts[${b.spec.mounts.length - 1}].destination: a bind mount onto "/" would replace the root filesystem; name it in root.path instead`,
    );
  });

  it('proc or sysfs on a symlink in the rootfs (CVE-2019-16884): before any side effect, and again in the init', async () => {
    let b = bundle();
    fs.rmSync(path.join(b.rootfs, 'proc'), { recursive: true, force: true });
    fs.symlinkSync('/tmp', path.join(b.rootfs, 'proc'));
    const procIndex = b.spec.mounts.findIndex((m) => m.type === 'proc');
    expect(await createFails(b.dir)).toBe(
      `config.json: mounts[${procIndex}].destination: filesystem "proc" must be mounted on ordinary directory: /proc is a symlink in the rootfs`,
    );
    // a symlink that appears only once an earlier mount is in place: the init's own check
    const host = fs.mkdtempSync(path.join(work, 'mounted-dir-'));
    fs.symlinkSync('/tmp', path.join(host, 'proc'));
    b = bundle((s) => {
      s.mounts.push({ destination: '/x', type: 'bind', source: host, options: ['rbind'] });
      s.mounts.push({ destination: '/x/proc', type: 'proc', source: 'proc' });
    });
    expect(await createFails(b.dir)).toBe('filesystem "proc" must be mounted on ordinary directory: /x/proc is a symlink in the rootfs');
    fs.rmSync(host, { recursive: true });
  });

  it('a byte order mark, or a key twice in one object', async () => {
    const b = bundle();
    const text = fs.readFileSync(b.configPath, 'utf8');
    fs.writeFileSync(b.configPath, `\uFEFF${text}`);
    expect(await createFails(b.dir)).toBe(
      'config.json: starts with a byte order mark (U+FEFF), which JSON does not allow (runc refuses it too); save it as UTF-8 without a BOM',
    );
    fs.writeFileSync(b.configPath, text.replace('"process": {', '"process": {\n\t\t"cwd": "/tmp",'));
    expect(await createFails(b.dir)).toBe('config.json: process.cwd: duplicate key "cwd" in one object: JSON readers disagree on which value wins');
  });

  it('a gid of 2^31 or more, and a NUL byte in an env entry', async () => {
    let b = bundle((s) => void ((s.process.user as { additionalGids?: number[] }).additionalGids = [2 ** 31]));
    expect(await createFails(b.dir)).toBe('config.json: process.user.additionalGids[0]: uids and gids must be in range 0-2147483647, got 2147483648');
    b = bundle((s) => void (s.process.env = ['A=1', 'B=x\0y']));
    expect(await createFails(b.dir)).toBe('config.json: process.env[1]: must not contain a NUL byte: execve would cut the string there');
  });

  it('a 50 MB config is refused up front, naming its size and the limit; a 250 KB state goes through', async () => {
    let b = bundle((s) => void (s.annotations = { 'org.example/blob': 'x'.repeat(50 * 1024 * 1024) }));
    expect(await createFails(b.dir)).toMatch(
      /^config\.json: annotations: make the container state the init hands to its hooks 524\d{5} bytes; tsrun hands the init at most 262143 bytes per message \(its sync channel's limit\)$/,
    );
    // below the limit but above the kernel's default socket buffer (208 KiB): works
    b = bundle((s) => {
      s.annotations = { 'org.example/blob': 'y'.repeat(250 * 1024) };
      s.process.args = ['true'];
    });
    const r = await lab.runBundle(b);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });
});
