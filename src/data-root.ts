// Where tsrun keeps what outlives a boot (images, networks): one default, used
// by the image and the network commands (--image-root overrides it).
import os from 'node:os';
import path from 'node:path';

/** /var/lib/tsrun for root; $XDG_DATA_HOME/tsrun (default ~/.local/share/tsrun) for others. */
export function defaultImageRoot(euid: number, env: NodeJS.ProcessEnv): string {
  if (euid === 0) return '/var/lib/tsrun';
  const data = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(data, 'tsrun');
}
