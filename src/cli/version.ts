// `tsrun --version`. The commit comes from dist/src/build-info.json, written
// by scripts/write-build-info.js after tsc, so start-up never runs git.
import { OCI_VERSION } from '../../oci-spec/version';

export const TSRUN_VERSION = '0.1.0';

export function buildCommit(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const info = require('../build-info.json') as { commit?: unknown };
    return typeof info.commit === 'string' && info.commit ? info.commit : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function versionText(): string {
  return [`tsrun version ${TSRUN_VERSION}`, `commit: ${buildCommit()}`, `spec: ${OCI_VERSION}`, `node: ${process.version}`].join('\n') + '\n';
}
