import { create } from '../../container/operations';
import { absPath, bool, id, nonEmpty, preserveFds, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g, env) => {
  await create(runtimeContext(g), {
    id: id(p),
    bundle: absPath(env, nonEmpty(p, 'bundle') ?? env.cwd) as string,
    consoleSocket: nonEmpty(p, 'console-socket'),
    pidfdSocket: nonEmpty(p, 'pidfd-socket'),
    pidFile: absPath(env, nonEmpty(p, 'pid-file')),
    noPivot: bool(p, 'no-pivot'),
    noNewKeyring: bool(p, 'no-new-keyring'),
    preserveFds: preserveFds(p),
    detach: bool(p, 'detach'),
  });
  return 0;
};
