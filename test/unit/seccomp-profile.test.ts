import { describe, expect, it } from 'vitest';
import { defaultProfileArchitectures, defaultSeccompProfile } from '../../src/seccomp/default-profile';
import { seccompFeatures, seccompFeatureAnnotations } from '../../src/seccomp/features';
import { containerProcessStateJson } from '../../src/seccomp/listener';
import type { SeccompInfo } from '../../src/native';

describe('defaultSeccompProfile', () => {
  const p = defaultSeccompProfile('x64');
  const rules = p.syscalls ?? [];
  const allowed = new Set(rules.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
  const eperm = new Set(rules.filter((r) => r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === 1 && !r.args).flatMap((r) => r.names));

  it('answers unknown syscalls with ENOSYS and lists the x86 ABIs', () => {
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(38);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(p.flags).toBeUndefined();
  });

  it('never allows and denies the same syscall, nor lists one twice', () => {
    expect([...allowed].filter((n) => eperm.has(n))).toEqual([]);
    for (const r of rules) expect(new Set(r.names).size).toBe(r.names.length);
  });

  it('denies with EPERM what needs capabilities the default spec does not grant', () => {
    for (const n of ['mount', 'umount2', 'pivot_root', 'unshare', 'setns', 'kexec_load', 'kexec_file_load', 'bpf', 'keyctl',
      'add_key', 'request_key', 'reboot', 'swapon', 'init_module', 'finit_module', 'open_by_handle_at', 'userfaultfd',
      'perf_event_open', 'chroot', 'clock_settime', 'iopl']) {
      expect(eperm.has(n), n).toBe(true);
      expect(allowed.has(n), n).toBe(false);
    }
  });

  it('allows what ordinary programs need, ptrace as Docker does on Linux >= 4.8, and no io_uring', () => {
    for (const n of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'getrandom', 'pipe2', 'epoll_wait', 'socketpair',
      'ptrace', 'arch_prctl', 'rseq', 'statx', 'close_range', 'faccessat2']) {
      expect(allowed.has(n), n).toBe(true);
    }
    for (const n of ['io_uring_setup', 'io_uring_enter', 'clone', 'clone3', 'personality', 'socket']) expect(allowed.has(n), n).toBe(false);
  });

  it('lets clone through only without namespace flags, and refuses each namespace flag with EPERM', () => {
    const clone = rules.filter((r) => r.names.includes('clone'));
    expect(clone[0]).toEqual({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    expect(clone.slice(1).map((r) => [r.action, r.errnoRet, r.args![0].value === r.args![0].valueTwo])).toEqual(
      Array(7).fill(['SCMP_ACT_ERRNO', 1, true]),
    );
    expect(rules.find((r) => r.names.includes('clone3'))).toEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  it('allows the personality values libc and linux32 use', () => {
    const values = rules.filter((r) => r.names.includes('personality')).map((r) => r.args![0].value);
    expect(values).toEqual([0, 8, 0x20000, 0x20008, 0xffffffff]);
  });

  it('follows the native architecture: s390 keeps clone flags in the second argument', () => {
    const s390 = defaultSeccompProfile('s390x');
    expect(s390.architectures).toEqual(['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
    expect(s390.syscalls!.find((r) => r.names.includes('clone'))!.args![0].index).toBe(1);
    expect(defaultSeccompProfile('arm64').syscalls![0].names).toContain('cacheflush');
    expect(defaultSeccompProfile('arm64').syscalls![0].names).not.toContain('arch_prctl');
    expect(defaultProfileArchitectures('arm64')).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(defaultProfileArchitectures('sparc')).toEqual([]);
  });

  it('returns a fresh object each time', () => {
    const a = defaultSeccompProfile('x64');
    a.syscalls![0].names.push('mount');
    expect(defaultSeccompProfile('x64').syscalls![0].names).not.toContain('mount');
  });
});

describe('containerProcessStateJson', () => {
  it('has the runtime-spec shape, seccompFd first, metadata only when set', () => {
    const state = { ociVersion: '1.3.0', id: 'c1', status: 'creating', pid: 42, bundle: '/b', annotations: { a: 'b' } };
    expect(JSON.parse(containerProcessStateJson({ ociVersion: '1.3.0', pid: 42, metadata: 'm', state }))).toEqual({
      ociVersion: '1.3.0',
      fds: ['seccompFd'],
      pid: 42,
      metadata: 'm',
      state,
    });
    const bare = JSON.parse(containerProcessStateJson({ ociVersion: '1.3.0', pid: 42, state: { ...state, annotations: {} } }));
    expect(bare).not.toHaveProperty('metadata');
    expect(bare.state).not.toHaveProperty('annotations');
  });
});

describe('seccompFeatures', () => {
  const info: SeccompInfo = {
    libseccompVersion: '2.5.4',
    compilerRevision: 1,
    apiLevel: 6,
    nativeArch: 'SCMP_ARCH_X86_64',
    archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86'],
    actions: {},
    flags: {
      SECCOMP_FILTER_FLAG_TSYNC: true,
      SECCOMP_FILTER_FLAG_LOG: true,
      SECCOMP_FILTER_FLAG_SPEC_ALLOW: false,
      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: false,
    },
  };
  const n = { seccompInfo: () => info };

  it('reports names sorted, archs this libseccomp has, and kernel-supported flags', () => {
    expect(seccompFeatures(n)).toEqual({
      enabled: true,
      actions: [
        'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
        'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
      ],
      operators: ['SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE'],
      archs: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
      knownFlags: [
        'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
        'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
      ],
      supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'],
    });
    expect(seccompFeatureAnnotations(n)).toEqual({ 'io.github.seccomp.libseccomp.version': '2.5.4' });
  });
});
