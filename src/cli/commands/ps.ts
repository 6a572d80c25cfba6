import { ps } from '../../container/operations';
import { format, id, runtimeContext, type CommandHandler } from './common';

/** ps [--format table|json] <id> [ps args...] */
export const handler: CommandHandler = async (p, g) => {
  await ps(runtimeContext(g), { id: id(p), format: format(p), psArgs: p.args.slice(1) });
  return 0;
};
