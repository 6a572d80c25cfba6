// The differential suite's rules compose: a case that two deliberate
// differences touch at once (here generated #3420 of seed 20261206: an
// rshared rootfs and a read-only tmpfs under a stack) is explained by both,
// not reported as a divergence because each rule wanted the other's part equal.
import { describe, expect, it } from 'vitest';
import { applyRules, RULES, type View } from '../differential/lib/rules';

const mount = (target: string, opts: string, propagation: string, sup = 'rw') => ({ target, fstype: 'tmpfs', source: 'tmpfs', root: '/', opts, super: sup, propagation });

describe('differential rules', () => {
  it('explain an rshared rootfs and a read-only tmpfs under a stack in one case', () => {
    const config = {
      ociVersion: '1.0.2',
      linux: { rootfsPropagation: 'rshared' },
      mounts: [
        { destination: '/mnt/tmpfs3', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nodev', 'nr_inodes=1k', 'private'] },
        { destination: '/mnt/tmpfs3', type: 'tmpfs', source: 'tmpfs', options: ['noatime', 'rslave'] },
      ],
    };
    // runc 1.1.5: everything private; its late read-only remount by path hit the top tmpfs
    const runc: View = {
      outcome: 'ran',
      exit: 'exit 0',
      hooks: { host: [], container: [] },
      said: '',
      probe: {
        mounts: [
          mount('/', 'rw,relatime', 'private'),
          mount('/mnt/tmpfs3', 'rw,nodev', 'private', 'rw,nr_inodes=1024'),
          mount('/mnt/tmpfs3', 'ro,nodev', 'private'),
          mount('/proc/sys/kernel', 'ro,relatime', 'private', 'ro'),
        ],
      },
    };
    // tsrun: "/" shared after pivot_root (a copy of a shared mount shows up twice), each tmpfs as asked
    const tsrun: View = {
      outcome: 'ran',
      exit: 'exit 0',
      hooks: { host: [], container: [] },
      said: '',
      probe: {
        mounts: [
          mount('/', 'rw,relatime', 'shared'),
          mount('/mnt/tmpfs3', 'ro,nodev', 'shared', 'rw,nr_inodes=1024'),
          mount('/mnt/tmpfs3', 'rw,noatime', 'shared'),
          mount('/proc/sys/kernel', 'ro,relatime', 'shared', 'ro'),
          mount('/proc/sys/kernel', 'ro,relatime', 'shared', 'ro'),
        ],
      },
    };
    const names = applyRules(RULES, { name: 'generated #3420', config }, { boundingSet: 0n }).reconcile(runc, tsrun);
    expect(names).toEqual(expect.arrayContaining(['ro-tmpfs-under-a-stack', 'rootfs-propagation-shared']));
    expect(runc.probe).toEqual(tsrun.probe);
  });

  it('explain a shared rootfs and a read-only path with a bind mount under it in one case (#2371 of seed 20261207)', () => {
    const config = {
      ociVersion: '1.0.2',
      linux: { rootfsPropagation: 'shared', readonlyPaths: ['/data'] },
      mounts: [{ destination: '/data/sub/bind1', type: 'bind', source: '/host/dir', options: ['bind', 'noatime', 'rnosuid'] }],
    };
    const view = (mounts: ReturnType<typeof mount>[]): View => ({ outcome: 'ran', exit: 'exit 0', hooks: { host: [], container: [] }, said: '', probe: { mounts } });
    // runc 1.1.5: "/" private, only the top of the read-only path read-only
    const runc = view([
      mount('/', 'rw,relatime', 'private'),
      mount('/data/sub/bind1', 'rw,nosuid,noatime', 'private'),
      mount('/data', 'ro,relatime', 'private'),
      mount('/data/sub/bind1', 'rw,nosuid,noatime', 'private'),
    ]);
    // tsrun: "/" shared after pivot_root, the read-only path read-only with what is below it
    const tsrun = view([
      mount('/', 'rw,relatime', 'shared'),
      mount('/data/sub/bind1', 'rw,nosuid,noatime', 'shared'),
      mount('/data', 'ro,relatime', 'shared'),
      mount('/data/sub/bind1', 'ro,nosuid,noatime', 'shared'),
    ]);
    const names = applyRules(RULES, { name: 'generated #2371', config }, { boundingSet: 0n }).reconcile(runc, tsrun);
    expect(names).toEqual(expect.arrayContaining(['readonly-paths-recursive', 'rootfs-propagation-shared']));
    expect(runc.probe).toEqual(tsrun.probe);
  });

  it('leave a case alone when the stacked mounts differ in more than their options', () => {
    const config = {
      ociVersion: '1.0.2',
      mounts: [
        { destination: '/mnt/t', type: 'tmpfs', source: 'tmpfs', options: ['ro'] },
        { destination: '/mnt/t', type: 'tmpfs', source: 'tmpfs', options: [] },
      ],
    };
    const runc: View = { outcome: 'ran', exit: 'exit 0', hooks: { host: [], container: [] }, said: '', probe: { mounts: [mount('/mnt/t', 'rw', 'private', 'rw,size=1k'), mount('/mnt/t', 'ro', 'private')] } };
    const tsrun: View = { outcome: 'ran', exit: 'exit 0', hooks: { host: [], container: [] }, said: '', probe: { mounts: [mount('/mnt/t', 'ro', 'private'), mount('/mnt/t', 'rw', 'private')] } };
    expect(applyRules(RULES, { name: 'x', config }, { boundingSet: 0n }).reconcile(runc, tsrun)).not.toContain('ro-tmpfs-under-a-stack');
    expect(runc.probe).not.toEqual(tsrun.probe);
  });

  describe('cgroup2-mount-own-cgroup (a pure cgroup v2 host with systemd, as the VM stage)', () => {
    const cg = (root: string, propagation: string) => ({ target: '/sys/fs/cgroup', fstype: 'cgroup2', source: 'cgroup2', root, opts: 'ro,nosuid,nodev,noexec,relatime', super: 'rw', propagation });
    const view = (mounts: object[]): View => ({ outcome: 'ran', exit: 'exit 0', hooks: { host: [], container: [] }, said: '', probe: { mounts, cgroup: ['0::/tsrun-diff/c1'] } });
    const explain = (namespaces: string[], runc: View, tsrun: View) =>
      applyRules(RULES, { name: 'generated', config: { ociVersion: '1.0.2', linux: { namespaces: namespaces.map((type) => ({ type })) } } }, { boundingSet: 0n }).reconcile(runc, tsrun);

    it("explains runc's whole-tree mount against tsrun's private bind of the container's cgroup", () => {
      const runc = view([cg('/', 'private')]);
      const tsrun = view([cg('/tsrun-diff/c1', 'private')]);
      expect(explain(['mount', 'pid'], runc, tsrun)).toContain('cgroup2-mount-own-cgroup');
      expect(runc.probe).toEqual(tsrun.probe);
    });

    it("explains runc's bind fallback in a user namespace, a slave of the host's shared mount, against tsrun's private bind", () => {
      const runc = view([cg('/tsrun-diff/c1', 'master')]);
      const tsrun = view([cg('/tsrun-diff/c1', 'private')]);
      expect(explain(['mount', 'user'], runc, tsrun)).toContain('cgroup2-mount-own-cgroup');
      expect(runc.probe).toEqual(tsrun.probe);
    });

    it('leaves a propagation difference without a user namespace, or with a tsrun bind that is not private, as a divergence', () => {
      for (const [namespaces, r, t] of [
        [['mount'], view([cg('/', 'private')]), view([cg('/tsrun-diff/c1', 'master')])],
        [['mount'], view([cg('/tsrun-diff/c1', 'master')]), view([cg('/tsrun-diff/c1', 'private')])],
        [['mount', 'user'], view([cg('/tsrun-diff/c1', 'private')]), view([cg('/tsrun-diff/c1', 'master')])],
      ] as const) {
        explain([...namespaces], r, t);
        expect(r.probe).not.toEqual(t.probe);
      }
    });

    it('composes with rootfs-propagation-shared: an rshared rootfs makes the bind shared, runc 1.1.5 leaves its mount private', () => {
      const config = { ociVersion: '1.0.2', linux: { rootfsPropagation: 'rshared', namespaces: [{ type: 'mount' }] } };
      const runc = view([mount('/', 'rw,relatime', 'private'), cg('/', 'private')]);
      const tsrun = view([mount('/', 'rw,relatime', 'shared'), cg('/tsrun-diff/c1', 'shared')]);
      const names = applyRules(RULES, { name: 'generated #20 of seed 20260910', config }, { boundingSet: 0n }).reconcile(runc, tsrun);
      expect(names).toEqual(expect.arrayContaining(['cgroup2-mount-own-cgroup', 'rootfs-propagation-shared']));
      expect(runc.probe).toEqual(tsrun.probe);
    });
  });
});
