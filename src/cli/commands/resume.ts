import { resume } from '../../container/operations';
import { id, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g) => {
  await resume(runtimeContext(g), { id: id(p) });
  return 0;
};
