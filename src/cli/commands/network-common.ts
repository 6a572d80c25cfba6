// Plumbing shared by the network commands. The network code itself
// (src/network) is imported dynamically, so only these commands (and
// containers that use a network) ever load it.
import type { NetworkEnv } from '../../network';
import type { GlobalOptions } from '../globals';
import type { CommandEnv } from './common';

// the return type is inferred: a written-out `typeof import()` would count as a static dependency
export function loadNetworkApi() {
  return import('../../network');
}

export function networkEnv(g: GlobalOptions, env: CommandEnv): NetworkEnv {
  return {
    ...(g.imageRoot ? { imageRoot: g.imageRoot } : {}),
    out: env.out,
    euid: process.geteuid?.() ?? 0,
    env: process.env,
  };
}
