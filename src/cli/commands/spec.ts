import { spec } from '../../container/operations';
import { absPath, bool, nonEmpty, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g, env) => {
  await spec(runtimeContext(g), { bundle: absPath(env, nonEmpty(p, 'bundle') ?? env.cwd) as string, rootless: bool(p, 'rootless') });
  return 0;
};
