// The test VM itself (Vagrantfile, scripts/vagrant/): what the systemd,
// rootless and pure cgroup v2 tests rely on, checked as root and as the
// unprivileged `vagrant` user, so a broken box recipe fails here, by name,
// rather than as a puzzling container failure. Runs only in the VM
// (scripts/vagrant/guest-run.sh sets TSRUN_IN_VM=1).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';

const inVm = process.env.TSRUN_IN_VM === '1';
const root = process.getuid?.() === 0;
const read = (p: string) => fs.readFileSync(p, 'utf8');

/** mountinfo lines: [mount point, fs type] */
function mounts(): Array<[string, string]> {
  return read('/proc/self/mountinfo')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [left, right] = l.split(' - ');
      return [left!.split(' ')[4]!, right!.split(' ')[0]!];
    });
}

describe.skipIf(!inVm)('the test VM', () => {
  it('runs systemd as PID 1 and the system is up with no failed unit', () => {
    expect(read('/proc/1/comm').trim()).toBe('systemd');
    const state = execFileSync('systemctl', ['is-system-running', '--wait'], { encoding: 'utf8' }).trim();
    const failed = execFileSync('systemctl', ['list-units', '--failed', '--plain', '--no-legend'], { encoding: 'utf8' }).trim();
    expect({ state, failed }).toEqual({ state: 'running', failed: '' });
  });

  it('has a pure cgroup v2 hierarchy with every controller at the root', () => {
    const cgroupMounts = mounts().filter(([, type]) => type.startsWith('cgroup'));
    expect(cgroupMounts).toEqual([['/sys/fs/cgroup', 'cgroup2']]);
    const controllers = read('/sys/fs/cgroup/cgroup.controllers').trim().split(' ');
    expect(controllers).toEqual(expect.arrayContaining(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']));
    expect(read('/proc/self/cgroup')).toMatch(/^0::\/\S+\n$/);
  });

  it.skipIf(!root)('as root: the unprivileged user exists with a subordinate id range and newuidmap/newgidmap', () => {
    expect(execFileSync('id', ['-u', 'vagrant'], { encoding: 'utf8' }).trim()).toBe('1000');
    for (const f of ['/etc/subuid', '/etc/subgid']) expect(read(f)).toMatch(/^vagrant:100000:65536$/m);
    for (const tool of ['/usr/bin/newuidmap', '/usr/bin/newgidmap']) {
      const st = fs.statSync(tool);
      expect({ tool, owner: st.uid, setuid: (st.mode & 0o4000) !== 0 }).toEqual({ tool, owner: 0, setuid: true });
    }
  });

  it.skipIf(root)('as the user: a session with XDG_RUNTIME_DIR and a systemd user manager with delegated memory and pids', () => {
    const uid = process.getuid!();
    expect(process.env.XDG_RUNTIME_DIR).toBe(`/run/user/${uid}`);
    expect(fs.statSync(process.env.XDG_RUNTIME_DIR!).uid).toBe(uid);
    const manager = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service`;
    const delegated = read(`${manager}/cgroup.controllers`).trim().split(' ');
    expect(delegated).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu']));
    // the user manager answers on the session bus
    expect(execFileSync('systemctl', ['--user', 'is-system-running', '--wait'], { encoding: 'utf8' }).trim()).toMatch(/^(running|degraded)$/);
    expect(os.userInfo().username).toBe('vagrant');
  });

  it.skipIf(root)('as the user: a user namespace maps root to the user, and newuidmap maps the subordinate range', () => {
    const uid = process.getuid!();
    expect(execFileSync('unshare', ['--user', '--map-root-user', 'cat', '/proc/self/uid_map'], { encoding: 'utf8' }).trim().split(/\s+/)).toEqual(['0', String(uid), '1']);
    // --map-auto: newuidmap/newgidmap with the ranges of /etc/subuid and /etc/subgid
    const map = execFileSync('unshare', ['--user', '--map-root-user', '--map-auto', 'cat', '/proc/self/uid_map'], { encoding: 'utf8' });
    const rows = map.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual(expect.arrayContaining([['0', String(uid), '1'], ['1', '100000', '65536']]));
  });
});
