// OCI runtime-spec v1.3.0 features document (features.md, features-linux.md,
// specs-go/features): what a runtime recognises, printed by `tsrun features`.
// Every field except ociVersionMin/Max may be absent or null, both meaning "unknown".
import { z } from 'zod';
import { NAMESPACE_TYPES, SECCOMP_ACTIONS, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './runtime';
import { obj, opt, OPT_BOOL, OPT_STRING_MAP, OPT_STRINGS, patterned, STRING } from './schema-kit';

const OPT_ENABLED_ONLY = opt(obj({ enabled: OPT_BOOL }));

export const CgroupFeaturesSchema = obj({
  v1: OPT_BOOL,
  v2: OPT_BOOL,
  systemd: OPT_BOOL,
  systemdUser: OPT_BOOL,
  rdma: OPT_BOOL,
});
export type CgroupFeatures = z.infer<typeof CgroupFeaturesSchema>;

export const SeccompFeaturesSchema = obj({
  enabled: OPT_BOOL,
  actions: opt(z.array(z.enum(SECCOMP_ACTIONS))),
  operators: opt(z.array(z.enum(SECCOMP_OPERATORS))),
  archs: opt(z.array(z.enum(SECCOMP_ARCHS))),
  knownFlags: opt(z.array(z.enum(SECCOMP_FLAGS))),
  /** the subset of knownFlags this kernel and libseccomp support */
  supportedFlags: opt(z.array(z.enum(SECCOMP_FLAGS))),
});
export type SeccompFeatures = z.infer<typeof SeccompFeaturesSchema>;

export const LinuxFeaturesSchema = obj({
  namespaces: opt(z.array(z.enum(NAMESPACE_TYPES))),
  capabilities: opt(z.array(patterned(/^CAP_[A-Z_]+$/, 'a capability name such as "CAP_CHOWN"'))),
  cgroup: opt(CgroupFeaturesSchema),
  seccomp: opt(SeccompFeaturesSchema),
  apparmor: OPT_ENABLED_ONLY,
  selinux: OPT_ENABLED_ONLY,
  intelRdt: opt(obj({
    enabled: OPT_BOOL,
    /** linux.intelRdt.schemata is implemented */
    schemata: OPT_BOOL,
    /** linux.intelRdt.enableMonitoring is implemented */
    monitoring: OPT_BOOL,
  })),
  memoryPolicy: opt(obj({
    modes: OPT_STRINGS,
    flags: OPT_STRINGS,
  })),
  mountExtensions: opt(obj({
    /** mounts' uidMappings/gidMappings */
    idmap: OPT_ENABLED_ONLY,
  })),
  netDevices: OPT_ENABLED_ONLY,
});
export type LinuxFeatures = z.infer<typeof LinuxFeaturesSchema>;

export const FeaturesSchema = obj({
  ociVersionMin: STRING,
  ociVersionMax: STRING,
  hooks: OPT_STRINGS,
  /** recognised option names, not filesystem-specific data options */
  mountOptions: OPT_STRINGS,
  linux: opt(LinuxFeaturesSchema),
  annotations: OPT_STRING_MAP,
  /** annotation names (or prefixes ending in ".") in config.json that may weaken isolation */
  potentiallyUnsafeConfigAnnotations: OPT_STRINGS,
});
export type Features = z.infer<typeof FeaturesSchema>;
