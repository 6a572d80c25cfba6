import { deleteContainer } from '../../container/operations';
import { bool, id, runtimeContext, type CommandHandler } from './common';

export const handler: CommandHandler = async (p, g) => {
  await deleteContainer(runtimeContext(g), { id: id(p), force: bool(p, 'force') });
  return 0;
};
