// buildInitPlan's security inputs: the SELinux mount label, the LSM labels of
// the process, capabilities the host cannot grant.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../oci-spec';
import { defaultSpec } from '../../src/container/default-spec';
import { buildInitPlan, type PlanHost } from '../../src/container/plan';

const ALL_BUT_SYS_RESOURCE = ((1n << 41n) - 1n) & ~(1n << 24n);
const host = (extra: Partial<PlanHost> = {}): PlanHost => ({ lastCap: 40, boundingSet: ALL_BUT_SYS_RESOURCE, hasKcore: true, ...extra });

type LooseSpec = ReturnType<typeof defaultSpec> & { process: Record<string, unknown>; linux: Record<string, unknown> };

function plan(edit: (c: LooseSpec) => void, h = host()) {
  const spec = defaultSpec() as LooseSpec;
  spec.mounts = spec.mounts.filter((m) => m.type !== 'cgroup');
  edit(spec);
  return buildInitPlan({ id: 'c1', bundle: '/b', config: parseConfig(spec, 'config.json'), startFifoPath: '/run/x/start.fifo', startReplyPath: '/run/x/start.reply', host: h });
}

describe('linux.mountLabel', () => {
  const label = 'system_u:object_r:container_file_t:s0:c1,c2';

  it('becomes context="..." on the filesystems the container creates, when SELinux is enabled', () => {
    const { plan: p } = plan((s) => {
      s.linux.mountLabel = label;
      s.mounts.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind'] });
    }, host({ selinuxEnabled: true }));
    const data = Object.fromEntries(p.mounts.map((m) => [m.destination, m.data]));
    expect(data['/dev']).toBe(`mode=755,size=65536k,context="${label}"`);
    expect(data['/dev/pts']).toBe(`newinstance,ptmxmode=0666,mode=0620,gid=5,context="${label}"`);
    expect(data['/dev/shm']).toBe(`mode=1777,size=65536k,context="${label}"`);
    // procfs, sysfs, mqueue take none; binds keep their files' labels
    expect(data['/proc']).toBe('');
    expect(data['/sys']).toBe('');
    expect(data['/dev/mqueue']).toBe('');
    expect(data['/data']).toBe('');
  });

  it('is left out without SELinux (the config checks warn)', () => {
    const { plan: p } = plan((s) => (s.linux.mountLabel = label));
    expect(p.mounts.some((m) => m.data.includes('context='))).toBe(false);
  });
});

describe('process labels and capabilities', () => {
  it('passes the AppArmor profile and SELinux label to the init', () => {
    const { plan: p } = plan((s) => {
      s.process.apparmorProfile = 'tsrun-test';
      s.process.selinuxLabel = 'system_u:system_r:container_t:s0';
    });
    expect(p.process).toMatchObject({ apparmorProfile: 'tsrun-test', selinuxLabel: 'system_u:system_r:container_t:s0' });
  });

  it('drops capabilities the host lacks, with a warning naming them', () => {
    const { plan: p, warnings } = plan((s) => {
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process.capabilities[set].push('CAP_SYS_RESOURCE', 'CAP_SYS_TIME');
    });
    expect(warnings).toEqual(['capabilities not available on this host, not granted: CAP_SYS_RESOURCE']);
    expect(p.process.capabilities.bounding & (1n << 24n)).toBe(0n);
    expect(p.process.capabilities.bounding & (1n << 25n)).toBe(1n << 25n); // CAP_SYS_TIME kept
  });
});
