// The test VM itself (Vagrantfile, scripts/vagrant/): what the systemd,
// rootless and pure cgroup v2 tests rely on, checked as root and as the
// unprivileged `vagrant` user, so a broken box recipe fails here, by name,
// rather than as a puzzling container failure.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inVm, mounts, read } from './helpers';

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
});
