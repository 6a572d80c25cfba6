// A container's namespaces and the cgroup view they shape, from inside (what
// the cgroup layout of the host changes: the VM stage runs this file on a pure
// cgroup v2 host with systemd, container-inside.test.ts covers the rest).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/cgroups/detect';
import { capMask, CLI_ENTRY, cliEnv, containerLab, parseStatus, sleep, type SpecOverride } from '../helpers';
import { testTempDir } from '../helpers/ids';
import { mountAt, parseMountinfo, runInside, runInsideUserns, userNamespace } from '../helpers/inside';

const lab = containerLab('inside-ns');

const inside = (script: string, override?: SpecOverride, flags: string[] = []): Promise<string> => runInside(lab, script, override, flags);
const insideUserns = (script: string, hostId: number, override: Parameters<typeof runInsideUserns>[3]): Promise<string> =>
  runInsideUserns(lab, script, hostId, override);

describe('namespaces', () => {
  it('a user namespace with mappings: root inside is 100000 outside', async () => {
    const scratch = testTempDir('userns-scratch');
    fs.chmodSync(scratch, 0o777);
    const out = await insideUserns(
      'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; echo x > /scratch/made-inside; grep -E "^Cap(Eff|Bnd)" /proc/self/status; grep -c -E " - cgroup2? " /proc/self/mountinfo',
      100000,
      (spec) => {
        spec.mounts.push({ destination: '/scratch', type: 'bind', source: scratch, options: ['rbind'] });
        (spec.process.capabilities as Record<string, string[]>).bounding = ['CAP_SYS_ADMIN', 'CAP_KILL'];
        (spec.process.capabilities as Record<string, string[]>).effective = ['CAP_SYS_ADMIN', 'CAP_KILL'];
        (spec.process.capabilities as Record<string, string[]>).permitted = ['CAP_SYS_ADMIN', 'CAP_KILL'];
      },
    );
    const norm = (s: string) => s.trim().split(/\s+/).join(' ');
    const lines = out.split('\n');
    expect(norm(lines[0]!)).toBe('0 100000 65536');
    expect(norm(lines[1]!)).toBe('0 100000 65536');
    expect(lines.slice(2, 4)).toEqual(['0', '0']);
    expect(parseStatus(lines.slice(4, 6).join('\n'))).toEqual({
      CapEff: capMask(['CAP_SYS_ADMIN', 'CAP_KILL']),
      CapBnd: capMask(['CAP_SYS_ADMIN', 'CAP_KILL']),
    });
    // the cgroup mount works in a user namespace too: one per host v1 hierarchy
    // (a hybrid host's cgroup2 tree is not exposed, as in runc), or the one cgroup2 tree
    const hostV1 = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => / - cgroup /.test(l) && l.split(' ')[4]!.startsWith('/sys/fs/cgroup/'));
    expect(Number(lines[6])).toBe(hostV1.length > 0 ? hostV1.length : 1);
    const st = fs.statSync(path.join(scratch, 'made-inside'));
    expect([st.uid, st.gid]).toEqual([100000, 100000]);
    fs.rmSync(scratch, { recursive: true });
  });

  it('a user namespace without a network namespace still gets a read-only /sys (bind fallback)', async () => {
    const out = await insideUserns('cat /proc/self/uid_map; ls /sys/class >/dev/null && echo has-sys; cat /proc/self/mountinfo', 200000, (spec) => {
      spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
    });
    const lines = out.split('\n');
    expect(lines[0]!.trim().split(/\s+/)).toEqual(['0', '200000', '65536']);
    expect(lines[1]).toBe('has-sys');
    const sys = mountAt(parseMountinfo(lines.slice(2).join('\n')), '/sys');
    expect(sys.fstype).toBe('sysfs');
    expect(sys.opts).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
  });

  it('a user namespace gets a hard rlimit above tsrun\'s own where the host lets root raise it (runc sets them from its privileged parent)', async () => {
    // tsrun runs with RLIMIT_CORE 0:0; the config asks 0:1048576. Raising a
    // hard limit takes CAP_SYS_RESOURCE of the host's user namespace, which
    // the container's root lacks: tsrun raises it before entering the user
    // namespace. Hosts whose root lacks CAP_SYS_RESOURCE (as some sandboxes)
    // refuse it for runc too: then tsrun names the limit before creating anything.
    const hostCanRaise = (BigInt(`0x${parseStatus(fs.readFileSync('/proc/self/status', 'utf8')).CapEff}`) >> 24n) & 1n;
    const b = lab.shBundle(
      'grep "core file" /proc/self/limits',
      (spec) => {
        userNamespace(spec, 300000);
        spec.process.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 1048576 }];
      },
      { parent: os.tmpdir() },
    );
    fs.chmodSync(b.dir, 0o755);
    execFileSync('chown', ['-R', '300000:300000', b.rootfs]);
    const id = lab.id('rlimit-userns');
    const r = spawnSync('prlimit', ['--core=0:0', '--', process.execPath, CLI_ENTRY, '--root', lab.root, 'run', '--bundle', b.dir, id], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (hostCanRaise) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split(/\s{2,}/).slice(1, 3)).toEqual(['0', '1048576']);
    } else {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('process.rlimits[0].hard: RLIMIT_CORE hard limit 1048576 is above tsrun\'s own hard limit 0');
    }
  });

  it('a time namespace applies linux.timeOffsets', async () => {
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const out = await inside('cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime', (spec) => {
      spec.linux.namespaces.push({ type: 'time' });
      Object.assign(spec.linux, { timeOffsets: { monotonic: { secs: 86400, nanosecs: 0 }, boottime: { secs: 172800, nanosecs: 500 } } });
    });
    const lines = out.split('\n');
    const offsets = Object.fromEntries(lines.slice(0, 2).map((l) => { const [k, s, n] = l.trim().split(/\s+/); return [k, [s, n]]; }));
    expect(offsets).toEqual({ monotonic: ['86400', '0'], boottime: ['172800', '500'] });
    // /proc/uptime is boottime: the container's is two days ahead
    const uptime = Number(lines[2]);
    expect(uptime - hostUptime).toBeGreaterThan(172800 - 60);
    expect(uptime - hostUptime).toBeLessThan(172800 + 60);
  });

  describe('joined by path', () => {
    const nsName = `tsrun-test-ns-${process.pid}`;
    let holder: { pid: number; kill: () => void } | undefined;
    beforeAll(() => {
      execFileSync('ip', ['netns', 'add', nsName]);
      execFileSync('ip', ['netns', 'exec', nsName, 'ip', 'link', 'set', 'lo', 'up']);
    });
    afterAll(() => {
      holder?.kill();
      execFileSync('ip', ['netns', 'delete', nsName]);
    });

    it('joins a network namespace given as /var/run/netns/<name>', async () => {
      const nsPath = `/var/run/netns/${nsName}`;
      const ino = fs.statSync(nsPath).ino;
      const out = await inside('readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate', (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: nsPath } : n));
      });
      expect(out).toBe(`net:[${ino}]\nunknown\n`);
    });

    it('joins the uts and ipc namespaces of another process through /proc/<pid>/ns', async () => {
      const { spawn } = await import('node:child_process');
      const p = spawn('unshare', ['--uts', '--ipc', 'sh', '-c', 'hostname held-by-holder; exec sleep 60'], { stdio: 'ignore' });
      holder = { pid: p.pid!, kill: () => p.kill('SIGKILL') };
      // wait for the holder's exec (its uts namespace is then the new one)
      const hostUts = fs.readlinkSync('/proc/self/ns/uts');
      for (let i = 0; i < 500; i++) {
        try {
          if (fs.readlinkSync(`/proc/${p.pid}/ns/uts`) !== hostUts && fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'sleep') break;
        } catch {
          // not yet
        }
        await sleep(10);
      }
      const uts = fs.readlinkSync(`/proc/${p.pid}/ns/uts`);
      const ipc = fs.readlinkSync(`/proc/${p.pid}/ns/ipc`);
      const out = await inside('readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc; hostname', (spec) => {
        delete (spec as Record<string, unknown>).hostname;
        spec.linux.namespaces = spec.linux.namespaces.map((n) =>
          n.type === 'uts' || n.type === 'ipc' ? { type: n.type, path: `/proc/${p.pid}/ns/${n.type}` } : n,
        );
      });
      expect(out).toBe(`${uts}\n${ipc}\nheld-by-holder\n`);
    });
  });

  it('joins the pid namespace of another process: the container is not PID 1 there', async () => {
    const { spawn } = await import('node:child_process');
    // unshare forks: its child is PID 1 of the new pid namespace
    const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'sleep', '60'], { stdio: 'ignore' });
    let inner = 0;
    try {
      const hostPid = fs.readlinkSync('/proc/self/ns/pid');
      for (let i = 0; i < 500 && !inner; i++) {
        for (const c of fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(' ').filter(Boolean)) {
          try {
            if (fs.readlinkSync(`/proc/${c}/ns/pid`) !== hostPid && fs.readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep') inner = Number(c);
          } catch {
            // not yet
          }
        }
        if (!inner) await sleep(10);
      }
      expect(inner).toBeGreaterThan(0);
      const nsPath = `/proc/${inner}/ns/pid`;
      const out = await inside('echo $$; tr "\\0" " " < /proc/1/cmdline; echo; readlink /proc/self/ns/pid', (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'pid' ? { type: 'pid', path: nsPath } : n));
      });
      const [pid, cmdline, ns] = out.split('\n');
      expect(Number(pid)).toBeGreaterThan(1);
      expect(cmdline).toBe('sleep 60 ');
      expect(ns).toBe(fs.readlinkSync(nsPath));
    } finally {
      if (inner) process.kill(inner, 'SIGKILL'); // the namespace's init: the rest of it goes with it
      p.kill('SIGKILL');
    }
  });

  it('every new namespace differs from the host\'s', async () => {
    const types = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];
    const out = await inside(types.map((t) => `readlink /proc/self/ns/${t}`).join('; '), (spec) => {
      spec.linux.namespaces.push({ type: 'cgroup' });
    });
    const inner = out.trim().split('\n');
    const host = types.map((t) => fs.readlinkSync(`/proc/self/ns/${t}`));
    expect(inner).toHaveLength(types.length);
    inner.forEach((v, i) => expect(v).not.toBe(host[i]));
  });

  it('without a cgroup namespace /proc/self/cgroup shows host paths; with one, "/"', async () => {
    // the pids hierarchy's line where the host has v1 pids, else the cgroup2 line
    const v1Pids = /^\d+:pids:/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'));
    const prefix = v1Pids ? v1Pids[0] : '0::';
    const out = await inside(`grep -E "^${prefix}" /proc/self/cgroup`, (spec) => {
      spec.linux.namespaces.push({ type: 'cgroup' });
    });
    expect(out).toBe(`${prefix}/\n`);
  });

  it('the cgroup mount at /sys/fs/cgroup shows the container\'s own cgroup, read-only, as the host\'s layout makes it', async () => {
    const [mountinfo, procCgroup] = (await inside('cat /proc/self/mountinfo; echo ---; cat /proc/self/cgroup')).split('---\n');
    const mounts = parseMountinfo(mountinfo!);
    const cg = mountAt(mounts, '/sys/fs/cgroup');
    if (detectCgroupHost().layout === 'v2') {
      // pure v2: a read-only bind of the container's own cgroup (what the host
      // shows in /proc/self/cgroup without a cgroup namespace), private as
      // runc's cgroup2 mount is: no peer or master of a host mount
      const own = procCgroup!.split('\n').find((l) => l.startsWith('0::'))!.slice(3);
      expect(own).toMatch(/\/tsrun-test-run-[^/]+$/);
      expect([cg.fstype, cg.root, cg.opts.includes('ro'), cg.optional]).toEqual(['cgroup2', own, true, '']);
      return;
    }
    // the tmpfs holding the hierarchies stays writable, as runc leaves it;
    // one read-only cgroup mount per host v1 hierarchy, each showing the container's own cgroup
    expect([cg.fstype, cg.opts.includes('rw')]).toEqual(['tmpfs', true]);
    const hostHierarchies = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => / - cgroup /.test(l) && l.split(' ')[4]!.startsWith('/sys/fs/cgroup/'))
      .map((l) => l.split(' ')[4]!);
    const inner = mounts.filter((m) => m.fstype === 'cgroup');
    expect(inner.map((m) => m.point).sort()).toEqual(hostHierarchies.sort());
    for (const m of inner) {
      expect(m.opts).toContain('ro');
      expect(m.root).toMatch(/\/tsrun-test-run-[^/]+$/);
    }
  });
});
