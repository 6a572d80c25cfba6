// tsrun's version, and the commit it was built from (dist/src/build-info.json,
// written by scripts/write-build-info.js after tsc, so start-up never runs
// git). Shared by `tsrun --version`/`features` and containerd-shim-tsrun-v2 -v.

export const TSRUN_VERSION = '0.1.0';

export function buildCommit(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const info = require('./build-info.json') as { commit?: unknown };
    return typeof info.commit === 'string' && info.commit ? info.commit : 'unknown';
  } catch {
    return 'unknown';
  }
}
