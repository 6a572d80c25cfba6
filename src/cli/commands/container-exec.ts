import { bool, list, str, type CommandHandler } from './common';
import { imageRunEnv, loadContainerApi } from './container-common';

/** Exits with the process's status (docker exec). */
export const handler: CommandHandler = async (p, g, env) =>
  (await loadContainerApi()).containerExec(imageRunEnv(g, env), {
    name: p.args[0] as string,
    args: p.args.slice(1),
    env: list(p, 'env'),
    user: str(p, 'user'),
    workdir: str(p, 'workdir'),
    tty: bool(p, 'tty'),
    detach: bool(p, 'detach'),
  });
