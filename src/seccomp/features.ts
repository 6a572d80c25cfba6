// The seccomp part of `tsrun features` (runtime-spec features-linux.md).
// Names are what this build recognises; supportedFlags is what the running
// kernel accepts too.
import type { SeccompFeatures } from '../../oci-spec/features';
import { SECCOMP_ACTIONS, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from '../../oci-spec/runtime-enums';
import { native, type Native } from '../native';

export function seccompFeatures(n: Pick<Native, 'seccompInfo'> = native()): SeccompFeatures {
  const info = n.seccompInfo();
  return {
    enabled: true,
    actions: [...SECCOMP_ACTIONS].sort(),
    operators: [...SECCOMP_OPERATORS].sort(),
    // an architecture this libseccomp lacks is only skipped with a warning,
    // so list just the ones a filter can really be built for
    archs: SECCOMP_ARCHS.filter((a) => info.archs.includes(a)).sort(),
    knownFlags: [...SECCOMP_FLAGS],
    supportedFlags: SECCOMP_FLAGS.filter((f) => info.flags[f]),
  };
}

/** runc reports the libseccomp version as a features annotation. */
export function seccompFeatureAnnotations(n: Pick<Native, 'seccompInfo'> = native()): Record<string, string> {
  return { 'io.github.seccomp.libseccomp.version': n.seccompInfo().libseccompVersion };
}
