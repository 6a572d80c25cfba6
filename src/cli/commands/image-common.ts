// Plumbing shared by the image commands. The image code itself (src/image)
// is imported dynamically, so only these commands ever load it.
import type * as Tty from 'node:tty';
import type { ImageEnv } from '../../image';
import type { GlobalOptions } from '../globals';
import type { CommandEnv } from './common';

// the return type is inferred: a written-out `typeof import()` would count as a static dependency
export function loadImageApi() {
  return import('../../image');
}

export function imageEnv(g: GlobalOptions, env: CommandEnv): ImageEnv {
  // loaded here, not at the top: node:tty (with net and streams) would cost every command
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const isTty = (require('node:tty') as typeof Tty).isatty(1);
  return {
    ...(g.imageRoot ? { imageRoot: g.imageRoot } : {}),
    ...(g.registriesConfig ? { registriesConfig: g.registriesConfig } : {}),
    out: env.out,
    stdoutIsTty: isTty,
    columns: (isTty && process.stdout.columns) || 80,
    euid: process.geteuid?.() ?? 0,
    env: process.env,
  };
}
