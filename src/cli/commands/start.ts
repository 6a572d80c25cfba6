import { start } from '../../container/operations';
import { id, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g) => {
  await start(runtimeContext(g), { id: id(p) });
  return 0;
};
