// The seccomp part of `tsrun features` (runtime-spec features-linux.md).
// Names are what this build recognises; supportedFlags is what the running
// kernel accepts too.
import { native, type Native } from '../native';
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './names';

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

export function seccompFeatures(n: Pick<Native, 'seccompInfo'> = native()): SeccompFeatures {
  const info = n.seccompInfo();
  return {
    enabled: true,
    actions: [...SECCOMP_ACTIONS].sort(),
    operators: [...SECCOMP_OPERATORS].sort(),
    // an architecture this libseccomp lacks is only skipped with a warning,
    // so list just the ones a filter can really be built for
    archs: [...info.archs].sort(),
    knownFlags: [...SECCOMP_FLAGS],
    supportedFlags: SECCOMP_FLAGS.filter((f) => info.flags[f]),
  };
}

/** runc reports the libseccomp version as a features annotation. */
export function seccompFeatureAnnotations(n: Pick<Native, 'seccompInfo'> = native()): Record<string, string> {
  return { 'io.github.seccomp.libseccomp.version': n.seccompInfo().libseccompVersion };
}
