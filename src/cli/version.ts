// `tsrun --version` (the version and commit come from src/version.ts).
import { OCI_VERSION } from '../../oci-spec/version';
import { buildCommit, TSRUN_VERSION } from '../version';

export function versionText(): string {
  return [`tsrun version ${TSRUN_VERSION}`, `commit: ${buildCommit()}`, `spec: ${OCI_VERSION}`, `node: ${process.version}`].join('\n') + '\n';
}
