// Plumbing shared by the image commands. The image code itself (src/image)
// is imported dynamically, so only these commands ever load it.
import tty from 'node:tty';
import type { ImageEnv } from '../../image';
import type { GlobalOptions } from '../globals';
import type { CommandEnv } from './common';

// the return type is inferred: a written-out `typeof import()` would count as a static dependency
export function loadImageApi() {
  return import('../../image');
}

export function imageEnv(g: GlobalOptions, env: CommandEnv): ImageEnv {
  const isTty = tty.isatty(1);
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
