import { bool, format, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadImageApi()).imagesCommand(imageEnv(g, env), { format: format(p), quiet: bool(p, 'quiet') });
