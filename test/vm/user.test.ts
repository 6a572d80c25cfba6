// The test VM as the unprivileged `vagrant` user sees it: a login session with
// a systemd user manager that was delegated cgroup controllers, and user
// namespaces mapped from /etc/subuid: what rootless containers need.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { inVm, read } from './helpers';

describe.skipIf(!inVm)('the test VM, as the unprivileged user', () => {
  it('a session with XDG_RUNTIME_DIR and a systemd user manager delegated every controller a container limit uses', () => {
    const uid = process.getuid!();
    expect(uid).not.toBe(0);
    expect(os.userInfo().username).toBe('vagrant');
    expect(process.env.XDG_RUNTIME_DIR).toBe(`/run/user/${uid}`);
    expect(fs.statSync(process.env.XDG_RUNTIME_DIR!).uid).toBe(uid);
    const manager = `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service`;
    const delegated = read(`${manager}/cgroup.controllers`).trim().split(' ');
    expect(delegated).toEqual(expect.arrayContaining(['cpu', 'cpuset', 'io', 'memory', 'pids']));
    // the user manager answers on the session bus
    expect(execFileSync('systemctl', ['--user', 'is-system-running', '--wait'], { encoding: 'utf8' }).trim()).toBe('running');
  });

  it('a user namespace maps root to the user, and newuidmap maps the subordinate range', () => {
    const uid = process.getuid!();
    const single = execFileSync('unshare', ['--user', '--map-root-user', 'cat', '/proc/self/uid_map'], { encoding: 'utf8' });
    expect(single.trim().split(/\s+/)).toEqual(['0', String(uid), '1']);
    // --map-auto: newuidmap/newgidmap with the ranges of /etc/subuid and /etc/subgid
    const auto = execFileSync('unshare', ['--user', '--map-auto', 'cat', '/proc/self/uid_map'], { encoding: 'utf8' });
    expect(auto.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([['0', '100000', '65536']]);
  });
});
