// `tsrun features`: a valid runtime-spec features document that claims only
// what tsrun carries out.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, FeaturesSchema, HOOK_NAMES, parseWithSchema } from '../../oci-spec';
import { featuresDocument } from '../../src/container/features';
import type { SeccompInfo } from '../../src/native';

const info: SeccompInfo = {
  libseccompVersion: '2.5.4',
  compilerRevision: 1,
  apiLevel: 6,
  nativeArch: 'SCMP_ARCH_X86_64',
  archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  actions: {},
  flags: { SECCOMP_FILTER_FLAG_TSYNC: true, SECCOMP_FILTER_FLAG_LOG: true, SECCOMP_FILTER_FLAG_SPEC_ALLOW: false, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: false },
};
const doc = featuresDocument({ seccompInfo: () => info }, { 'tsrun.version': '0.1.0' });

describe('features', () => {
  it('is a valid features document', () => {
    expect(parseWithSchema(FeaturesSchema, JSON.parse(JSON.stringify(doc)) as unknown, 'features')).toEqual(doc);
    expect(doc.ociVersionMin).toBe('1.0.0');
    expect(doc.ociVersionMax).toBe('1.3.0');
  });

  it('lists every hook, namespace and capability tsrun handles', () => {
    expect(doc.hooks).toEqual([...HOOK_NAMES]);
    expect(doc.linux!.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(doc.linux!.capabilities).toEqual([...CAPABILITIES]);
  });

  it('advertises rro (CRI reads it for recursive read-only mounts) and not idmap', () => {
    expect(doc.mountOptions).toEqual(expect.arrayContaining(['bind', 'rbind', 'ro', 'rro', 'nosuid', 'nodev', 'noexec', 'rprivate', 'rslave', 'rshared']));
    expect(doc.mountOptions).not.toContain('idmap');
    expect(doc.linux!.mountExtensions).toEqual({ idmap: { enabled: false } });
  });

  it('says yes to the LSMs: the init applies process.apparmorProfile and process.selinuxLabel (where the host has them)', () => {
    expect(doc.linux!.apparmor).toEqual({ enabled: true });
    expect(doc.linux!.selinux).toEqual({ enabled: true });
  });

  it('says no to what tsrun does not apply', () => {
    expect(doc.linux!.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
    expect(doc.linux!.intelRdt).toEqual({ enabled: false });
    expect(doc.linux!.netDevices).toEqual({ enabled: false });
    expect(doc.linux!.memoryPolicy).toEqual({ modes: [], flags: [] });
    expect(doc.potentiallyUnsafeConfigAnnotations).toEqual([]);
  });

  it('reports seccomp from the addon: the archs it can build for, the flags this kernel takes', () => {
    expect(doc.linux!.seccomp!.enabled).toBe(true);
    expect(doc.linux!.seccomp!.archs).toEqual(['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']);
    expect(doc.linux!.seccomp!.supportedFlags).toEqual(['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG']);
    expect(doc.linux!.seccomp!.actions).toContain('SCMP_ACT_NOTIFY');
    expect(doc.annotations).toEqual({
      'io.github.seccomp.libseccomp.version': '2.5.4',
      // a session keyring per container (native/src/keyring.c), as runc
      'tsrun.session-keyring': 'per-container',
      'tsrun.version': '0.1.0',
    });
  });
});
