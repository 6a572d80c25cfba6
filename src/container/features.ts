// `tsrun features`: the runtime-spec features document (features.md,
// features-linux.md). It lists what tsrun recognises and carries out, not
// what the host has: a field tsrun parses but does not apply is reported as
// `tsrun features`: the runtime-spec features document (features.md,
// features-linux.md). It lists what tsrun recognises and carries out, not
// what the host has: a field tsrun parses but does not apply is reported as
// not enabled (Intel RDT, idmapped mounts, netDevices, memory policies). The
// systemd cgroup driver (src/systemd) serves root and, rootless, the user's
// own manager. AppArmor and SELinux labels are applied by the init
// (native/src/lsm.c) wherever the host has the LSM.
import type { Features } from '../../oci-spec/features';
import { CAPABILITIES, HOOK_NAMES, NAMESPACE_TYPES } from '../../oci-spec/runtime-enums';
import { OCI_VERSION } from '../../oci-spec/version';
import type { Native } from '../native';
import { KNOWN_MOUNT_OPTIONS } from '../rootfs/mount-options';
import { seccompFeatureAnnotations, seccompFeatures } from '../seccomp/features';

const SESSION_KEYRING_ANNOTATION = 'tsrun.session-keyring';

/** `runtimeAnnotations`: the caller's version facts (the CLI knows its build). */
export function featuresDocument(n: Pick<Native, 'seccompInfo'>, runtimeAnnotations: Record<string, string> = {}): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_NAMES],
    mountOptions: [...KNOWN_MOUNT_OPTIONS],
    linux: {
      namespaces: [...NAMESPACE_TYPES].sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
      // names come from the same lists the schema's enums are built from
      seccomp: seccompFeatures(n),
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      memoryPolicy: { modes: [], flags: [] },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      ...seccompFeatureAnnotations(n),
      // every container joins a session keyring of its own ("_ses.<id>", as
      // runc); create --no-new-keyring keeps the caller's
      [SESSION_KEYRING_ANNOTATION]: 'per-container',
      ...runtimeAnnotations,
    },
    // tsrun changes no behaviour on any config.json annotation
    potentiallyUnsafeConfigAnnotations: [],
  };
}
