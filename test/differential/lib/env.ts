// Where the differential harness finds its parts, and the environment both
// runtimes are called with: the same for runc and tsrun, so that what a
// container or hook inherits from its runtime's caller is the same too.
import path from 'node:path';
import { CLI_ENTRY, PROJECT_ROOT } from '../../helpers/tsrun';

export { PROJECT_ROOT };

/** Debian's runc (scripts/install-deps.sh installs it; not on root's PATH in /usr/bin) */
export const RUNC = process.env.TSRUN_DIFF_RUNC || '/usr/sbin/runc';

export const PROBE_SOURCE = path.join(__dirname, '..', 'probe.c');

/** PATH of the runtimes' caller (and so of hooks without an `env`) */
const CALLER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The caller's environment: small and fixed, as a shim's is. */
export function callerEnv(): NodeJS.ProcessEnv {
  return { PATH: CALLER_PATH, LANG: 'C' };
}

/** argv of tsrun (node + the built CLI, as bin/tsrun runs it) */
export function tsrunCommand(): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ['--disable-warning=ExperimentalWarning', CLI_ENTRY] };
}
