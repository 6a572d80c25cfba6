// What a process sees from inside a real container (foreground `tsrun run`,
// busybox commands), compared with exactly what config.json asked for.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  capMask,
  containerLab,
  parseStatus,
  type SpecOverride,
} from '../helpers';
import { mountAt, parseMountinfo, runInside } from '../helpers/inside';
import { testTempDir } from '../helpers/ids';

const lab = containerLab('inside');
const { work, bundles } = lab;
/** runs tsrun with CAP_SYS_RESOURCE out of its bounding set, and so out of every set after exec */
const WITHOUT_SYS_RESOURCE = ['setpriv', '--bounding-set=-sys_resource', '--'];

/** Run `sh -c script` in a fresh container; expects success and returns stdout. */
const inside = (script: string, override?: SpecOverride, flags: string[] = []): Promise<string> => runInside(lab, script, override, flags);

describe('the process and its view of the system', () => {
  it('is PID 1, and /proc shows only the container\'s processes', async () => {
    // the glob is expanded by the shell itself: no other process exists at that moment
    // (a trailing builtin keeps busybox sh from exec'ing its last command)
    const script = 'echo $$; echo /proc/[0-9]*; tr "\\0" " " < /proc/1/cmdline; echo';
    const out = await inside(script);
    expect(out).toBe(`1\n/proc/1\nsh -c ${script} \n`);
  });

  it('has its own hostname and domainname; the host keeps its own', async () => {
    const hostBefore = os.hostname();
    const out = await inside('hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', {
      hostname: 'box-1',
      domainname: 'example.test',
    });
    expect(out).toBe('box-1\nbox-1\nexample.test\n');
    expect(os.hostname()).toBe(hostBefore);
  });

  it('a kernel.domainname sysctl wins over domainname, as in runc (sysctls are written after the names)', async () => {
    const out = await inside('cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname', {
      hostname: 'from-hostname',
      domainname: 'from-domainname',
      linux: { sysctl: { 'kernel.domainname': 'sysctl.test' } },
    });
    expect(out).toBe('from-hostname\nsysctl.test\n');
  });

  it('cannot see the host\'s files: / is exactly the rootfs', async () => {
    const marker = path.join(work, 'host-only-marker');
    fs.writeFileSync(marker, 'secret');
    const out = await inside(`ls -a /; test -e ${marker} && echo VISIBLE; test -e /usr/bin/node && echo NODE; echo done`);
    expect(out).toBe(['.', '..', 'bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'done', ''].join('\n'));
  });

  it('has the environment and working directory from config.json, and HOME from /etc/passwd (as runc)', async () => {
    // /proc/1/environ is what execve got, before the shell adds PWD/SHLVL
    const out = await inside('tr "\\0" "\\n" < /proc/1/environ; echo ---; pwd; readlink /proc/1/cwd', {
      process: { env: ['PATH=/bin', 'A=1', 'B=with space', 'EMPTY=', 'A=2'], cwd: '/tmp' },
    });
    // one entry per name, the last one winning; HOME is root's home in the image's /etc/passwd
    expect(out).toBe('PATH=/bin\nB=with space\nEMPTY=\nA=2\nHOME=/root\n---\n/tmp\n/tmp\n');
  });

  it('a HOME in process.env stays; a user /etc/passwd does not know gets HOME=/', async () => {
    // "; true": the shell stays PID 1 (an exec'd tr would read the environ of the mm it replaced)
    const given = await inside('tr "\\0" "\\n" < /proc/1/environ; true', { process: { env: ['PATH=/bin', 'HOME=/data'] } });
    expect(given).toBe('PATH=/bin\nHOME=/data\n');
    const unknown = await inside('tr "\\0" "\\n" < /proc/1/environ; true', { process: { env: ['PATH=/bin'], user: { uid: 4321, gid: 4321 } } });
    expect(unknown).toBe('PATH=/bin\nHOME=/\n');
  });

  it('makes a cwd that does not exist (as runc), inside the rootfs', async () => {
    const b = lab.shBundle('pwd', { process: { cwd: '/does/not/exist' } });
    const r = await lab.runBundle(b);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('/does/not/exist\n');
    expect(fs.statSync(path.join(b.rootfs, 'does', 'not', 'exist')).mode & 0o777).toBe(0o755);
  });

  it('fails create with a clear error when cwd is not a directory', async () => {
    const b = lab.shBundle('true', { process: { cwd: '/bin/busybox' } });
    const r = await lab.runBundle(b);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('chdir to cwd /bin/busybox: not a directory (ENOTDIR)');
  });
});

describe('process user, capabilities, limits', () => {
  it('runs as the configured uid, gid, additional groups and umask', async () => {
    const out = await inside('id; umask; grep -E "^(Uid|Gid|Groups):" /proc/self/status', {
      process: { user: { uid: 1000, gid: 1000, additionalGids: [5, 65534], umask: 0o027 } },
    });
    expect(out).toBe(
      [
        'uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)',
        '0027',
        'Uid:\t1000\t1000\t1000\t1000',
        'Gid:\t1000\t1000\t1000\t1000',
        'Groups:\t5 65534 ',
        '',
      ].join('\n'),
    );
  });

  it('without additionalGids the process has no supplementary groups; the default umask is 0022', async () => {
    const out = await inside('grep "^Groups:" /proc/self/status; umask', { process: { user: { uid: 0, gid: 0 } } });
    expect(out).toBe('Groups:\t \n0022\n');
  });

  it('root gets exactly the configured capability sets', async () => {
    // for uid 0 the kernel recomputes permitted = inheritable | bounding at execve
    // (and effective = permitted), so a root config has them equal, as runc's default does
    const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SETUID', 'CAP_SYS_ADMIN'];
    const out = await inside('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', {
      process: {
        capabilities: { bounding: caps, permitted: caps, effective: caps, inheritable: ['CAP_KILL', 'CAP_NET_RAW'], ambient: [] },
      },
    });
    const st = parseStatus(out);
    expect(st).toEqual({
      CapInh: capMask(['CAP_KILL', 'CAP_NET_RAW']),
      CapPrm: capMask(caps),
      CapEff: capMask(caps),
      CapBnd: capMask(caps),
      CapAmb: capMask([]),
      NoNewPrivs: '1',
    });
  });

  it('a non-root user keeps bounding, inheritable and ambient; ambient becomes permitted and effective', async () => {
    // the kernel's execve rule for a non-root user without file capabilities:
    // permitted' = effective' = ambient (the pre-exec sets are checked exactly in lifecycle.test.ts)
    const out = await inside('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', {
      process: {
        user: { uid: 1000, gid: 1000 },
        noNewPrivileges: false,
        capabilities: {
          bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE'],
          permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          effective: ['CAP_CHOWN', 'CAP_KILL'],
          inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
          ambient: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        },
      },
    });
    expect(parseStatus(out)).toEqual({
      CapInh: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']),
      CapPrm: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      CapEff: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      CapBnd: capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE']),
      CapAmb: capMask(['CAP_KILL', 'CAP_NET_BIND_SERVICE']),
      NoNewPrivs: '0',
    });
  });

  it('a capability the host lacks is a warning, not a failure', async () => {
    const b = lab.shBundle('grep CapBnd /proc/self/status', {
      process: { capabilities: { bounding: ['CAP_KILL', 'CAP_SYS_RESOURCE'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'] } },
    });
    bundles.push(b);
    // tsrun's own bounding set without CAP_SYS_RESOURCE (some hosts lack it already)
    const r = await lab.runBundle(b, { wrapper: WITHOUT_SYS_RESOURCE });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`CapBnd:\t${capMask(['CAP_KILL'])}\n`);
    expect(r.stderr).toContain('level=warning');
    expect(r.stderr).toContain('CAP_SYS_RESOURCE');
  });

  it('has exactly the configured rlimits', async () => {
    const out = await inside('cat /proc/self/limits', {
      process: {
        rlimits: [
          { type: 'RLIMIT_NOFILE', soft: 333, hard: 444 },
          { type: 'RLIMIT_STACK', soft: 4194304, hard: 8388608 },
          { type: 'RLIMIT_CORE', soft: 0, hard: 1048576 },
          { type: 'RLIMIT_NPROC', soft: 500, hard: 600 },
          { type: 'RLIMIT_MSGQUEUE', soft: 4096, hard: 8192 },
        ],
      },
    });
    const limits = new Map(
      out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => {
          const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(l)!;
          return [m[1]!, [m[2], m[3]]] as const;
        }),
    );
    expect(limits.get('Max open files')).toEqual(['333', '444']);
    expect(limits.get('Max stack size')).toEqual(['4194304', '8388608']);
    expect(limits.get('Max core file size')).toEqual(['0', '1048576']);
    expect(limits.get('Max processes')).toEqual(['500', '600']);
    expect(limits.get('Max msgqueue size')).toEqual(['4096', '8192']);
  });

  it('refuses an rlimit above the host\'s hard limit, naming it and its values', async () => {
    // tsrun's hard limit is this process's; without CAP_SYS_RESOURCE it cannot be raised
    const ownHard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))![1]);
    const above = ownHard + 1;
    const b = lab.shBundle('true', { process: { rlimits: [{ type: 'RLIMIT_NOFILE', soft: above, hard: above }] } });
    const r = await lab.runBundle(b, { wrapper: WITHOUT_SYS_RESOURCE });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RLIMIT_NOFILE');
    expect(r.stderr).toContain(String(above));
    expect(r.stderr).toContain(String(ownHard));
  });

  it('sets noNewPrivileges and oomScoreAdj as configured', async () => {
    let out = await inside('grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', {
      process: { noNewPrivileges: true, oomScoreAdj: 123 },
    });
    expect(out).toBe('NoNewPrivs:\t1\n123\n');
    out = await inside('grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj', {
      process: { noNewPrivileges: false, oomScoreAdj: 0 },
    });
    expect(out).toBe('NoNewPrivs:\t0\n0\n');
  });
});

describe('file descriptors', () => {
  it('leaks no fd of tsrun into the container (fds 3.. given to tsrun are closed)', async () => {
    const b = lab.shBundle('ls /proc/1/fd; exit 0');
    const file = fs.openSync(path.join(work, 'extra-fd'), 'w');
    try {
      // tsrun gets extra open fds 3, 4 and 5 (a file and two pipes), as the shim's fd 3
      const r = await lab.runBundle(b, { extraStdio: [file, 'pipe', 'pipe'] });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('0\n1\n2\n');
    } finally {
      fs.closeSync(file);
    }
  });

  it('--preserve-fds N keeps exactly fds 3 .. 2+N, which still work', async () => {
    const b = lab.shBundle('ls /proc/1/fd; echo to-three >&3; echo to-four >&4');
    const r = await lab.runBundle(b, { extraStdio: ['pipe', 'pipe', 'pipe'], flags: ['--preserve-fds', '2'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0\n1\n2\n3\n4\n');
    expect(r.extra).toEqual(['to-three\n', 'to-four\n', '']);
  });
});

describe('filesystem', () => {
  it('masks maskedPaths: files read empty, directories are empty and read-only', async () => {
    expect(fs.readdirSync('/sys/firmware').length).toBeGreaterThan(0);
    const out = await inside(
      'wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l; touch /sys/firmware/x 2>&1 || echo refused',
    );
    expect(out).toMatch(/^0\n0\n0\n0\ntouch: \/sys\/firmware\/x: Read-only file system\nrefused\n$/);
  });

  it('makes readonlyPaths read-only', async () => {
    const out = await inside('echo 1 > /proc/sysrq-trigger || echo refused-1; echo x > /proc/sys/kernel/domainname || echo refused-2; cat /proc/sys/kernel/ostype');
    expect(out).toBe('refused-1\nrefused-2\nLinux\n');
  });

  it('a read-only root refuses writes; a writable one accepts them', async () => {
    let out = await inside('touch /etc/new 2>&1; echo rc=$?', { root: { readonly: true } });
    expect(out).toBe('touch: /etc/new: Read-only file system\nrc=1\n');
    out = await inside('touch /etc/new && echo ok', { root: { readonly: false } });
    expect(out).toBe('ok\n');
  });

  it('mounts proc, tmpfs /dev, devpts, shm, mqueue and sysfs with the default options (cgroup: container-namespaces.test.ts)', async () => {
    const mounts = parseMountinfo(await inside('cat /proc/self/mountinfo'));
    expect(mounts[0]!.point).toBe('/');
    expect(mounts[0]!.opts).toContain('ro');
    const proc = mountAt(mounts, '/proc');
    expect(proc.fstype).toBe('proc');
    const dev = mountAt(mounts, '/dev');
    expect([dev.fstype, dev.opts.includes('nosuid')]).toEqual(['tmpfs', true]);
    expect(dev.super).toEqual(expect.arrayContaining(['size=65536k', 'mode=755']));
    const pts = mountAt(mounts, '/dev/pts');
    expect(pts.fstype).toBe('devpts');
    expect(pts.opts).toEqual(expect.arrayContaining(['nosuid', 'noexec']));
    expect(pts.super).toEqual(expect.arrayContaining(['gid=5', 'mode=620', 'ptmxmode=666']));
    const shm = mountAt(mounts, '/dev/shm');
    expect(shm.opts).toEqual(expect.arrayContaining(['nosuid', 'noexec', 'nodev']));
    expect(shm.super).toEqual(expect.arrayContaining(['size=65536k']));
    expect(mountAt(mounts, '/dev/mqueue').fstype).toBe('mqueue');
    const sys = mountAt(mounts, '/sys');
    expect([sys.fstype, ...['ro', 'nosuid', 'noexec', 'nodev'].map((o) => sys.opts.includes(o))]).toEqual(['sysfs', true, true, true, true]);
  });

  it('applies bind mount options: ro, nosuid, nodev, noexec, rbind vs bind, rro, file binds', async () => {
    const src = fs.mkdtempSync(path.join(work, 'bind-src-'));
    fs.writeFileSync(path.join(src, 'f'), 'content\n');
    fs.mkdirSync(path.join(src, 'sub'));
    const subSrc = fs.mkdtempSync(path.join(work, 'bind-sub-'));
    fs.writeFileSync(path.join(subSrc, 'g'), 'in-submount\n');
    execFileSync('mount', ['--bind', subSrc, path.join(src, 'sub')]);
    try {
      const out = await inside(
        'cat /mnt/ro/f; touch /mnt/ro/x 2>/dev/null || echo ro-refused; cat /mnt/rbind/sub/g; ls /mnt/bind/sub | wc -l; touch /mnt/rro/sub/y 2>/dev/null || echo rro-refused; cat /etc/bound-file; echo ---; cat /proc/self/mountinfo',
        (spec) => {
          spec.mounts.push(
            { destination: '/mnt/ro', type: 'bind', source: src, options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] },
            { destination: '/mnt/rbind', type: 'bind', source: src, options: ['rbind'] },
            { destination: '/mnt/bind', type: 'bind', source: src, options: ['bind'] },
            { destination: '/mnt/rro', type: 'bind', source: src, options: ['rbind', 'rro'] },
            { destination: '/etc/bound-file', type: 'bind', source: path.join(src, 'f'), options: ['bind', 'ro'] },
          );
        },
      );
      const [head, info] = out.split('---\n');
      expect(head).toBe('content\nro-refused\nin-submount\n0\nrro-refused\ncontent\n');
      const mounts = parseMountinfo(info!);
      const ro = mountAt(mounts, '/mnt/ro');
      expect(['ro', 'nosuid', 'nodev', 'noexec'].every((o) => ro.opts.includes(o))).toBe(true);
      expect(mountAt(mounts, '/mnt/rbind').opts).toContain('rw');
      expect(mountAt(mounts, '/mnt/rbind/sub').opts).toContain('rw');
      expect(mounts.some((m) => m.point === '/mnt/bind/sub')).toBe(false);
      expect(mountAt(mounts, '/mnt/rro').opts).toContain('ro');
      expect(mountAt(mounts, '/mnt/rro/sub').opts).toContain('ro');
      expect(mountAt(mounts, '/etc/bound-file').opts).toContain('ro');
      // the mount points were created inside the rootfs, nothing outside it
      expect(fs.statSync(path.join(bundles.at(-1)!.rootfs, 'etc', 'bound-file')).isFile()).toBe(true);
    } finally {
      execFileSync('umount', [path.join(src, 'sub')]);
      fs.rmSync(src, { recursive: true });
      fs.rmSync(subSrc, { recursive: true });
    }
  });

  it('a tmpfs with size, mode, uid/gid and noexec options', async () => {
    const out = await inside('stat -c "%a %u %g" /data; grep " /data " /proc/self/mountinfo', (spec) => {
      spec.mounts.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'size=1m', 'mode=1750', 'uid=1000', 'gid=1000'] });
    });
    const [statLine, info] = [out.split('\n')[0], out.split('\n').slice(1).join('\n')];
    expect(statLine).toBe('1750 1000 1000');
    const m = parseMountinfo(info)[0]!;
    expect(m.fstype).toBe('tmpfs');
    expect(m.opts).toEqual(expect.arrayContaining(['noexec', 'nosuid']));
    expect(m.super).toEqual(expect.arrayContaining(['size=1024k', 'mode=1750', 'uid=1000', 'gid=1000']));
  });

  it('propagation options on a mount and rootfsPropagation on /', async () => {
    let mounts = parseMountinfo(
      await inside('cat /proc/self/mountinfo', (spec) => {
        spec.mounts.push({ destination: '/shared', type: 'tmpfs', source: 'tmpfs', options: ['rshared'] });
        spec.mounts.push({ destination: '/unbind', type: 'tmpfs', source: 'tmpfs', options: ['unbindable'] });
        Object.assign(spec.linux, { rootfsPropagation: 'shared' });
      }),
    );
    expect(mounts[0]!.optional).toMatch(/shared:\d+/);
    expect(mountAt(mounts, '/shared').optional).toMatch(/shared:\d+/);
    expect(mountAt(mounts, '/unbind').optional).toBe('unbindable');
    mounts = parseMountinfo(await inside('cat /proc/self/mountinfo', { linux: { rootfsPropagation: 'private' } }));
    expect(mounts[0]!.optional).toBe('');
  });

  it('never unmounts or mounts anything on the host, whatever rootfsPropagation (bundle on a shared mount)', async () => {
    // two shared host mounts (as on a systemd host): one holds the bundles, one is a bystander
    const shared = testTempDir('hostshared');
    const bystander = testTempDir('bystander');
    for (const d of [shared, bystander]) {
      execFileSync('mount', ['-t', 'tmpfs', 'tsrun-test-shared', d]);
      execFileSync('mount', ['--make-shared', d]);
    }
    const hostMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(shared) || l.includes(bystander));
    try {
      const mountsBefore = hostMounts();
      expect(mountsBefore).toHaveLength(2);
      for (const m of mountsBefore) expect(m).toMatch(/ shared:\d+ /);
      for (const prop of [undefined, 'private', 'slave', 'unbindable', 'shared', 'rshared', 'rprivate', 'rslave']) {
        const b = lab.shBundle('cat /proc/self/mountinfo | wc -l', undefined, { parent: shared });
        if (prop) {
          Object.assign(b.spec.linux, { rootfsPropagation: prop });
          b.writeConfig();
        }
        const r = await lab.runBundle(b);
        expect({ prop, code: r.code, stderr: r.stderr }).toEqual({ prop, code: 0, stderr: '' });
        // the container's mounts stayed in the container, the shared mount is still there
        expect({ prop, mounts: hostMounts() }).toEqual({ prop, mounts: mountsBefore });
        b.cleanup();
      }
    } finally {
      for (const d of [shared, bystander]) {
        execFileSync('umount', ['-R', d]);
        fs.rmSync(d, { recursive: true });
      }
    }
  });

  it('--no-pivot: the rootfs is / via MS_MOVE + chroot, and the host is still not visible', async () => {
    const out = await inside('ls -a /; echo $$; head -1 /proc/self/mountinfo', undefined, ['--no-pivot']);
    const lines = out.split('\n');
    expect(lines.slice(0, 9)).toEqual(['.', '..', 'bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp']);
    expect(lines[9]).toBe('1');
  });

  it('/dev has the default devices, the standard links and linux.devices', async () => {
    const out = await inside('cd /dev && for f in null zero full random urandom tty mydev myblk; do stat -c "%n %F %t:%T %a %u:%g" $f; done; for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink $l)"; done; test -e /dev/console || echo no-console', {
      linux: {
        devices: [
          { path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 1000, gid: 5 },
          { path: '/dev/myblk', type: 'b', major: 7, minor: 200, fileMode: 0o640, uid: 0, gid: 0 },
        ],
      },
    });
    expect(out).toBe(
      [
        'null character special file 1:3 666 0:0',
        'zero character special file 1:5 666 0:0',
        'full character special file 1:7 666 0:0',
        'random character special file 1:8 666 0:0',
        'urandom character special file 1:9 666 0:0',
        'tty character special file 5:0 666 0:0',
        'mydev character special file 1:3 600 1000:5',
        'myblk block special file 7:c8 640 0:0',
        'fd -> /proc/self/fd',
        'stdin -> /proc/self/fd/0',
        'stdout -> /proc/self/fd/1',
        'stderr -> /proc/self/fd/2',
        'ptmx -> pts/ptmx',
        'no-console',
        '',
      ].join('\n'),
    );
  });

  it('writes linux.sysctl inside the container only', async () => {
    const key = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    const hostValue = fs.readFileSync(key, 'utf8');
    const out = await inside(`cat ${key} /proc/sys/kernel/msgmax`, {
      linux: { sysctl: { 'net.ipv4.ip_unprivileged_port_start': '42', 'kernel.msgmax': '9000' } },
    });
    expect(out).toBe('42\n9000\n');
    expect(fs.readFileSync(key, 'utf8')).toBe(hostValue);
  });
});

describe('exit status of run', () => {
  it('propagates the exit code', async () => {
    const b = lab.shBundle('exit 7');
    expect((await lab.runBundle(b)).code).toBe(7);
  });

  it('is 128+signal when the process is killed by a signal', async () => {
    // without a pid namespace the shell can signal itself
    const b = lab.shBundle('kill -SEGV $$', (spec) => {
      spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'pid');
    });
    bundles.push(b);
    expect((await lab.runBundle(b)).code).toBe(128 + 11);
  });
});
