// The test VM as root sees it: the unprivileged user the rootless tests run as.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inVm, read } from './helpers';

describe.skipIf(!inVm)('the test VM, as root', () => {
  it('has the unprivileged user with a subordinate id range, and setuid newuidmap/newgidmap', () => {
    expect(process.getuid!()).toBe(0);
    expect(execFileSync('id', ['-u', 'vagrant'], { encoding: 'utf8' }).trim()).toBe('1000');
    for (const f of ['/etc/subuid', '/etc/subgid']) expect(read(f)).toMatch(/^vagrant:100000:65536$/m);
    for (const tool of ['/usr/bin/newuidmap', '/usr/bin/newgidmap']) {
      const st = fs.statSync(tool);
      expect({ tool, owner: st.uid, setuid: (st.mode & 0o4000) !== 0 }).toEqual({ tool, owner: 0, setuid: true });
    }
  });
});
