import { pause } from '../../container/operations';
import { id, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g) => {
  await pause(runtimeContext(g), { id: id(p) });
  return 0;
};
