import { bool, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadImageApi()).removeCommand(imageEnv(g, env), { refs: p.args, force: bool(p, 'force') });
