import { bool, str, type CommandHandler } from './common';
import { imageEnv, loadImageApi } from './image-common';

export const handler: CommandHandler = async (p, g, env) =>
  (await loadImageApi()).pullCommand(imageEnv(g, env), {
    ref: p.args[0] as string,
    platform: str(p, 'platform'),
    quiet: bool(p, 'quiet'),
    progress: str(p, 'progress'),
  });
