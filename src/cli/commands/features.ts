import { features } from '../../container/operations';
import { runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (_p, g) => {
  await features(runtimeContext(g), {});
  return 0;
};
